"""Takes WeasyPrint's laid-out pages, gives what is wrong with their layout (the layout check).

One walk over each page's boxes finds:
- a heading (h1-h4) or a box title (TITLE_CLASSES) that ends a page: what follows it is on the
  next page;
- a block that must stay whole (the cover, each block of the back pages) split over pages;
- a nearly empty page (less than MIN_FILL of its height used) that is not short by design: a
  page holding a SHORT_BY_DESIGN element, the last page, or one that a forced page break ends
  (a section's last page);
- text or a picture beyond the right or bottom of the page's content area, or cut off by a
  box that clips it.
Findings are data; `message` words them for a copy's print variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from booklet.errors import shorten
from booklet.i18n import _

TITLE_TAGS = frozenset({"h1", "h2", "h3", "h4"})
TITLE_CLASSES = frozenset({"admonition-title", "crisis-heading", "care-team-heading",
                           "steps-title"})
KEEP_WHOLE = frozenset({"cover"})  # besides each block of the back pages (BACK_SECTIONS)
BACK_SECTIONS = frozenset({"care", "back"})
SHORT_BY_DESIGN = frozenset({"cover", "notes", "blank-page"})
FORCED_BREAKS = frozenset({"page", "left", "right", "recto", "verso"})
MIN_FILL = 0.2  # of the content area's height
TOLERANCE = 1.0  # CSS px: rounding, a hanging space

Rule = Literal["title", "split", "empty", "overflow", "clipped"]


@dataclass(frozen=True)
class Finding:
    """One layout problem on page `page` (1-based); `text` quotes the element (shortened),
    `pages` is the last page a split block reaches, `fill` how much of an empty page is used."""

    rule: Rule
    page: int
    text: str = ""
    pages: int = 0
    fill: float = 0.0

    def message(self, variant: str) -> str:
        """The finding as a warning line, e.g. 'a5 large-print fold, page 78: …'."""
        where = _("%(variant)s, page %(page)d") % {"variant": variant, "page": self.page}
        if self.rule == "title":
            what = _("the heading %(text)s ends the page: what follows it is on the next "
                     "page") % {"text": self.text}
        elif self.rule == "split":
            what = _("%(text)s should stay on one page but runs on to page %(last)d") % {
                "text": self.text, "last": self.pages}
        elif self.rule == "empty":
            what = _("the page is nearly empty (%(percent)d%% used)") % {
                "percent": round(self.fill * 100)}
        elif self.rule == "overflow":
            what = _("%(text)s reaches beyond the page's margins") % {"text": self.text}
        else:
            what = _("%(text)s is cut off by the box it is in") % {"text": self.text}
        return f"{where}: {what}"


@dataclass
class _Page:
    """What one page's walk saw."""

    top: float
    height: float
    bottom: float = 0.0  # of the lowest text, picture or rule
    last_title: Any = None  # the title element holding the page's last leaf, if any
    short_by_design: bool = False
    begins_after_break: bool = False  # its first top-level element starts here, on a new page
    top_level: set[int] = field(default_factory=set)  # id() of the children of <body> on it
    problems: list[Finding] = field(default_factory=list)


def check_layout(pages: list[Any]) -> list[Finding]:
    """The findings for WeasyPrint's `Document.pages`, in page order."""
    walk = _Walk()
    for number, page in enumerate(pages, start=1):
        walk.page(number, page._page_box)
    findings: list[Finding] = []
    walked = walk.pages
    for number, seen in enumerate(walked, start=1):
        following = walked[number] if number < len(walked) else None
        findings += seen.problems
        if seen.last_title is not None and following is not None:
            findings.append(Finding("title", number, _text(seen.last_title)))
        fill = (seen.bottom - seen.top) / seen.height if seen.height else 1.0
        if fill < MIN_FILL and not seen.short_by_design and following is not None and not (
                following.begins_after_break):
            findings.append(Finding("empty", number, fill=max(fill, 0.0)))
    for element, numbers in walk.whole.values():
        if len(numbers) > 1:
            findings.append(Finding("split", numbers[0], _text(element), numbers[-1]))
    return sorted(findings, key=lambda finding: finding.page)


class _Walk:
    """Walks each page's boxes once, in document order."""

    def __init__(self) -> None:
        from weasyprint.formatting_structure import boxes

        self.boxes = boxes
        self.pages: list[_Page] = []
        self.whole: dict[int, tuple[Any, list[int]]] = {}  # id → (element, pages it is on)
        self.begun: set[int] = set()  # top-level elements met on an earlier page

    def page(self, number: int, page_box: Any) -> None:
        self.number = number
        self.seen = _Page(page_box.content_box_y(), page_box.height)
        self.area = (page_box.content_box_x(), self.seen.top,
                     page_box.content_box_x() + page_box.width, self.seen.top + self.seen.height)
        for child in page_box.children:
            if not isinstance(child, self.boxes.MarginBox):  # running headers, page numbers
                self.box(child, 0, None, None, False)
        self.pages.append(self.seen)
        self.begun |= self.seen.top_level

    def box(self, box: Any, depth: int, title: Any, clip: tuple[float, ...] | None,
            in_back: bool) -> None:
        """`depth` 2 is a child of <body>; `in_back`: `box` is a block of the back pages."""
        boxes, seen, element = self.boxes, self.seen, box.element
        own = element is not None and box.element_tag == getattr(element, "tag", None)
        classes = set((element.get("class") or "").split()) if own else set()
        if own and depth == 2:
            if not seen.top_level:
                seen.begins_after_break = (id(element) not in self.begun
                                           and box.style["break_before"] in FORCED_BREAKS)
            seen.top_level.add(id(element))
            seen.short_by_design |= bool(classes & SHORT_BY_DESIGN)
        if own and (classes & KEEP_WHOLE or in_back):
            _element, numbers = self.whole.setdefault(id(element), (element, []))
            if numbers[-1:] != [self.number]:
                numbers.append(self.number)
        if own and (box.element_tag in TITLE_TAGS or classes & TITLE_CLASSES):
            title = element
        if isinstance(box, boxes.ParentBox) and box.style["overflow"] != "visible":
            clip = (box.padding_box_x(), box.padding_box_y(),
                    box.padding_box_x() + box.padding_width(),
                    box.padding_box_y() + box.padding_height())
        children = getattr(box, "children", None)
        if children:
            back = depth == 2 and bool(classes & BACK_SECTIONS)
            for child in children:
                self.box(child, depth + 1, title, clip, back)
            return
        if isinstance(box, boxes.TextBox) and not box.text.strip():
            return
        if not isinstance(box, (boxes.TextBox, boxes.ReplacedBox)) and not (
                isinstance(box, boxes.BlockBox) and box.border_height() > 0):
            return  # an empty box: nothing is printed
        left, top = box.border_box_x(), box.border_box_y()
        edges = (left, top, left + box.border_width(), top + box.border_height())
        seen.bottom = max(seen.bottom, edges[3])
        seen.last_title = title
        rule = "overflow" if _outside(edges, self.area) else (
            "clipped" if clip and _outside(edges, clip) else None)
        if rule and rule not in {finding.rule for finding in seen.problems}:  # one a page
            name = box.text if isinstance(box, boxes.TextBox) else f"<{box.element_tag}>"
            seen.problems.append(Finding(rule, self.number, shorten(name)))


def _outside(box: tuple[float, ...], area: tuple[float, ...]) -> bool:
    """Whether `box` reaches beyond the right or the bottom of `area` (list markers hang to
    the left of their text by design)."""
    return box[2] > area[2] + TOLERANCE or box[3] > area[3] + TOLERANCE


def _text(element: Any) -> str:
    """How a finding names an element: its label for screen readers, else its text."""
    return shorten(element.get("aria-label") or "".join(element.itertext()))

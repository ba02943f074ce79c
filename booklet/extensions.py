"""Python-Markdown extensions for booklet sources: audience and country blocks, and citations.

`::: patient` … `:::` (Pandoc fenced-div style) keeps a block only for the named audiences;
`::: patient country=US` only for them in the United States.
`::: icon-array 6 in 10` … `:::` draws a risk picture; `::: steps Title` … `:::` around a
Markdown list draws it as a timeline of numbered steps.
`[@key]` / `[@a; @b]` cites references: numbered marks, or none for a plain sources list.
A fence is found by its line alone, wherever it stands (a list item, a box, a quote, a code
block, a table's rows): a line that holds ':::' elsewhere, or colons that only look like ':',
is refused, so a block never prints as text.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from booklet.errors import BookletError, combined, did_you_mean
from booklet.i18n import _, is_country
from booklet.references import Reference

FENCE = re.compile(r"^[ \t>]*:::(.*)$")  # indented in a list or box, or quoted, it still counts
COLON_NAME = re.compile(r"\b(COLON|RATIO)\b")  # FULLWIDTH COLON, MODIFIER LETTER COLON, RATIO…
# marks that look like ':' though their names do not say so (two dots, one above the other)
COLON_LOOKALIKES = frozenset("\u205a\u0589\u05c3\u1361\u16ec\u0703\u0704\u2e2a")
CONDITION = re.compile(r"^(?P<key>\w+)(?P<op>!?=)(?P<values>.*)$")
# anything that looks like a citation: a mistake is an error, not text. (?<!\s): the match
# starts where the space before the mark starts, not inside it, so a long run of spaces is
# scanned once, not once per space
CITATION = r"(?<!\s)\s*\[(@[^\]]*)\]"
CITATION_KEYS = re.compile(r"^@[\w-]+(?:\s*;\s*@[\w-]+)*$")
ICON_ARRAY = re.compile(r"^(?P<prefix>[ \t>]*):::\s*icon-array\b(?P<spec>.*)$")
ICON_SPEC = re.compile(r"^\s*(?P<count>\d{1,3})\s+in\s+(?P<total>\d{1,3})\s*$")
FIGURE_SLOT = "\u2063figure-{}\u2063"  # stands for an icon array until the HTML is clean
STEPS = re.compile(r"^(?P<prefix>[ \t>]*):::\s*steps\b(?P<title>.*)$")
STEPS_START, STEPS_END = "\u2063steps\u2063", "\u2063end-steps\u2063"  # until the tree is built
MAX_ICONS = 100
MAX_NESTING = 20  # quotes, lists and HTML elements inside each other
PREFIX = re.compile(r"^[ \t>]*")
TAG_NAME = re.compile(r"^[a-z][a-z0-9]*$")
# elements that do not nest (void), or whose end tag HTML lets one leave out
UNNESTED_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input",
                               "link", "meta", "source", "track", "wbr", "p", "li", "dt", "dd",
                               "tr", "td", "th", "thead", "tbody", "tfoot", "option"})
# Python-Markdown's time grows with the square of a paragraph's length, of its '[' count
# (each scans ahead for its ']'), of a list's items and of a section's HTML tags. Bounded so
# that the worst section takes about a second; the longest real one has 6,500 characters and
# 120 lines.
MAX_SECTION_CHARS, MAX_SECTION_LINES = 20_000, 1_000
MAX_BLOCK_CHARS = 5_000
MAX_BRACKETS = 100
MAX_TAGS = 200
TAG = re.compile(r"<[A-Za-z!?/]")
FILLED, OUTLINED = 'fill="#1b1b1b"', 'fill="#ffffff" stroke="#1b1b1b" stroke-width="2"'


@dataclass
class SourceFile:
    """Where Markdown text came from, so errors can name the file and line."""

    path: Path
    first_line: int
    text: str

    def line_of(self, needle: str) -> int | None:
        for number, line in enumerate(self.text.split("\n")):
            if needle in line:
                return self.first_line + number
        return None

    def check_size(self) -> None:
        """Refuses text that would make Markdown run for minutes: a very long section, a
        very long paragraph (or list or table: lines without a blank line between them), a
        paragraph with very many '[', or a section with very many HTML tags."""
        lines = self.text.split("\n")
        if len(self.text) > MAX_SECTION_CHARS or len(lines) > MAX_SECTION_LINES:
            raise BookletError(
                _("section is too long (%(chars)d characters, %(lines)d lines); the limits are "
                  "%(max_chars)d characters and %(max_lines)d lines")
                % {"chars": len(self.text), "lines": len(lines), "max_chars": MAX_SECTION_CHARS,
                   "max_lines": MAX_SECTION_LINES},
                self.path, hint=_("split it into several sections"))
        tags = 0
        start, size, brackets = 0, 0, 0  # the current block: its first line, length, '['
        for number, line in enumerate([*lines, ""]):
            tags += len(TAG.findall(line))
            if tags > MAX_TAGS:
                raise BookletError(_("more than %(limit)d HTML tags in one section")
                                   % {"limit": MAX_TAGS}, self.path, self.first_line + number,
                                   _("write it in Markdown (raw HTML is removed for safety)"))
            if not line.strip():
                start, size, brackets = number + 1, 0, 0
                continue
            size, brackets = size + len(line) + 1, brackets + line.count("[")
            if size > MAX_BLOCK_CHARS:
                raise BookletError(_("paragraph is more than %(limit)d characters long")
                                   % {"limit": MAX_BLOCK_CHARS}, self.path,
                                   self.first_line + start,
                                   _("split it with blank lines (lists and tables too)"))
            if brackets > MAX_BRACKETS:
                raise BookletError(_("more than %(limit)d '[' in one paragraph")
                                   % {"limit": MAX_BRACKETS}, self.path, self.first_line + start,
                                   _("split the paragraph, or write \\[ for a bracket that "
                                     "opens no link or citation"))

    def too_deep(self) -> tuple[int, int] | None:
        """(file line, depth) of the first line nested more than MAX_NESTING deep, in quotes
        and list indentation or in raw HTML elements: deeper, Markdown and the layout would
        run out of stack."""
        for number, line in enumerate(self.text.split("\n")):
            prefix = PREFIX.match(line)[0]  # type: ignore[index]
            depth = prefix.count(">") + len(prefix.replace(">", "").expandtabs(4)) // 4
            if depth > MAX_NESTING:
                return self.first_line + number, depth
        elements = _ElementDepth()
        elements.feed(self.text)
        if elements.deepest:
            return self.first_line + elements.deepest[0] - 1, elements.deepest[1]
        return None

    def fence_mistake(self) -> BookletError | None:
        """The first line that would print a fence as text: ':::' not at the start of its
        line, or a fence typed with characters that only look like ':'."""
        for number, line in enumerate(self.text.split("\n"), start=self.first_line):
            if ":::" not in as_seen(line) or FENCE.match(line.rstrip()):
                continue
            if ":::" in line:
                return BookletError(_("':::' must stand alone at the start of a line"),
                                    self.path, number,
                                    _("put the block's ':::' lines on lines of their own"))
            odd = dict.fromkeys(c for c in line if as_seen(c) != c)
            return BookletError(
                _("block fence written with %(characters)s instead of ':'") % {
                    "characters": ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}"
                                            for c in odd)},
                self.path, number,
                _("type the fence with three plain colons ':::' and no invisible characters"))
        return None


def as_seen(text: str) -> str:
    """Text as it looks on the page: compatibility forms folded (NFKC: a fullwidth or small
    colon is ':'), invisible format characters (zero-width spaces, joiners) left out, and any
    other character Unicode names a colon or a ratio read as ':'."""
    if text.isascii():
        return text
    return "".join(":" if c in COLON_LOOKALIKES or COLON_NAME.search(unicodedata.name(c, ""))
                   else c
                   for c in unicodedata.normalize("NFKC", text)
                   if unicodedata.category(c) != "Cf")


class _ElementDepth(HTMLParser):
    """Finds where raw HTML first nests more than MAX_NESTING elements deep: (line, depth)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.deepest: tuple[int, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UNNESTED_ELEMENTS or not TAG_NAME.match(tag):  # <https://…> is a link
            return
        self.open.append(tag)
        if len(self.open) > MAX_NESTING and self.deepest is None:
            self.deepest = (self.getpos()[0], len(self.open))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]


@dataclass(frozen=True)
class Reader:
    """Who one build is for: an audience and, for a country's copy, its ISO 3166 code."""

    audience: str
    country: str | None = None


@dataclass(frozen=True)
class Block:
    """An opening fence: `::: patient clinician country=US,CA` shows its lines to patients
    and clinicians in the US or Canada; `country!=US` to everyone outside the US (a copy with
    no country matches only `!=`)."""

    label: str  # the fence's words, as written
    names: tuple[str, ...]
    countries: tuple[tuple[bool, frozenset[str]], ...]  # (negated, codes)
    line: int

    def shows(self, reader: Reader) -> bool:
        if self.names and reader.audience not in self.names:
            return False
        return all((reader.country in codes) != negated for negated, codes in self.countries)


def parse_fence(words: list[str], audiences: list[str], path: Path, line: int) -> Block:
    """The audiences and conditions of an opening fence, each checked."""
    names: list[str] = []
    countries: list[tuple[bool, frozenset[str]]] = []
    for word in words:
        condition = CONDITION.match(word)
        if condition is None:
            if word not in audiences:
                raise BookletError(_("unknown audience '%(name)s'") % {"name": word}, path, line,
                                   did_you_mean(word, audiences))
            names.append(word)
            continue
        if condition["key"] != "country":
            raise BookletError(_("unknown block condition '%(condition)s'") % {"condition": word},
                               path, line, _("conditions are country=CC or country!=CC, e.g. "
                                             "country=GB,IE"))
        codes = condition["values"].split(",")
        for code in codes:
            if not is_country(code):
                raise BookletError(_("'%(code)s' in '%(condition)s' is not an ISO 3166 country "
                                     "code") % {"code": code, "condition": word},
                                   path, line, _("use two capital letters, e.g. GB, US, IE, AU"))
        countries.append((condition["op"] == "!=", frozenset(codes)))
    return Block(" ".join(words), tuple(names), tuple(countries), line)


class AudiencePreprocessor(Preprocessor):
    """Drops the lines of blocks that are not for this build's reader, and every fence line,
    wherever the block stands: at the top, in a list item, a box or a quote."""

    def __init__(self, md: Markdown, reader: Reader, audiences: list[str], source: SourceFile):
        super().__init__(md)
        self.reader = reader
        self.audiences = audiences
        self.source = source

    def run(self, lines: list[str]) -> list[str]:
        kept: list[str] = []
        opened: list[Block] = []  # a country block may stand inside an audience block
        for index, line in enumerate(lines):
            match = FENCE.match(line.rstrip())
            if not match:
                if all(block.shows(self.reader) for block in opened):
                    kept.append(line)
                continue
            number = self.source.first_line + index
            words = match[1].split()
            if not words:
                if not opened:
                    raise BookletError(_("':::' closes no open block"), self.source.path, number,
                                       _("remove it, or open a block with '::: patient' above"))
                opened.pop()
                continue
            block = parse_fence(words, self.audiences, self.source.path, number)
            if opened and (block.names or not opened[-1].names):
                outer = opened[-1]
                raise BookletError(
                    _("'::: %(label)s' opens a block inside the '::: %(outer)s' block opened on "
                      "line %(line)d; blocks cannot be nested") % {
                        "label": block.label, "outer": outer.label, "line": outer.line},
                    self.source.path, number, _("close the first block with ':::' before this "
                                                "line (only a country= block may stand inside "
                                                "an audience block)"))
            opened.append(block)
        if opened:
            raise BookletError(_("'::: %(label)s' block is never closed")
                               % {"label": opened[-1].label}, self.source.path, opened[-1].line,
                               _("add a line ':::' where the block ends"))
        return kept


@dataclass(frozen=True)
class IconArray:
    """`::: icon-array 6 in 10` then a caption, then `:::`: a risk picture of `total` people,
    `count` of them filled in (filled and outlined, so it reads in black and white)."""

    count: int
    total: int
    caption: str

    def svg(self) -> str:
        columns = min(self.total, 10)
        rows = -(-self.total // columns)
        people = []
        for index in range(self.total):
            x, y = (index % columns) * 24 + 12, (index // columns) * 44 + 4
            paint = FILLED if index < self.count else OUTLINED
            people.append(f'<circle cx="{x}" cy="{y + 7}" r="6" {paint}/>'
                          f'<path d="M{x - 9} {y + 38} v-16 a9 9 0 0 1 18 0 v16 z" {paint}/>')
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {columns * 24} '
                f'{rows * 44}" width="{columns * 24}" height="{rows * 44}">'
                + "".join(people) + "</svg>")


class IconArrayPreprocessor(Preprocessor):
    """Takes each icon-array block out of the text, leaving a slot that render fills with
    the picture once the HTML has been cleaned."""

    def __init__(self, md: Markdown, figures: list[IconArray], source: SourceFile):
        super().__init__(md)
        self.figures, self.source = figures, source

    def run(self, lines: list[str]) -> list[str]:
        kept: list[str] = []
        opened: tuple[int, str, IconArray] | None = None  # (line, prefix, numbers)
        caption: list[str] = []
        for index, line in enumerate(lines):
            number = self.source.first_line + index
            if opened is None:
                match = ICON_ARRAY.match(line.rstrip())
                if match:
                    opened = (number, match["prefix"], self._numbers(match["spec"], number))
                    caption = []
                else:
                    kept.append(line)
                continue
            fence = FENCE.match(line.rstrip())
            if fence and fence[1].strip():
                raise BookletError(
                    _("'::: %(label)s' opens a block inside the icon-array opened on line "
                      "%(line)d; an icon-array holds only its caption") % {
                        "label": " ".join(fence[1].split()), "line": opened[0]},
                    self.source.path, number, _("close the icon-array with ':::' after its "
                                                "caption, then open the block"))
            if fence:
                start, prefix, numbers = opened
                text = " ".join(caption).strip()
                if not text:
                    raise BookletError(_("icon-array has no caption"), self.source.path, start,
                                       _("write what the picture shows on the lines before "
                                         "':::'"))
                self.figures.append(IconArray(numbers.count, numbers.total, text))
                kept += [prefix.rstrip(), prefix + FIGURE_SLOT.format(len(self.figures) - 1),
                         prefix.rstrip()]
                opened = None
            else:
                caption.append(line.strip().lstrip(">").strip())
        if opened is not None:
            raise BookletError(_("'::: icon-array' block is never closed"), self.source.path,
                               opened[0], _("add a line ':::' after its caption"))
        return kept

    def _numbers(self, spec: str, line: int) -> IconArray:
        match = ICON_SPEC.match(spec)
        if not match:
            raise BookletError(_("icon-array '%(spec)s' is not 'N in TOTAL'")
                               % {"spec": spec.strip()}, self.source.path, line,
                               _("write e.g. '::: icon-array 6 in 10'"))
        count, total = int(match["count"]), int(match["total"])
        if not 1 <= total <= MAX_ICONS or count > total:
            raise BookletError(_("icon-array %(count)d in %(total)d cannot be drawn")
                               % {"count": count, "total": total}, self.source.path, line,
                               _("the count must be at most the total, and the total 1 to "
                                 "%(limit)d") % {"limit": MAX_ICONS})
        return IconArray(count, total, "")


class StepsPreprocessor(Preprocessor):
    """Marks where each `::: steps Title` block starts and ends, so that StepsTimeline can
    wrap the list between the marks once Markdown has parsed it."""

    def __init__(self, md: Markdown, source: SourceFile):
        super().__init__(md)
        self.source = source

    def run(self, lines: list[str]) -> list[str]:
        kept: list[str] = []
        opened: tuple[int, str] | None = None  # (line, prefix)
        for index, line in enumerate(lines):
            number = self.source.first_line + index
            fence = FENCE.match(line.rstrip())
            if opened is None:
                match = STEPS.match(line.rstrip())
                if match is None:
                    kept.append(line)
                    continue
                if not match["title"].strip():
                    raise BookletError(_("'::: steps' has no title"), self.source.path, number,
                                       _("write it after the word, e.g. '::: steps Your visit'"))
                opened = (number, match["prefix"])
                kept += [match["prefix"].rstrip(),
                         match["prefix"] + STEPS_START + match["title"].strip(),
                         match["prefix"].rstrip()]
            elif fence and fence[1].strip():
                raise BookletError(_("'::: %(label)s' inside a '::: steps' block")
                                   % {"label": fence[1].strip()}, self.source.path, number,
                                   _("close the steps block with ':::' first; a steps block "
                                     "holds one list"))
            elif fence:
                kept += [opened[1].rstrip(), opened[1] + STEPS_END, opened[1].rstrip()]
                opened = None
            else:
                kept.append(line)
        if opened is not None:
            raise BookletError(_("'::: steps' block is never closed"), self.source.path,
                               opened[0], _("add a line ':::' after its list"))
        return kept


class StepsTimeline(Treeprocessor):
    """Turns each marked steps block into `<div class="steps">`: its title, then its one list,
    which print.css draws as numbered points on a line."""

    def __init__(self, md: Markdown, source: SourceFile):
        super().__init__(md)
        self.source = source

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            children = list(parent)
            for start in [c for c in children if (c.text or "").startswith(STEPS_START)]:
                position = list(parent).index(start)
                inside = []
                for element in list(parent)[position + 1:]:
                    if element.tag == "p" and element.text == STEPS_END:
                        parent.remove(element)
                        break
                    inside.append(element)
                title = start.text[len(STEPS_START):]
                if [element.tag for element in inside] not in (["ol"], ["ul"]):
                    raise BookletError(_("'::: steps %(title)s' must hold one list and nothing "
                                         "else") % {"title": title}, self.source.path,
                                       self.source.line_of(f"steps {title}"),
                                       _("write each step as '1. …' between the ':::' lines"))
                timeline = etree.Element("div", {"class": "steps"})
                timeline.tail = "\n"
                start.text, start.attrib["class"] = title, "steps-title"
                parent.remove(start)
                parent.remove(inside[0])
                timeline.extend([start, inside[0]])
                parent.insert(position, timeline)


@dataclass
class Citations:
    """The references an edition cites, numbered in order of first citation."""

    references: dict[str, Reference]
    numbered: bool
    order: list[str] = field(default_factory=list)

    def cite(self, key: str) -> int:
        if key not in self.order:
            self.order.append(key)
        return self.order.index(key) + 1

    @property
    def cited(self) -> list[Reference]:
        return [self.references[key] for key in self.order]


class CitationProcessor(InlineProcessor):
    """`[@key]` and `[@a; @b]`: a mark for each (numbered editions) or none (sources lists).
    Every mistake is kept in `errors`, so a section's citations are all checked at once."""

    def __init__(self, md: Markdown, citations: Citations, source: SourceFile,
                 errors: list[BookletError]):
        super().__init__(CITATION, md)
        self.citations = citations
        self.source = source
        self.errors = errors

    def handleMatch(self, m: re.Match, data: str):
        if not CITATION_KEYS.match(m[1].strip()):
            written = "[" + " ".join(m[1].split()) + "]"
            self.errors.append(BookletError(
                _("citation '%(citation)s' is not '[@key]' or '[@key1; @key2]'")
                % {"citation": written}, self.source.path, self.source.line_of(m[0].strip()),
                _("write each reference's key after its @, with ';' between keys")))
            return None, None, None
        keys = [key.strip().lstrip("@") for key in m[1].split(";")]
        unknown = [key for key in keys if key not in self.citations.references]
        for key in unknown:
            self.errors.append(BookletError(
                _("citation to unknown reference '@%(key)s'") % {"key": key}, self.source.path,
                self.source.line_of(f"@{key}"),
                did_you_mean(key, self.citations.references) if self.citations.references
                else _("add it to references.yaml")))
        if unknown:
            return None, None, None
        if not self.citations.numbered:
            for key in keys:
                self.citations.cite(key)
            return "", m.start(0), m.end(0)
        mark = etree.Element("span", {"class": "cite", "data-cite": ";".join(keys)})
        return mark, m.start(0), m.end(0)  # numbered in reading order by CitationNumbers


class CitationNumbers(Treeprocessor):
    """Numbers the citation marks in reading order (Vancouver: first cited, first numbered);
    the inline pass meets them out of order, nested lists and tables last."""

    def __init__(self, md: Markdown, citations: Citations):
        super().__init__(md)
        self.citations = citations

    def run(self, root: etree.Element) -> None:
        for mark in [span for span in root.iter("span") if "data-cite" in span.attrib]:
            keys = mark.attrib.pop("data-cite").split(";")
            mark.text = "\u00a0["
            for position, key in enumerate(keys):
                link = etree.SubElement(mark, "a", {"href": f"#ref-{key}"})
                link.text = str(self.citations.cite(key))
                link.tail = "]" if position == len(keys) - 1 else ", "


class RaiseErrors(Postprocessor):
    """Raises every mistake the inline pass found in the section, together, at its end."""

    def __init__(self, md: Markdown, errors: list[BookletError]):
        super().__init__(md)
        self.errors = errors

    def run(self, text: str) -> str:
        if self.errors:
            raise combined(list({str(error): error for error in self.errors}.values()))
        return text


class BookletExtension(Extension):
    """Registers the audience filter, the pictures and the citation marks for one section of
    one edition."""

    def __init__(self, reader: Reader, audiences: list[str], citations: Citations,
                 source: SourceFile):
        super().__init__()
        self.reader, self.audiences = reader, audiences
        self.citations, self.source = citations, source
        self.figures: list[IconArray] = []  # icon arrays, by slot number
        self.errors: list[BookletError] = []  # mistakes found by the inline pass

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 35 runs before whitespace normalisation, so line numbers match the file.
        md.preprocessors.register(StepsPreprocessor(md, self.source), "steps", 37)
        md.preprocessors.register(
            IconArrayPreprocessor(md, self.figures, self.source), "icon-array", 36)
        md.preprocessors.register(
            AudiencePreprocessor(md, self.reader, self.audiences, self.source), "audience", 35)
        md.inlinePatterns.register(
            CitationProcessor(md, self.citations, self.source, self.errors), "citation", 175)
        md.treeprocessors.register(CitationNumbers(md, self.citations), "citation-numbers", 5)
        md.treeprocessors.register(StepsTimeline(md, self.source), "steps", 4)
        md.postprocessors.register(RaiseErrors(md, self.errors), "raise-errors", 0)

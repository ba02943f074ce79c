"""Takes a finished copy of an edition and another clinic's cover and back pages (a small PDF
laid out on its own), gives that clinic's copy: the pages between are reused as they are, not
laid out again.

Clinics that share an edition, paper and colour differ only on the cover and the back pages
(the care team panel and imprint, then the crisis help), which end the booklet. A copy is
spliced only when the clinic's back pages are as many as the shared copy's, so every page
keeps its number and the page count stays. The clinic's pages bring their own content,
resources, links and tags: their structure elements (links with their annotations) replace the
old pages' elements, the parent tree maps their marked content and links, and the bookmarks
and named destinations on those pages point where the clinic's pages put them, so the copy
stays a tagged PDF/UA file. The document information and XMP metadata (title, keywords) come
from the clinic's pages; the old pages' objects are not written, so no trace of another clinic
is left in the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf

BACK_MATTER = "care-team"  # the id of the back pages' first element (templates/back.html)

ObjGen = tuple[int, int]


class CannotSplice(Exception):
    """The files are not of the shape splicing needs; build the copy in full instead."""


class OtherBackPages(CannotSplice):
    """The clinic's back matter takes another number of pages than the shared copy's."""

    def __init__(self, pages: int) -> None:
        super().__init__(f"the clinic's back matter takes {pages} pages")
        self.pages = pages


@contextmanager
def _expected_shape() -> Iterator[None]:
    """A file of a shape the code here does not expect is a CannotSplice, not a crash."""
    try:
        yield
    except (KeyError, IndexError, AttributeError, TypeError, ValueError,
            pikepdf.PdfError) as error:
        raise CannotSplice(f"unexpected structure: {error!r}") from error


@lru_cache(maxsize=8)
def back_pages(data: bytes) -> int:
    """How many pages a copy's back matter takes (its care team panel to the end); the copies
    made from one body ask once."""
    with _expected_shape(), Pdf.open(io.BytesIO(data)) as pdf:
        return _back_pages(pdf)


def splice_clinic_pages(body: bytes, clinic_pages: bytes) -> bytes:
    """`body` with its cover and back pages replaced by the pages of `clinic_pages`."""
    with _expected_shape():
        return _splice(body, clinic_pages)


def _splice(body: bytes, clinic_pages: bytes) -> bytes:
    with Pdf.open(io.BytesIO(body)) as pdf, Pdf.open(io.BytesIO(clinic_pages)) as source:
        back = len(source.pages) - 1
        if _back_pages(source) != back:
            raise CannotSplice("the clinic's pages are not one cover and its back matter")
        if _back_pages(pdf) != back:
            raise OtherBackPages(back)
        pages = [pdf.pages[0].obj, *(page.obj for page in pdf.pages[len(pdf.pages) - back:])]
        page_map = {source_page.obj.objgen: page
                    for source_page, page in zip(source.pages, pages, strict=True)}
        document, source_document = _document(pdf), _document(source)
        parent_tree, source_parent_tree = _parent_tree(pdf), _parent_tree(source)
        old_front, old_back = _ends(document, pages)
        new_front, new_back = _ends(source_document, [page.obj for page in source.pages])
        if len(new_front) + len(new_back) != len(source_document.K):
            raise CannotSplice("the clinic's pages hold more than its cover and back matter")
        kids = list(document.K)
        middle = kids[len(old_front):len(kids) - len(old_back)]
        _check_apart(document, middle, pages, parent_tree)
        for page in pages:  # the other clinic's links go, with their parent tree entries
            for annot in page.get("/Annots", []):
                parent_tree.pop(int(annot.get("/StructParent", -1)), None)
            if "/Annots" in page:
                del page["/Annots"]
        annots = _copy_annots(pdf, source, page_map)
        copied: dict[ObjGen, pikepdf.Object] = {}
        for top in _top_elements(source_document, source_parent_tree):
            _copy_element(pdf, top, document, page_map, annots, copied)
        document.K = Array([copied[kid.objgen] for kid in new_front] + middle
                           + [copied[kid.objgen] for kid in new_back])
        for source_page in source.pages:
            page = page_map[source_page.obj.objgen]
            page.Contents = pdf.copy_foreign(source_page.obj.Contents)
            page.Resources = pdf.copy_foreign(source_page.obj.Resources)
            key = source_page.obj.get("/StructParents")
            if key is None or "/StructParents" not in page:
                raise CannotSplice("a page without marked content")
            parent_tree[int(page.StructParents)] = Array(
                copied[entry.objgen] for entry in source_parent_tree[int(key)])
        next_key = max(parent_tree) + 1
        for source_annot, annot in annots.values():
            link = source_parent_tree.get(int(source_annot.get("/StructParent", -1)))
            if link is not None:
                annot.StructParent = next_key
                parent_tree[next_key] = copied[link.objgen]
                next_key += 1
        numbers = []
        for key in sorted(parent_tree):
            numbers += [key, parent_tree[key]]
        pdf.Root.StructTreeRoot.ParentTree.Nums = Array(numbers)
        if "/ParentTreeNextKey" in pdf.Root.StructTreeRoot:
            pdf.Root.StructTreeRoot.ParentTreeNextKey = next_key
        _retarget_outline(pdf, source, page_map)
        _retarget_names(pdf, source, page_map)
        pdf.docinfo = pdf.copy_foreign(source.docinfo)
        pdf.Root.Metadata = pdf.copy_foreign(source.Root.Metadata)
        output = io.BytesIO()
        pdf.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True)
        return output.getvalue()


def _back_pages(pdf: Pdf) -> int:
    destination = _names(pdf).get(BACK_MATTER)
    if destination is None:
        raise CannotSplice(f"no '{BACK_MATTER}' destination")
    numbers = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    return len(pdf.pages) - numbers[destination[0].objgen]


def _document(pdf: Pdf) -> pikepdf.Object:
    kids = pdf.Root.StructTreeRoot.K
    element = kids[0] if isinstance(kids, Array) else kids
    if element.get("/S") != Name.Document:
        raise CannotSplice("no /Document structure element")
    return element


def _parent_tree(pdf: Pdf) -> dict[int, pikepdf.Object]:
    tree = pdf.Root.StructTreeRoot.ParentTree
    if "/Kids" in tree:
        raise CannotSplice("a parent tree with kids")
    numbers = list(tree.Nums)
    return {int(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}


def _names(pdf: Pdf) -> dict[str, pikepdf.Object]:
    """The named destinations (a flat name tree, as WeasyPrint writes them)."""
    tree = pdf.Root.get("/Names", {}).get("/Dests", Dictionary())
    if "/Kids" in tree:
        raise CannotSplice("a destination tree with kids")
    numbers = list(tree.get("/Names", []))
    return {str(numbers[i]): numbers[i + 1] for i in range(0, len(numbers), 2)}


def _pages_of(element: pikepdf.Object) -> set[ObjGen]:
    """The pages (object numbers) an element's marked content is on."""
    found = set()
    if isinstance(element, Dictionary):
        if "/Pg" in element:
            found.add(element.Pg.objgen)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, Array) else [kids]:
            found |= _pages_of(kid)
    return found


def _ends(document: pikepdf.Object, pages: list) -> tuple[list, list]:
    """The document's top-level elements all on the cover (pages[0]), at its start, and those
    all on the back pages (the others), at its end."""
    cover = {pages[0].objgen}
    back = {page.objgen for page in pages[1:]}
    kids = list(document.K)
    front = []
    for kid in kids:
        if _pages_of(kid) != cover:
            break
        front.append(kid)
    end = []
    for kid in reversed(kids[len(front):]):
        found = _pages_of(kid)
        if not found or not found <= back:
            break
        end.append(kid)
    if not front or not end:
        raise CannotSplice("a page's content is not in top-level elements of its own")
    return front, end[::-1]


def _top(element: pikepdf.Object, document: pikepdf.Object) -> pikepdf.Object:
    """The element just below the document that holds `element`."""
    while element.P.objgen != document.objgen:
        element = element.P
    return element


def _check_apart(document: pikepdf.Object, kept: list, pages: list,
                 parent_tree: dict[int, pikepdf.Object]) -> None:
    """No element that stays has content on a page that is replaced."""
    kept_ids = {kid.objgen for kid in kept}
    for page in pages:
        for entry in parent_tree.get(int(page.get("/StructParents", -1)), []):
            if isinstance(entry, Dictionary) and _top(entry, document).objgen in kept_ids:
                raise CannotSplice("a section runs onto the pages to replace")


def _top_elements(document: pikepdf.Object, parent_tree: dict[int, pikepdf.Object]
                  ) -> list[pikepdf.Object]:
    """The elements just below the document: its kids, then any that only the parent tree
    reaches (WeasyPrint leaves margin-box elements unlisted)."""
    tops = list(document.K)
    seen = {top.objgen for top in tops}
    for value in parent_tree.values():
        for entry in value if isinstance(value, Array) else [value]:
            top = _top(entry, document)
            if top.objgen not in seen:
                seen.add(top.objgen)
                tops.append(top)
    return tops


def _copy_annots(pdf: Pdf, source: Pdf, page_map: dict[ObjGen, pikepdf.Object]
                 ) -> dict[ObjGen, tuple[pikepdf.Object, pikepdf.Object]]:
    """The clinic pages' annotations (links) put on the pages they replace: source annotation
    → (itself, its copy). Their /StructParent is set once the parent tree has room."""
    annots = {}
    for source_page in source.pages:
        page = page_map[source_page.obj.objgen]
        copies = []
        for annot in source_page.obj.get("/Annots", []):
            copy = pdf.make_indirect(Dictionary({
                key: page if key == "/P" else _foreign(pdf, value, page_map)
                for key, value in annot.items() if key != "/StructParent"}))
            annots[annot.objgen] = (annot, copy)
            copies.append(copy)
        if copies:
            page.Annots = Array(copies)
    return annots


def _copy_element(pdf: Pdf, element: pikepdf.Object, parent: pikepdf.Object,
                  page_map: dict[ObjGen, pikepdf.Object], annots: dict,
                  copied: dict[ObjGen, pikepdf.Object]) -> pikepdf.Object:
    """A copy in `pdf` of a structure element, marked-content or object reference, pointing at
    `parent`, the pages in `page_map` and the annotations in `annots`; `copied` maps the
    source elements to their copies."""
    if not isinstance(element, Dictionary):
        return element  # a marked-content id
    copy = Dictionary()
    target = pdf.make_indirect(copy) if element.is_indirect else copy
    for key, value in element.items():
        if key == "/P":
            target[key] = parent
        elif key == "/Pg":
            target[key] = _page(value, page_map)
        elif key == "/Obj":
            if value.objgen not in annots:
                raise CannotSplice("a structure element refers to an object off its page")
            target[key] = annots[value.objgen][1]
        elif key == "/K":
            kids = [_copy_element(pdf, kid, target, page_map, annots, copied)
                    for kid in (value if isinstance(value, Array) else [value])]
            target[key] = Array(kids) if isinstance(value, Array) else kids[0]
        else:
            target[key] = _foreign(pdf, value, page_map)
    if element.is_indirect:
        copied[element.objgen] = target
    return target


def _page(page: pikepdf.Object, page_map: dict[ObjGen, pikepdf.Object]) -> pikepdf.Object:
    if page.objgen not in page_map:
        raise CannotSplice("a reference to a page that is not replaced")
    return page_map[page.objgen]


def _foreign(pdf: Pdf, value: pikepdf.Object, page_map: dict[ObjGen, pikepdf.Object]
             ) -> pikepdf.Object:
    """`value` from the clinic's file made usable in `pdf` (pikepdf copies only indirect
    objects), its pages the ones they replace."""
    if not isinstance(value, pikepdf.Object):
        return value  # numbers and names come back as Python values
    if value.is_indirect:
        if value.objgen in page_map:
            return page_map[value.objgen]
        if isinstance(value, Dictionary) and value.get("/Type") == Name.Page:
            raise CannotSplice("a reference to a page that is not replaced")
        return pdf.copy_foreign(value)
    if isinstance(value, Dictionary):
        return Dictionary({key: _foreign(pdf, item, page_map) for key, item in value.items()})
    if isinstance(value, Array):
        return Array(_foreign(pdf, item, page_map) for item in value)
    return value


def _outline_items(pdf: Pdf) -> list[pikepdf.Object]:
    """Every bookmark, depth first."""
    found = []

    def walk(item: pikepdf.Object | None) -> None:
        while item is not None:
            found.append(item)
            walk(item.get("/First"))
            item = item.get("/Next")

    walk(pdf.Root.get("/Outlines", Dictionary()).get("/First"))
    return found


def _retarget_outline(pdf: Pdf, source: Pdf, page_map: dict[ObjGen, pikepdf.Object]) -> None:
    """The bookmarks into the replaced pages point where the clinic's pages have them."""
    replaced = {page.objgen for page in page_map.values()}
    old = [item for item in _outline_items(pdf) if _target(item) in replaced]
    new = _outline_items(source)
    if [str(item.Title) for item in old] != [str(item.Title) for item in new]:
        raise CannotSplice("the bookmarks on the pages to replace differ")
    for item, source_item in zip(old, new, strict=True):
        item.Dest = _foreign(pdf, source_item.Dest, page_map)


def _target(item: pikepdf.Object) -> ObjGen | None:
    destination = item.get("/Dest")
    if not isinstance(destination, Array):
        raise CannotSplice("a bookmark without a page destination")
    return destination[0].objgen


def _retarget_names(pdf: Pdf, source: Pdf, page_map: dict[ObjGen, pikepdf.Object]) -> None:
    """The named destinations on the replaced pages point where the clinic's pages have
    them (links into the back pages, such as to the crisis help, use these)."""
    replaced = {page.objgen for page in page_map.values()}
    wanted = _names(source)
    names = list(pdf.Root.Names.Dests.Names)
    if {str(names[i]) for i in range(0, len(names), 2)
            if names[i + 1][0].objgen in replaced} != set(wanted):
        raise CannotSplice("the named destinations on the pages to replace differ")
    for i in range(0, len(names), 2):
        if str(names[i]) in wanted:
            names[i + 1] = _foreign(pdf, wanted[str(names[i])], page_map)
    pdf.Root.Names.Dests.Names = Array(names)

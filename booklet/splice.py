"""Takes a finished copy of an edition and another clinic's cover and back page (a 2-page PDF),
gives that clinic's copy: the pages between are reused as they are, not laid out again.

Clinics that share an edition, paper and colour differ only on the cover and the back page
(page numbers are fixed; the back page keeps its number). The clinic's two pages bring their
own content, resources and tags: their structure elements replace the old pages' elements and
the parent tree maps their marked content, so the copy stays a tagged PDF/UA file. The
document information and XMP metadata (title, keywords) come from the clinic's pages; the old
pages' objects are not written, so no trace of another clinic is left in the file.
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf


class CannotSplice(Exception):
    """The files are not of the shape splicing needs; build the copy in full instead."""


def splice_clinic_pages(body: bytes, clinic_pages: bytes) -> bytes:
    """`body` with its first and last pages replaced by the two pages of `clinic_pages`."""
    with Pdf.open(io.BytesIO(body)) as pdf, Pdf.open(io.BytesIO(clinic_pages)) as source:
        if len(source.pages) != 2:
            raise CannotSplice(f"the clinic's cover and back page take {len(source.pages)} pages")
        document, source_document = _document(pdf), _document(source)
        parent_tree, source_parent_tree = _parent_tree(pdf), _parent_tree(source)
        listed = {kid.objgen for kid in source_document.K}
        for page, source_page in ((pdf.pages[0], source.pages[0]),
                                  (pdf.pages[-1], source.pages[1])):
            if "/Annots" in page.obj or "/Annots" in source_page.obj:
                raise CannotSplice("pages with links or annotations")
            page.obj.Contents = pdf.copy_foreign(source_page.obj.Contents)
            page.obj.Resources = pdf.copy_foreign(source_page.obj.Resources)
            entries = source_parent_tree[int(source_page.obj.StructParents)]
            copied: dict[tuple[int, int], pikepdf.Object] = {}
            new_kids = []
            for top in _top_elements(source_document, source_page.obj, entries):
                copy = _copy_element(pdf, top, document, page.obj, copied)
                if top.objgen in listed:  # WeasyPrint leaves margin-box elements unlisted
                    new_kids.append(copy)
            old = {kid.objgen for kid in _kids_on_page(document, page.obj)}
            if len(old) != len(new_kids):  # e.g. the other clinic's back ran over two pages
                raise CannotSplice("the pages to replace do not hold the same sections")
            kids = list(document.K)
            position = next(i for i, kid in enumerate(kids) if kid.objgen in old)
            kept = [kid for kid in kids if kid.objgen not in old]
            document.K = Array(kept[:position] + new_kids + kept[position:])
            parent_tree[int(page.obj.StructParents)] = Array(
                copied[entry.objgen] for entry in entries)
        numbers = []
        for key in sorted(parent_tree):
            numbers += [key, parent_tree[key]]
        pdf.Root.StructTreeRoot.ParentTree.Nums = Array(numbers)
        pdf.docinfo = pdf.copy_foreign(source.docinfo)
        pdf.Root.Metadata = pdf.copy_foreign(source.Root.Metadata)
        output = io.BytesIO()
        pdf.save(output, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True)
        return output.getvalue()


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


def _pages_of(element: pikepdf.Object) -> set[tuple[int, int]]:
    """The pages (object numbers) an element's marked content is on."""
    found = set()
    if isinstance(element, Dictionary):
        if "/Pg" in element:
            found.add(element.Pg.objgen)
        kids = element.get("/K")
        for kid in kids if isinstance(kids, Array) else [kids]:
            found |= _pages_of(kid)
    return found


def _kids_on_page(document: pikepdf.Object, page: pikepdf.Object) -> list[pikepdf.Object]:
    """The document's top-level elements whose content is all on `page`, the first or the last
    page: the run of such elements at the start or the end of the document."""
    kids = list(document.K)
    found = []
    for kids_in_order in (kids, kids[::-1]):
        for kid in kids_in_order:
            if _pages_of(kid) != {page.objgen}:
                break
            found.append(kid)
        if found:
            return found if kids_in_order is kids else found[::-1]
    raise CannotSplice("a page's content is not in top-level elements of its own")


def _top_elements(document: pikepdf.Object, page: pikepdf.Object,
                  entries: pikepdf.Object) -> list[pikepdf.Object]:
    """The elements just below the document that hold a page's marked content: those in the
    document's kids first, then any that only the parent tree reaches."""
    tops = _kids_on_page(document, page)
    seen = {top.objgen for top in tops}
    for entry in entries:
        element = entry
        while element.P.objgen != document.objgen:
            element = element.P
        if element.objgen not in seen:
            seen.add(element.objgen)
            tops.append(element)
    return tops


def _copy_element(pdf: Pdf, element: pikepdf.Object, parent: pikepdf.Object,
                  page: pikepdf.Object, copied: dict) -> pikepdf.Object:
    """A copy in `pdf` of a structure element or marked-content reference, pointing at `parent`
    and `page`; `copied` maps the source elements to their copies."""
    if not isinstance(element, Dictionary):
        return element  # a marked-content id
    if element.get("/Type") == Name.OBJR:
        raise CannotSplice("object references (links) in the structure")
    copy = Dictionary()
    target = pdf.make_indirect(copy) if element.is_indirect else copy
    for key, value in element.items():
        if key == "/P":
            target[key] = parent
        elif key == "/Pg":
            target[key] = page
        elif key == "/K":
            kids = [_copy_element(pdf, kid, target, page, copied)
                    for kid in (value if isinstance(value, Array) else [value])]
            target[key] = Array(kids) if isinstance(value, Array) else kids[0]
        else:
            target[key] = _foreign(pdf, value)
    if element.is_indirect:
        copied[element.objgen] = target
    return target


def _foreign(pdf: Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """`value` from another file made usable in `pdf` (pikepdf copies only indirect objects)."""
    if not isinstance(value, pikepdf.Object):
        return value  # numbers and names come back as Python values
    if value.is_indirect:
        return pdf.copy_foreign(value)
    if isinstance(value, Dictionary):
        return Dictionary({key: _foreign(pdf, item) for key, item in value.items()})
    if isinstance(value, Array):
        return Array(_foreign(pdf, item) for item in value)
    return value

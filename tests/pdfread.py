"""Reading built PDFs the way a reader's software does: text, outline, fonts, tags."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

TOC_LINE = re.compile(r"^(?P<title>.+?)[\s.]*\.\s*(?P<page>\d+)$")


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def full_text(path: Path) -> str:
    """All text, with line breaks and hyphenation undone so phrases can be searched."""
    text = "\n".join(page_texts(path))
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    return " ".join(text.split())


def outline(path: Path, heights: bool = False) -> list[tuple]:
    """(title, 1-based page) for every bookmark, depth first; with `heights`, (title, page,
    height on the page in whole points)."""
    reader = PdfReader(path)
    found: list[tuple] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append((item.title, reader.get_destination_page_number(item) + 1,
                              *([round(float(item.top or 0))] if heights else [])))

    walk(reader.outline)
    return found


def toc_entries(path: Path) -> list[tuple[str, int]]:
    """(title, printed page number) from the Contents page."""
    for text in page_texts(path):
        if text.lstrip().startswith("Contents") or "\nContents\n" in text:
            return [(m["title"].strip(), int(m["page"]))
                    for line in text.splitlines() if (m := TOC_LINE.match(line.strip()))]
    return []


def font_names(path: Path) -> set[str]:
    names = set()
    for page in PdfReader(path).pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def structure_elements(path: Path) -> list[dict]:
    """Every element of the structure tree (the tags), in document order."""
    found: list[dict] = []

    def walk(node) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                found.append(node)
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(PdfReader(path).trailer["/Root"]["/StructTreeRoot"])
    return found


def alt_texts(path: Path) -> list[tuple[str, str]]:
    """(structure type, alt text) for every tagged element that carries alt text."""
    return [(str(e["/S"]), str(e["/Alt"])) for e in structure_elements(path) if "/Alt" in e]


def structure_types(path: Path) -> list[str]:
    """The structure tree's element types in document order (the shape of the tags)."""
    return [str(element["/S"]) for element in structure_elements(path)]


def all_stream_text(path: Path) -> bytes:
    """Every stream in the file, decompressed: what a determined reader could dig out."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return b"".join(obj.read_bytes() for obj in pdf.objects
                        if isinstance(obj, pikepdf.Stream))


def links(path: Path) -> list[tuple[int, str, list[int]]]:
    """(1-based page, target, rectangle in whole points) for every link annotation: a web
    address, or the name of the destination it goes to."""
    found = []
    for number, page in enumerate(PdfReader(path).pages, 1):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            action = annot.get("/A") or {}
            target = action.get("/URI") or action.get("/D") or annot.get("/Dest")
            found.append((number, str(target), [round(float(x)) for x in annot["/Rect"]]))
    return found


def destinations(path: Path) -> dict[str, tuple[int, int]]:
    """Each named destination (where a link such as "see page N" goes): its 1-based page and
    height on the page, in whole points."""
    reader = PdfReader(path)
    return {name: (reader.get_destination_page_number(dest) + 1, round(float(dest.top or 0)))
            for name, dest in reader.named_destinations.items()}

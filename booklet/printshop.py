"""Takes a PDF whose pages have a TrimBox and a bleed (MediaBox = BleedBox), gives it press-ready:
a slug around the bleed holding crop marks (and fold marks on imposed sheets) and a slug line,
drawn above the artwork in registration black.

The marks start outside the bleed, so they never touch the artwork, and the slug line (file
name, page, date) is drawn as outlines of the shipped font: no font is added to the file. All
of it is marked as an artifact, so the tagged PDF stays a PDF/UA file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pikepdf
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

from booklet.fonts import FONT_DIR, FONT_FILES

PT_PER_MM = 72 / 25.4
SLUG_MM = 10.0  # beyond the bleed, on every side
MARK_GAP_MM = 1.5  # between the bleed's edge and a mark
MARK_LENGTH_MM = 5.0
MARK_WIDTH_PT = 0.25
SLUG_TEXT_PT = 6.0
SLUG_TEXT_INSET_MM = 4.0  # from the trim's left edge, clear of the corner's mark
REGISTRATION = "/BookletRegistration"  # a colour space name no page uses


@dataclass(frozen=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float

    def grown(self, by: float) -> Box:
        return Box(self.left - by, self.bottom - by, self.right + by, self.top + by)

    def array(self) -> pikepdf.Array:
        return pikepdf.Array([round(value, 4) for value in
                              (self.left, self.bottom, self.right, self.top)])


def box_of(array: pikepdf.Array) -> Box:
    left, bottom, right, top = (float(value) for value in array)
    return Box(min(left, right), min(bottom, top), max(left, right), max(bottom, top))


def add_slug_and_marks(pdf: bytes, slug_line: Callable[[int, int], str],
                       folded: bool = False) -> bytes:
    """Every page of `pdf` with a slug of SLUG_MM around its MediaBox (its bleed), crop marks
    at the TrimBox's corners, a fold mark at the middle of the top and bottom edges when
    `folded`, and the slug line `slug_line(page, pages)`. Same input, same bytes."""
    slug = SLUG_MM * PT_PER_MM
    with pikepdf.open(io.BytesIO(pdf)) as document:
        registration = document.make_indirect(pikepdf.Array([
            pikepdf.Name("/Separation"), pikepdf.Name("/All"), pikepdf.Name("/DeviceGray"),
            pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1], C1=[0], N=1)]))
        count = len(document.pages)
        for number, page in enumerate(document.pages, start=1):
            trim, bleed = box_of(page.obj.TrimBox), box_of(page.obj.MediaBox)
            page.obj.BleedBox = bleed.array()
            page.obj.MediaBox = bleed.grown(slug).array()
            if "/CropBox" in page.obj:
                del page.obj.CropBox
            resources = page.obj.Resources  # WeasyPrint's and pypdf's pages all have one
            if "/ColorSpace" not in resources:
                resources.ColorSpace = pikepdf.Dictionary()
            resources.ColorSpace[pikepdf.Name(REGISTRATION)] = registration
            line = slug_line(number, count)
            page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(document, b"Q\n" + marks(trim, bleed, line,
                                                                         folded)))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def marks(trim: Box, bleed: Box, line: str, folded: bool) -> bytes:
    """The content stream of one page's marks, above everything drawn before it."""
    gap, length = MARK_GAP_MM * PT_PER_MM, MARK_LENGTH_MM * PT_PER_MM
    segments = []
    for x, outward in ((trim.left, -1), (trim.right, 1)):
        for y, upward in ((trim.bottom, -1), (trim.top, 1)):
            start_x, start_y = (bleed.right if outward > 0 else bleed.left) + outward * gap, \
                (bleed.top if upward > 0 else bleed.bottom) + upward * gap
            segments += [((start_x, y), (start_x + outward * length, y)),  # horizontal
                         ((x, start_y), (x, start_y + upward * length))]  # vertical
    if folded:
        middle = (trim.left + trim.right) / 2
        segments += [((middle, bleed.top + gap), (middle, bleed.top + gap + length)),
                     ((middle, bleed.bottom - gap), (middle, bleed.bottom - gap - length))]
    ops = ["/Artifact", "BMC", "q", f"{REGISTRATION} CS 1 SCN {MARK_WIDTH_PT} w 0 J"]
    ops += [f"{_n(a[0])} {_n(a[1])} m {_n(b[0])} {_n(b[1])} l S" for a, b in segments]
    baseline = bleed.bottom - gap - length / 2 - SLUG_TEXT_PT / 3
    ops += [f"{REGISTRATION} cs 1 scn",
            outlines(line, trim.left + SLUG_TEXT_INSET_MM * PT_PER_MM, baseline, SLUG_TEXT_PT),
            "Q EMC"]
    return ("\n".join(ops) + "\n").encode("ascii")


def _n(value: float) -> str:
    """A number as a content stream writes it: fixed, short, the same on every machine."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class _PathPen(BasePen):
    """Glyph outlines as PDF path operators, scaled and moved to where the text goes."""

    def __init__(self, glyphs, scale: float, x: float, y: float) -> None:
        super().__init__(glyphs)
        self.scale, self.x, self.y = scale, x, y
        self.ops: list[str] = []

    def _point(self, point: tuple[float, float]) -> str:
        return f"{_n(self.x + point[0] * self.scale)} {_n(self.y + point[1] * self.scale)}"

    def _moveTo(self, pt) -> None:  # fontTools' names
        self.ops.append(f"{self._point(pt)} m")

    def _lineTo(self, pt) -> None:
        self.ops.append(f"{self._point(pt)} l")

    def _curveToOne(self, pt1, pt2, pt3) -> None:
        self.ops.append(f"{self._point(pt1)} {self._point(pt2)} {self._point(pt3)} c")

    def _closePath(self) -> None:
        self.ops.append("h")


@cache
def _font() -> TTFont:
    return TTFont(FONT_DIR / FONT_FILES[(400, "normal")])


def outlines(text: str, x: float, y: float, size: float) -> str:
    """`text` in the body font at `size` points, its baseline starting at (x, y), as filled
    paths; a character the font lacks takes the space's width."""
    font = _font()
    glyphs, cmap, widths = font.getGlyphSet(), font.getBestCmap(), font["hmtx"].metrics
    scale = size / font["head"].unitsPerEm
    ops = []
    for char in text:
        glyph = cmap.get(ord(char), cmap[ord(" ")])
        pen = _PathPen(glyphs, scale, x, y)
        glyphs[glyph].draw(pen)
        ops += pen.ops
        x += widths[glyph][0] * scale
    return "\n".join([*ops, "f"]) if ops else ""

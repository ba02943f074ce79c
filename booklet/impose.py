"""Takes a reading-order PDF, gives a saddle-stitch imposed PDF: pages 2-up on double-size
sheets in duplex print order.
"""

from __future__ import annotations

import io
import math

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import NameObject, RectangleObject

from booklet.paper import PAPER_SIZES

PT_PER_MM = 72 / 25.4
# Two pages side by side within SNAP_PT of a paper size (landscape) are centred on that paper:
# two A5 pages (2 x 148 mm) are 1 mm narrower than A4 (297 mm), and a sheet size the printer
# does not stock would be scaled or shifted, moving the fold off the middle of the paper.
SNAP_PT = 4.0


def saddle_stitch_order(page_count: int) -> list[tuple[int, int]]:
    """0-based (left, right) page indexes for each sheet side, in print order.

    page_count must be a positive multiple of 4 (raise ValueError otherwise).
    For 8 pages: [(7, 0), (1, 6), (5, 2), (3, 4)] — i.e. side 1 of sheet 1 is (last, first),
    side 2 is (second, second-last), and so on; this is the standard order for duplex printing
    flipped on the short edge.
    """
    if page_count <= 0 or page_count % 4:
        raise ValueError(f"saddle stitching needs a positive multiple of 4 pages, not {page_count}")
    last = page_count - 1
    order = []
    for i in range(0, page_count // 2, 2):
        order += [(last - i, i), (i + 1, last - i - 1)]
    return order


def sheet_size(page_width: float, page_height: float) -> tuple[float, float]:
    """The sheet (width, height) in points for two pages side by side: a paper size if one fits."""
    for paper_width, paper_height in PAPER_SIZES.values():
        width, height = paper_height * PT_PER_MM, paper_width * PT_PER_MM  # landscape
        if (math.isclose(width, 2 * page_width, abs_tol=SNAP_PT)
                and math.isclose(height, page_height, abs_tol=SNAP_PT)):
            return width, height
    return 2 * page_width, page_height


def impose_saddle_stitch(pdf: bytes) -> bytes:
    """Places pairs of pages side by side on a landscape sheet twice the page width.

    Half-letter 5.5x8.5in → Letter landscape 11x8.5in; A5 → A4 landscape (centred, so the
    fold stays in the middle of the paper). Pages with a bleed (a MediaBox larger than their
    TrimBox) go trim to trim on a sheet of the trim spread and the bleed: each keeps its bleed
    on the sheet's outer edges and none at the spine. Every sheet has its TrimBox (the trim
    spread) and BleedBox. Pairs come in saddle_stitch_order. The input page count must be a
    multiple of 4 (ValueError otherwise). Keeps the document metadata (title, author, language
    /Lang in the catalog) and output intent where pypdf allows. Output is deterministic (same
    input → same bytes).
    """
    reader = PdfReader(io.BytesIO(pdf))
    order = saddle_stitch_order(len(reader.pages))
    first = reader.pages[0]
    trim = first.trimbox
    page_width, page_height = float(trim.width), float(trim.height)
    bleed = float(trim.left) - float(first.mediabox.left)
    if bleed > 0:
        sheet_width, sheet_height = 2 * (page_width + bleed), page_height + 2 * bleed
        x0 = y0 = bleed
    else:
        sheet_width, sheet_height = sheet_size(page_width, page_height)
        x0, y0 = (sheet_width - 2 * page_width) / 2, (sheet_height - page_height) / 2

    writer = PdfWriter()
    for pair in order:
        side = writer.add_blank_page(sheet_width, sheet_height)
        for slot, index in enumerate(pair):
            page = reader.pages[index]
            page.pop("/Annots", None)  # links: named destinations are not copied, pages move
            box = page.trimbox
            # pypdf clips a merged page to its CropBox (or TrimBox, as configured): here both
            # are the trim with its bleed on the sheet's outer side (left of the left page,
            # right of the right one), at the top and bottom, and none at the spine
            page.cropbox = page.trimbox = RectangleObject((
                float(box.left) - (bleed if slot == 0 else 0), float(box.bottom) - bleed,
                float(box.right) + (bleed if slot == 1 else 0), float(box.top) + bleed))
            place = Transformation().translate(x0 + slot * page_width - float(box.left),
                                               y0 - float(box.bottom))
            side.merge_transformed_page(page, place)
        side.trimbox = RectangleObject((x0, y0, x0 + 2 * page_width, y0 + page_height))
        side.bleedbox = RectangleObject((x0 - bleed, y0 - bleed, x0 + 2 * page_width + bleed,
                                         y0 + page_height + bleed))
        side.compress_content_streams()
    writer.pdf_header = reader.pdf_header  # e.g. %PDF-1.7, not pypdf's default %PDF-1.3
    writer.metadata = reader.metadata
    for key in ("/Lang", "/OutputIntents"):
        if key in reader.root_object:
            writer.root_object[NameObject(key)] = reader.root_object[key].clone(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

"""Takes a PDF, gives a contact-sheet PNG: every page as a thumbnail on one image, for checking a
build at a glance.
"""

from __future__ import annotations

import io

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont, ImageOps

GUTTER = 16  # pixels around and between thumbnails
LABEL_HEIGHT = 22  # pixels under each thumbnail for its page number
LABEL_SIZE = 14
BACKGROUND = (232, 232, 232)
BORDER = (64, 64, 64)
OVERSAMPLE = 2  # render at twice the thumbnail size, then shrink: smoother text and lines


def thumbnail_boxes(page_count: int, page_size: tuple[float, float], columns: int = 4,
                    thumb_width: int = 220) -> list[tuple[int, int, int, int]]:
    """The pixel box (left, top, right, bottom) of each page's thumbnail in the sheet.

    This is the layout contact_sheet uses, exposed so tests can check one thumbnail per page.
    Thumbnails are thumb_width wide and as tall as the page's proportions make them (page_size
    is (width, height) in any unit); right and bottom are exclusive, as in Pillow.
    """
    thumb_height = round(thumb_width * page_size[1] / page_size[0])
    boxes = []
    for index in range(page_count):
        row, column = divmod(index, columns)
        left = GUTTER + column * (thumb_width + GUTTER)
        top = GUTTER + row * (thumb_height + LABEL_HEIGHT + GUTTER)
        boxes.append((left, top, left + thumb_width, top + thumb_height))
    return boxes


def contact_sheet(pdf: bytes, columns: int = 4, thumb_width: int = 220) -> bytes:
    """PNG bytes: every page of the PDF as a thumbnail, left to right, top to bottom.

    Thumbnails (rendered with pypdfium2) are laid out by thumbnail_boxes on a light grey
    background, each with a thin dark border and its page number under it. The layout follows
    the first page's size; a page of another shape is fitted into its box, centred. The same
    PDF always gives the same bytes.
    """
    font = ImageFont.load_default(size=LABEL_SIZE)
    with pdfium.PdfDocument(pdf) as document:
        boxes = thumbnail_boxes(len(document), document.get_page_size(0), columns, thumb_width)
        sheet_width = columns * (thumb_width + GUTTER) + GUTTER
        sheet_height = boxes[-1][3] + LABEL_HEIGHT + GUTTER
        sheet = Image.new("RGB", (sheet_width, sheet_height), BACKGROUND)
        draw = ImageDraw.Draw(sheet)
        for number, (page, box) in enumerate(zip(document, boxes, strict=True), start=1):
            left, top, right, bottom = box
            size = (right - left, bottom - top)
            scale = OVERSAMPLE * min(size[0] / page.get_width(), size[1] / page.get_height())
            image = page.render(scale=scale).to_pil()
            sheet.paste(ImageOps.pad(image, size, Image.Resampling.LANCZOS, color="white"),
                        (left, top))
            draw.rectangle((left - 1, top - 1, right, bottom), outline=BORDER)
            draw.text(((left + right) / 2, bottom + LABEL_HEIGHT / 2), str(number), fill=BORDER,
                      font=font, anchor="mm")
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    return out.getvalue()


def page_image(pdf: bytes, index: int, width: int) -> bytes:
    """PNG bytes of one page (0 is the first, -1 the last), `width` pixels wide."""
    with pdfium.PdfDocument(pdf) as document:
        page = document[index % len(document)]
        image = page.render(scale=OVERSAMPLE * width / page.get_width()).to_pil()
    out = io.BytesIO()
    image.resize((width, round(image.height * width / image.width)),
                 Image.Resampling.LANCZOS).save(out, format="PNG")
    return out.getvalue()

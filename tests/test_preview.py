"""Contact sheet: one bordered, numbered thumbnail per page, in reading order, same bytes."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from weasyprint import HTML

from booklet.preview import BACKGROUND, BORDER, LABEL_HEIGHT, contact_sheet, thumbnail_boxes

COLOURS = [(208, 0, 0), (0, 160, 0), (0, 0, 208), (208, 208, 0), (0, 208, 208)]
PAGE_SIZE = (396.0, 612.0)  # half-letter, in points


@pytest.fixture(scope="module")
def coloured_pdf() -> bytes:
    """Five half-letter pages, each with a big block of its own colour over the centre."""
    blocks = "".join(f'<div style="background: rgb{colour}"></div>' for colour in COLOURS)
    css = ("@page { size: 5.5in 8.5in; margin: 0.5in } body { margin: 0 }"
           " div { height: 7in; break-after: page } div:last-child { break-after: auto }")
    return HTML(string=f"<style>{css}</style>{blocks}").write_pdf()


@pytest.fixture(scope="module")
def sheet(coloured_pdf: bytes) -> Image.Image:
    return Image.open(io.BytesIO(contact_sheet(coloured_pdf))).convert("RGB")


def close(colour: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 24 for a, b in zip(colour, expected, strict=True))


def test_five_pages_make_two_rows_of_four(sheet: Image.Image) -> None:
    boxes = thumbnail_boxes(5, PAGE_SIZE)
    assert len(boxes) == 5
    assert len({top for _, top, _, _ in boxes}) == 2
    assert len({left for left, _, _, _ in boxes}) == 4
    assert all(right - left == 220 for left, _, right, _ in boxes)
    assert all(bottom - top == round(220 * 612 / 396) for _, top, _, bottom in boxes)
    gutter = boxes[0][0]
    assert sheet.width == 4 * 220 + 5 * gutter
    assert sheet.height == boxes[-1][3] + LABEL_HEIGHT + gutter


def test_each_page_fills_its_box_in_reading_order(sheet: Image.Image) -> None:
    for (left, top, right, bottom), colour in zip(thumbnail_boxes(5, PAGE_SIZE), COLOURS,
                                                  strict=True):
        centre = sheet.getpixel(((left + right) // 2, (top + bottom) // 2))
        assert close(centre, colour), (centre, colour)
        assert sheet.getpixel((left, top)) == (255, 255, 255)  # the page's white margin
        assert sheet.getpixel((left - 1, (top + bottom) // 2)) == BORDER


def test_each_thumbnail_has_its_page_number_under_it(sheet: Image.Image) -> None:
    for left, _, right, bottom in thumbnail_boxes(5, PAGE_SIZE):
        label = sheet.crop((left, bottom + 1, right, bottom + LABEL_HEIGHT))
        assert len(label.getcolors()) > 1  # text drawn on the background


def test_where_a_sixth_page_would_go_is_background(sheet: Image.Image) -> None:
    left, top, right, bottom = thumbnail_boxes(6, PAGE_SIZE)[5]
    empty = sheet.crop((left - 1, top - 1, right + 1, bottom + LABEL_HEIGHT))
    assert [colour for _, colour in empty.getcolors()] == [BACKGROUND]


def test_same_pdf_gives_the_same_png(coloured_pdf: bytes) -> None:
    assert contact_sheet(coloured_pdf) == contact_sheet(coloured_pdf)

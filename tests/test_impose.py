"""Saddle-stitch imposition: print order, sheet size, which page lands on which half, metadata."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from pypdf import PdfReader
from weasyprint import HTML

from booklet.impose import impose_saddle_stitch, saddle_stitch_order

HALF_LETTER = "5.5in 8.5in"


def marked_pdf(pages: int, size: str = HALF_LETTER, bleed: str = "0mm") -> bytes:
    """A PDF whose page n shows only the big text "PAGE n"."""
    body = "".join(f"<section>PAGE {n}</section>" for n in range(1, pages + 1))
    css = (f"@page {{ size: {size}; margin: 1in; bleed: {bleed} }} section {{ font-size: 36pt; "
           "break-after: page } section:last-child { break-after: auto }")
    html = (f'<html lang="en-GB"><head><title>Marker pages</title><meta name="author" '
            f'content="Test Author"><style>{css}</style></head><body>{body}</body></html>')
    return HTML(string=html).write_pdf()


def sides(pdf: bytes) -> str:
    """The (left,right) page numbers of every sheet side, read from the text on each half."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            fold = page.width / 2
            halves = (page.crop((0, 0, fold, page.height)),
                      page.crop((fold, 0, page.width, page.height)))
            found.append(",".join(half.extract_text().removeprefix("PAGE ") for half in halves))
    return " ".join(found)


@pytest.fixture(scope="module")
def eight_pages() -> bytes:
    return marked_pdf(8)


def test_print_order_for_4_8_and_12_pages() -> None:
    assert saddle_stitch_order(4) == [(3, 0), (1, 2)]
    assert saddle_stitch_order(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]
    assert saddle_stitch_order(12) == [(11, 0), (1, 10), (9, 2), (3, 8), (7, 4), (5, 6)]


@pytest.mark.parametrize("count", [4, 8, 12, 16, 40])
def test_every_page_is_printed_once_facing_its_partner(count: int) -> None:
    order = saddle_stitch_order(count)
    assert len(order) == count // 2
    assert sorted(index for pair in order for index in pair) == list(range(count))
    # Pages that share a sheet side are an equal distance from the two ends of the booklet.
    assert all(left + right == count - 1 for left, right in order)


@pytest.mark.parametrize("count", [0, -4, 2, 6, 10])
def test_page_count_not_a_positive_multiple_of_4_is_refused(count: int) -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        saddle_stitch_order(count)


def test_imposing_6_pages_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of 4"):
        impose_saddle_stitch(marked_pdf(6))


def test_half_letter_pages_go_2_up_on_letter_landscape(eight_pages: bytes) -> None:
    imposed = impose_saddle_stitch(eight_pages)
    reader = PdfReader(io.BytesIO(imposed))
    assert len(reader.pages) == 4
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (792, 612)
        assert [float(v) for v in page.trimbox] == pytest.approx([0, 0, 792, 612], abs=0.01)
    assert sides(imposed) == "8,1 2,7 6,3 4,5"


def test_pages_with_bleed_go_trim_to_trim_with_the_bleed_outside() -> None:
    """A sheet of the trim spread and the bleed, not a paper size: the bleed stays on the
    sheet's outer edges only."""
    bleed = 3 * 72 / 25.4
    imposed = impose_saddle_stitch(marked_pdf(8, bleed="3mm"))
    for page in PdfReader(io.BytesIO(imposed)).pages:
        assert [float(v) for v in page.mediabox] == pytest.approx(
            [0, 0, 792 + 2 * bleed, 612 + 2 * bleed], abs=0.01)
        assert [float(v) for v in page.bleedbox] == [float(v) for v in page.mediabox]
        assert [float(v) for v in page.trimbox] == pytest.approx(
            [bleed, bleed, 792 + bleed, 612 + bleed], abs=0.01)
    assert sides(imposed) == "8,1 2,7 6,3 4,5"


def test_a5_pages_go_2_up_on_a4_landscape() -> None:
    imposed = impose_saddle_stitch(marked_pdf(8, "A5"))
    reader = PdfReader(io.BytesIO(imposed))
    assert len(reader.pages) == 4
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(842, abs=1)
        assert float(page.mediabox.height) == pytest.approx(595, abs=1)
    assert sides(imposed) == "8,1 2,7 6,3 4,5"


def test_12_pages_make_3_sheets_in_print_order() -> None:
    assert sides(impose_saddle_stitch(marked_pdf(12))) == "12,1 2,11 10,3 4,9 8,5 6,7"


def test_title_author_and_language_survive(eight_pages: bytes) -> None:
    reader = PdfReader(io.BytesIO(impose_saddle_stitch(eight_pages)))
    assert reader.metadata.title == "Marker pages"
    assert reader.metadata.author == "Test Author"
    assert reader.root_object["/Lang"] == "en-GB"


def test_same_input_gives_the_same_bytes(eight_pages: bytes) -> None:
    assert impose_saddle_stitch(eight_pages) == impose_saddle_stitch(eight_pages)

"""Press-ready print-shop files: boxes nested with a slug, marks outside the bleed and above the
artwork, no bleed at the spine of imposed sheets, an sRGB output intent, the job sheet, and
the same bytes from the same input."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from booklet.printshop import MARK_GAP_MM, MARK_LENGTH_MM, SLUG_MM
from build import main
from tests.conftest import SMALL_PROJECT, make_project
from tests.verapdf import failed_rules

MM = 72 / 25.4
BLEED, SLUG, GAP, LENGTH = 3 * MM, SLUG_MM * MM, MARK_GAP_MM * MM, MARK_LENGTH_MM * MM
WIDTH, HEIGHT = 396, 612  # half-letter pages
DPI = 150
STEM = "demo-patient-half-letter-print-shop"


def build(out: Path, root: Path) -> dict[str, bytes]:
    assert main(["--project", str(root), "--out", str(out), "--quiet", "patient",
                 "--print-shop", "--fold"]) == 0
    return {path.name: path.read_bytes() for path in sorted(out.iterdir()) if path.is_file()
            and not path.name.startswith(".")}


@pytest.fixture(scope="module")
def press(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("press") / "project", SMALL_PROJECT)
    out = root / "output"
    build(out, root)
    return out


def boxes(page) -> dict[str, list[float]]:
    return {name: [float(v) for v in getattr(page, name)]
            for name in ("mediabox", "bleedbox", "trimbox")}


def grown(box: list[float], by: float) -> list[float]:
    return [box[0] - by, box[1] - by, box[2] + by, box[3] + by]


def test_flat_pages_have_trim_in_bleed_in_slug(press: Path) -> None:
    pages = PdfReader(press / f"{STEM}.pdf").pages
    assert len(pages) % 4 == 0
    for page in pages:
        found = boxes(page)
        assert found["trimbox"] == pytest.approx([0, 0, WIDTH, HEIGHT], abs=0.01)
        assert found["bleedbox"] == pytest.approx(grown(found["trimbox"], BLEED), abs=0.01)
        assert found["mediabox"] == pytest.approx(grown(found["bleedbox"], SLUG), abs=0.01)


def test_imposed_sheets_have_the_trim_spread_in_bleed_in_slug(press: Path) -> None:
    sheets = PdfReader(press / f"{STEM}-booklet.pdf").pages
    assert len(sheets) * 2 == len(PdfReader(press / f"{STEM}.pdf").pages)
    for sheet in sheets:
        found = boxes(sheet)
        trim = found["trimbox"]
        assert (trim[2] - trim[0], trim[3] - trim[1]) == pytest.approx((2 * WIDTH, HEIGHT),
                                                                       abs=0.01)
        assert found["bleedbox"] == pytest.approx(grown(trim, BLEED), abs=0.01)
        assert found["mediabox"] == pytest.approx(grown(found["bleedbox"], SLUG), abs=0.01)


def render(path: Path, page: int, tmp_path: Path) -> Image.Image:
    stem = tmp_path / f"{path.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), "-png",
                    "-singlefile", str(path), str(stem)], check=True)
    return Image.open(f"{stem}.png").convert("L")


def px(points: float) -> int:
    return round(points * DPI / 72)


def dark(image: Image.Image, left: float, top: float, right: float, bottom: float) -> int:
    """How many pixels in the region (points from the media box's top left) are dark."""
    region = image.crop((px(left), px(top), px(right), px(bottom)))
    return sum(region.histogram()[:128])


@pytest.mark.parametrize("name", [f"{STEM}.pdf", f"{STEM}-booklet.pdf"])
def test_crop_marks_are_in_the_slug_and_never_in_the_bleed(press: Path, tmp_path: Path,
                                                           name: str) -> None:
    path = press / name
    reader = PdfReader(path)
    for number in (1, 2):
        image = render(path, number, tmp_path)
        box = boxes(reader.pages[number - 1])
        media, trim = box["mediabox"], box["trimbox"]
        width, height = media[2] - media[0], media[3] - media[1]
        edge = SLUG  # the bleed's edge, from the media box's edges
        # the top-left corner: a horizontal mark at the trim's top, a vertical one at its left
        trim_top, trim_left = media[3] - trim[3], trim[0] - media[0]
        assert dark(image, edge - GAP - LENGTH, trim_top - 1, edge - GAP, trim_top + 1) > 0
        assert dark(image, trim_left - 1, edge - GAP - LENGTH, trim_left + 1, edge - GAP) > 0
        # nothing within 1 mm outside the bleed's edge, all round: no mark touches the artwork
        for ring in ((edge - MM, edge - MM, width - edge + MM, edge),
                     (edge - MM, height - edge, width - edge + MM, height - edge + MM),
                     (edge - MM, edge, edge, height - edge),
                     (width - edge, edge, width - edge + MM, height - edge)):
            assert dark(image, *ring) == 0, (name, number, ring)
        if number == 2:  # a text page's bleed is white: no mark in it, corners included
            below = media[3] - trim[1]
            assert dark(image, edge, below, width - edge, below + BLEED - 1) == 0


def test_slug_line_names_the_page(press: Path, tmp_path: Path) -> None:
    """The slug line is drawn in the bottom slug, between the corners' marks, and differs
    from page to page (its page number)."""
    path = press / f"{STEM}.pdf"
    lines = []
    for number in (1, 2):
        image = render(path, number, tmp_path)
        top = image.height * 72 / DPI - SLUG + GAP
        region = (SLUG + BLEED + 2 * MM, top, SLUG + BLEED + WIDTH - 2 * MM, top + LENGTH)
        assert dark(image, *region) > 50
        lines.append(image.crop(tuple(px(v) for v in region)).tobytes())
    assert lines[0] != lines[1]


def test_marks_are_drawn_last_as_an_artifact_in_registration_colour(press: Path) -> None:
    for name in (f"{STEM}.pdf", f"{STEM}-booklet.pdf"):
        with pikepdf.open(press / name) as pdf:
            for page in pdf.pages:
                contents = page.obj.Contents
                last = contents[-1].read_bytes() if isinstance(contents, pikepdf.Array) else b""
                assert last.startswith(b"Q\n/Artifact\nBMC\nq\n"), name
                assert last.rstrip().endswith(b"Q EMC")
                assert b" 0.25 w " in last
                space = re.search(rb"(/\w+) CS 1 SCN", last)[1].decode()
                registration = page.obj.Resources.ColorSpace[space]
                assert (registration[0], registration[1]) == ("/Separation", "/All")


def test_no_bleed_at_the_spine(press: Path, tmp_path: Path) -> None:
    """The first sheet holds the back page (white at the top) and the cover, whose band runs
    into the bleed: beside the fold the back page's side is white, the cover's side is the
    band's colour, and the band runs into the outer bleed on the right."""
    path = press / f"{STEM}-booklet.pdf"
    image = render(path, 1, tmp_path)
    spine = SLUG + BLEED + WIDTH  # from the media box's left edge
    band = SLUG + BLEED + 10 * MM  # a row 10 mm inside the trim's top: in the cover's band
    two = 2 * 72 / DPI  # two pixels
    assert dark(image, spine - two - 1, SLUG + BLEED, spine - two,
                SLUG + BLEED + HEIGHT) == 0  # a column left of the fold, the whole trim high
    colour = Image.open(tmp_path / f"{path.stem}-1.png").convert("RGB")
    for x in (spine + two, spine + WIDTH + BLEED / 2):  # beside the fold; in the outer bleed
        red, green, blue = colour.getpixel((px(x), px(band)))
        assert (red, green, blue) != (255, 255, 255) and blue > red, (x, red, green, blue)
    # and the band stops at the fold: the same row just left of it is white
    assert colour.getpixel((px(spine - two), px(band))) == (255, 255, 255)


def test_every_pdf_has_an_srgb_output_intent(press: Path) -> None:
    for name in (f"{STEM}.pdf", f"{STEM}-booklet.pdf", f"{STEM}-job.pdf"):
        with pikepdf.open(press / name) as pdf:
            intent = pdf.Root.OutputIntents[0]
            assert intent.S == "/GTS_PDFX"
            profile = intent.DestOutputProfile.read_bytes()
            assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB ", name


def test_job_sheet_lists_pages_sheets_and_checksums(press: Path) -> None:
    pages = len(PdfReader(press / f"{STEM}.pdf").pages)
    text = (press / f"{STEM}-job.txt").read_text(encoding="utf-8")
    assert f"Pages: {pages}\n" in text
    assert f"Sheets: {pages // 4}, printed on both sides" in text
    assert "saddle stitch with 2 staples" in text
    assert "Bleed: 3 mm on the outer edges of each sheet, none at the spine" in text
    # the trim spread (2 by 139.7 mm, 215.9 mm) and 3 + 10 mm on each side
    assert "Sheet size: 305.4 \u00d7 241.9 mm" in text
    sheet = " ".join(page.extract_text() for page in PdfReader(press / f"{STEM}-job.pdf").pages)
    assert len(PdfReader(press / f"{STEM}-job.pdf").pages) == 1
    manifest = {entry["file"]: entry for entry in
                json.loads((press / "manifest.json").read_text())["files"]}
    for name in (f"{STEM}.pdf", f"{STEM}-booklet.pdf"):
        digest = hashlib.sha256((press / name).read_bytes()).hexdigest()
        assert f"  {name}\n" in text and f"sha256 {digest}\n" in text
        assert digest in sheet.replace("\n", "")
        assert manifest[name]["sha256"] == digest
    for name in (f"{STEM}-job.pdf", f"{STEM}-job.txt"):
        assert manifest[name]["sha256"] == hashlib.sha256((press / name).read_bytes()).hexdigest()
        assert manifest[name]["format"] == "job-sheet"


def test_the_tagged_files_stay_pdf_ua(press: Path) -> None:
    """The marks and slug line are artifacts and the job sheet is tagged: veraPDF's PDF/UA-1
    rules all pass."""
    files = [press / f"{STEM}.pdf", press / f"{STEM}-job.pdf"]
    assert failed_rules(files) == {path: {} for path in files}


def test_the_same_input_gives_the_same_bytes(press: Path, tmp_path: Path) -> None:
    again = build(tmp_path / "again", press.parent)
    first = {path.name: path.read_bytes() for path in press.iterdir() if path.is_file()
             and not path.name.startswith(".")}
    assert set(again) == set(first) and len(first) >= 5
    for name, data in first.items():
        assert again[name] == data, name

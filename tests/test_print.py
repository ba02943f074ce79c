"""Print production: paper sizes, large print, folded booklets, bleed, typesetting, previews."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image
from pypdf import PdfReader

from booklet.clinic import contrast
from booklet.preview import thumbnail_boxes
from booklet.printshop import SLUG_MM
from build import main
from tests.conftest import REPO
from tests.pdfread import structure_elements

PAPERS = {"letter": (612, 792), "a4": (595.3, 841.9), "a5": (419.5, 595.3),
          "half-letter": (396, 612)}
MM = 72 / 25.4


def build(project: Path, out: Path, *args: str) -> None:
    assert main(["--project", str(project), "--out", str(out), "--quiet", *args]) == 0


@pytest.mark.parametrize("paper", PAPERS)
def test_paper_sizes(small_project: Path, tmp_path: Path, paper: str) -> None:
    build(small_project, tmp_path, "patient", "--paper", paper)
    reader = PdfReader(tmp_path / f"demo-patient-{paper}.pdf")
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(PAPERS[paper][0], abs=0.6)
        assert float(page.mediabox.height) == pytest.approx(PAPERS[paper][1], abs=0.6)


def char_sizes(path: Path) -> Counter:
    sizes: Counter = Counter()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            sizes.update(round(char["size"], 1) for char in page.chars if char["text"].strip())
    return sizes


def test_large_print_has_big_body_and_nothing_under_14pt(ketamine_large_print: Path) -> None:
    sizes = char_sizes(ketamine_large_print)
    assert min(sizes) >= 14
    body = sizes.most_common(1)[0][0]
    assert body >= 16


def test_large_print_respects_a_larger_edition_size_and_floor(small_project: Path,
                                                             tmp_path: Path, capsys) -> None:
    build(small_project, tmp_path, "clinician", "--large-print", "--set", "font_size=20pt")
    sizes = char_sizes(tmp_path / "demo-clinician-letter-large-print.pdf")
    assert sizes.most_common(1)[0][0] == 20
    assert main(["--project", str(small_project), "--out", str(tmp_path), "clinician",
                 "--set", "font_size=7pt"]) == 2
    assert "error: --set 'font_size': 7pt is outside 8pt to 28pt" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ketamine_large_print(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("large")
    build(REPO, out, "patient", "--large-print", "--lang", "en-US")
    return out / "ketamine-patient-letter-large-print.pdf"


def test_old_booklet_option_still_folds_with_a_warning(small_project: Path, tmp_path: Path,
                                                       capsys) -> None:
    build(small_project, tmp_path, "patient", "--booklet")
    assert (tmp_path / "demo-patient-half-letter-booklet.pdf").exists()
    assert capsys.readouterr().err.startswith("warning: --booklet is deprecated and will be "
                                              "removed; use --fold")


def test_saddle_stitch_booklet(small_project: Path, tmp_path: Path) -> None:
    build(small_project, tmp_path, "patient", "--fold")
    reading = tmp_path / "demo-patient-half-letter.pdf"
    imposed = tmp_path / "demo-patient-half-letter-booklet.pdf"
    pages = PdfReader(reading).pages
    assert len(pages) % 4 == 0
    assert float(pages[0].mediabox.width) == pytest.approx(396, abs=0.5)
    texts = [page.extract_text() for page in pages]
    assert "My notes and questions" in texts[-3]  # padding is notes pages, not blank ones
    assert all(len(text.splitlines()) > 2 for text in texts)  # no empty page
    assert "Your care team" in texts[-2]
    assert "Getting help now" in texts[-1] and "Not medical advice" in texts[-1]
    sides = []
    with pdfplumber.open(imposed) as pdf:
        assert len(pdf.pages) == len(pages) // 2
        for side in pdf.pages:
            assert (side.width, side.height) == pytest.approx((792, 612), abs=0.5)
            halves = [side.crop((0, 0, 396, 612)), side.crop((396, 0, 792, 612))]
            sides.append(",".join(page_marker(half.extract_text() or "") for half in halves))
    n = len(pages)
    expected = []
    for i in range(0, n // 2, 2):
        expected += [f"{n - i},{i + 1}", f"{i + 2},{n - i - 1}"]
    assert " ".join(sides) == " ".join(expected)


def page_marker(text: str) -> str:
    """The page number printed in the footer; the cover has none but says its edition."""
    found = re.search(r"Page (\d+) of \d+", text)
    if found:
        return found[1]
    return "1" if "PATIENT EDITION" in text else "?"


def test_print_shop_bleed_crop_marks_and_boxes(small_project: Path, tmp_path: Path) -> None:
    build(small_project, tmp_path, "clinician", "--print-shop")
    path = tmp_path / "demo-clinician-letter-print-shop.pdf"
    for page in PdfReader(path).pages:
        trim = [float(v) for v in page.trimbox]
        bleed = [float(v) for v in page.bleedbox]
        assert trim == pytest.approx([0, 0, 612, 792], abs=0.1)
        assert [t - b for t, b in zip(trim[:2], bleed[:2], strict=True)] == \
            pytest.approx([3 * MM, 3 * MM], abs=0.05)
        assert [b - t for t, b in zip(trim[2:], bleed[2:], strict=True)] == \
            pytest.approx([3 * MM, 3 * MM], abs=0.05)
    build(small_project, tmp_path, "clinician", "--print-shop", "--bleed", "6mm")
    page = PdfReader(path).pages[0]
    assert float(page.trimbox[0]) - float(page.bleedbox[0]) == pytest.approx(6 * MM, abs=0.05)


def test_print_shop_cover_background_reaches_into_the_bleed(small_project: Path,
                                                            tmp_path: Path) -> None:
    build(small_project, tmp_path, "clinician", "--print-shop", "--preview")
    import pypdfium2

    document = pypdfium2.PdfDocument(tmp_path / "demo-clinician-letter-print-shop.pdf")
    image = document[0].render(scale=1).to_pil().convert("RGB")
    document.close()
    slug, bleed = round(SLUG_MM * MM), round(3 * MM)
    # 1pt inside the outer edge of the bleed (the slug is outside it), in the top band: the
    # cover's colour, not white
    for x in (slug + 1, image.width // 2, image.width - slug - 2):
        red, green, blue = image.getpixel((x, slug + 1))
        assert (red, green, blue) != (255, 255, 255) and blue > red, (x, red, green, blue)
    assert image.getpixel((image.width // 2, slug + bleed + 2)) == image.getpixel(
        (image.width // 2, slug + 1))
    assert image.getpixel((image.width // 2, slug - 2)) == (255, 255, 255)  # the slug


def test_contrast_of_every_colour_pair() -> None:
    css = (REPO / "templates" / "print.css").read_text()
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", css))
    colours["white"] = "#ffffff"
    pairs = [("ink", "white"), ("muted", "white"), ("accent", "white"), ("white", "accent"),
             ("accent", "accent-tint"), ("ink", "accent-tint"), ("danger", "danger-tint"),
             ("ink", "danger-tint"), ("white", "danger"), ("muted", "accent-tint")]
    for text, background in pairs:
        ratio = contrast(colours[text], colours[background])
        assert ratio >= 4.5, (text, background, ratio)


def test_callouts_carry_a_label_not_only_a_colour(ketamine_build: Path) -> None:
    from booklet.project import Project

    for job in Project(REPO).jobs([]):
        html = job.render().html
        boxes = html.count('<div class="admonition')
        titles = len(re.findall(r'<p class="admonition-title">[^<]+', html))
        assert boxes == titles, job.edition.name
        assert boxes > 0 or job.edition.name != "patient"


def stranded_headings(path: Path) -> list[int]:
    """Pages whose last line of text (above the footer) is a heading: larger than the body."""
    stranded = []
    with pdfplumber.open(path) as pdf:
        body = Counter(round(c["size"], 1) for c in pdf.chars).most_common(1)[0][0]
        for page in pdf.pages[1:]:
            if "My notes and questions" in (page.extract_text() or ""):
                continue  # a heading over ruled lines, by design
            lines: Counter = Counter()
            for char in page.chars:
                if char["text"].strip() and char["size"] >= body * 0.8:  # not header/footer
                    line = round(char["top"])
                    lines[line] = max(lines[line], char["size"])
            if lines and lines[max(lines)] > body * 1.05:
                stranded.append(page.page_number)
    return stranded


def test_no_heading_is_stranded_at_the_bottom_of_a_page(ketamine_build: Path) -> None:
    for edition in ("patient", "clinician", "policymaker"):
        assert stranded_headings(ketamine_build / f"ketamine-{edition}-letter.pdf") == [], edition


def test_stranded_heading_detector_finds_one(small_project: Path, tmp_path: Path) -> None:
    css = small_project / "templates" / "print.css"
    css.write_text(css.read_text() + "\nh2 { break-after: page !important; }\n")
    build(small_project, tmp_path, "clinician")
    assert stranded_headings(tmp_path / "demo-clinician-letter.pdf") != []


def test_preview_contact_sheet_has_one_thumbnail_per_page(small_project: Path,
                                                          tmp_path: Path) -> None:
    build(small_project, tmp_path, "patient", "--preview")
    pages = len(PdfReader(tmp_path / "demo-patient-letter.pdf").pages)
    sheet = Image.open(tmp_path / "demo-patient-letter.png").convert("RGB")
    boxes = thumbnail_boxes(pages, (612, 792))
    background = sheet.getpixel((2, 2))
    for left, top, right, bottom in boxes:
        region = sheet.crop((left, top, right, bottom))
        assert region.getextrema() != ((background[0],) * 2,) * 3
    assert sheet.size[1] >= boxes[-1][3]


def test_boxes_still_read_when_printed_in_grayscale(ketamine_build: Path) -> None:
    """Render the callout and crisis boxes, convert them to gray as a black-and-white printer
    would, and measure the text against the box's own background."""
    import pypdfium2

    tints = {(0.984, 0.933, 0.933), (0.902, 0.945, 0.949)}  # danger and accent tints
    path = ketamine_build / "ketamine-patient-letter.pdf"
    checked = 0
    document = pypdfium2.PdfDocument(path)
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            boxes = [rect for rect in page.rects if tuple(
                round(v, 3) for v in rect.get("non_stroking_color") or ()) in tints]
            if not boxes:
                continue
            image = document[number].render(scale=2).to_pil().convert("L")
            for box in boxes:
                region = image.crop(tuple(round(v * 2) for v in
                                          (box["x0"] + 8, box["top"] + 4, box["x1"] - 4,
                                           box["bottom"] - 4)))
                histogram = region.histogram()
                background = histogram.index(max(histogram))
                text = min(value for value, count in enumerate(histogram) if count)
                ratio = contrast(*(f"#{level:02x}{level:02x}{level:02x}"
                                   for level in (background, text)))
                assert ratio >= 4.5, (number + 1, box["top"], ratio)
                checked += 1
    document.close()
    assert checked >= 5


@pytest.mark.parametrize("edition", ["patient", "clinician"])
def test_running_header_names_the_section_each_page_begins_in(ketamine_build: Path,
                                                              edition: str) -> None:
    """A page that opens in the middle of a section is headed with that section, not with
    the next one that starts lower down the page."""
    from booklet.project import Project
    from booklet.render import select_sections

    job = next(j for j in Project(REPO).jobs([edition]))
    titles = [section.title for section in select_sections(job.booklet, job.edition)]
    checked, current = 0, None
    with pdfplumber.open(ketamine_build / f"ketamine-{edition}-letter.pdf") as pdf:
        for page in pdf.pages[2:]:  # after the cover and the contents
            header = page.crop((page.width / 2, 0, page.width, 50)).extract_text()
            lines = page.crop((0, 50, page.width, page.height - 50)).extract_text().splitlines()
            if lines[0] in ("Where this information comes from", "References"):
                break  # the sources and back pages carry their own headers
            starts = [line for line in lines if line in titles]
            expected = lines[0] if lines[0] in titles else current
            if expected:
                assert header == expected, f"page {page.page_number}"
                checked += 1
            current = starts[-1] if starts else current
    assert checked >= 10


@pytest.mark.parametrize(("paper", "large_print"), [("letter", False), ("a5", False),
                                                     ("half-letter", False), ("a4", True),
                                                     ("letter", True), ("a5", True),
                                                     ("half-letter", True)])
def test_cover_fits_one_page_and_nothing_on_it_overlaps(tmp_path: Path, paper: str,
                                                        large_print: bool) -> None:
    """The real booklet's cover with a clinic's logo and crisis line, the fullest cover there
    is: the notice sits below the review dates (at the foot when there is room) and the
    contents start on page 2."""
    build(REPO, tmp_path, "patient", "--lang", "en-US", "--clinic", str(REPO / "clinics/riverside"),
          "--paper", paper, "--set", 'sections=["questions-to-ask"]',
          *(["--large-print"] if large_print else []))
    (path,) = tmp_path.glob("ketamine-patient-riverside-*.pdf")
    with pdfplumber.open(path) as pdf:
        cover, contents = pdf.pages[0], pdf.pages[1]
        lines = contents.extract_text().splitlines()  # the running header, then the title
        assert "Contents" in lines[:2]
        words = cover.extract_words()
        dates = max(w["bottom"] for w in words if w["text"] in ("Next", "review", "due"))
        notice = min(w["top"] for w in words if w["text"] == "Not")
        crisis = [w for w in words if w["text"] == "crisis?"]
        assert dates < notice and crisis and crisis[0]["top"] > notice
        if not large_print:
            assert notice > cover.height * 0.75  # at the foot of the page


@pytest.mark.parametrize("edition", ["clinician", "policymaker"])
def test_no_table_row_is_left_alone_on_a_page(ketamine_build: Path, edition: str) -> None:
    """A table split across pages keeps two rows or more on each page. WeasyPrint tags each
    page's part of a table as its own Table element, so no part may have a single row (no
    table in the booklet has only one)."""
    rows: Counter = Counter()
    for element in structure_elements(ketamine_build / f"ketamine-{edition}-letter.pdf"):
        if str(element["/S"]) == "/TR" and str(element["/P"]["/S"]) == "/TBody":
            rows[element["/P"].raw_get("/P").idnum] += 1  # the row's table (this page's part)
    assert len(rows) >= 9
    assert min(rows.values()) >= 2

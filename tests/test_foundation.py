"""The foundation: editions built from one source, as real PDF readers see them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from build import main
from tests.pdfread import alt_texts, font_names, full_text, outline, page_texts, toc_entries

EDITIONS = ["clinician", "patient", "policymaker"]


def pdf(out: Path, edition: str, booklet: str = "demo") -> Path:
    return out / f"{booklet}-{edition}-letter.pdf"


def test_every_edition_is_a_pdf_with_pages(small_build: Path) -> None:
    for edition in EDITIONS:
        reader = PdfReader(pdf(small_build, edition))
        assert len(reader.pages) > 2
        assert reader.pages[0].mediabox.width == pytest.approx(612, abs=0.5)
        assert reader.pages[0].mediabox.height == pytest.approx(792, abs=0.5)


def test_audience_blocks_reach_only_their_editions(small_build: Path) -> None:
    patient = full_text(pdf(small_build, "patient"))
    clinician = full_text(pdf(small_build, "clinician"))
    policymaker = full_text(pdf(small_build, "policymaker"))
    for text in (patient, clinician, policymaker):
        assert "Shared words for every reader" in text
    assert "Patient words: drink water." in patient
    assert "Patient words" not in clinician and "Patient words" not in policymaker
    assert "Professional words: titrate carefully" in clinician
    assert "Professional words: titrate carefully" in policymaker
    assert "Professional words" not in patient
    # a whole section limited to clinicians
    assert "Clinician-only words" in clinician
    assert "Clinician-only words" not in patient + policymaker


def test_citations_are_numbered_for_professionals_and_listed_for_patients(
        small_build: Path) -> None:
    clinician = full_text(pdf(small_build, "clinician"))
    assert "titrate carefully [2]" in clinician
    assert "References" in clinician
    assert "Smith AB. A test article. J Tests. 2020. doi:10.1000/test.1." in clinician
    patient = full_text(pdf(small_build, "patient"))
    assert "every reader [1]" not in patient and "every reader." in patient
    assert "Where this information comes from" in patient
    assert ("A plain guide for patients. Patient Charity. 2022. https://example.org/guide"
            in patient)
    assert "Checked on 1 May 2022" not in patient  # notes are for professionals
    assert ("We also used 1 research study. The “Clinician edition” of this booklet lists it."
            in patient)
    assert "A test article" not in patient
    assert "A test web page" not in patient  # only cited in a professional block


def test_contents_page_numbers_match_the_pages_of_the_headings(small_build: Path) -> None:
    for edition in EDITIONS:
        path = pdf(small_build, edition)
        entries = toc_entries(path)
        assert len(entries) >= 3, entries
        bookmarks = dict(outline(path))
        texts = page_texts(path)
        for title, page in entries:
            assert bookmarks[title] == page, (edition, title)
            assert title in texts[page - 1]


def test_outline_metadata_and_language(small_build: Path) -> None:
    reader = PdfReader(pdf(small_build, "clinician"))
    titles = [title for title, _ in outline(pdf(small_build, "clinician"))]
    assert titles[:3] == ["Contents", "Introduction", "For professionals"]
    assert "References" in titles
    meta = reader.metadata
    assert meta.title == "Test booklet: Clinician edition · Draft — not for use with patients"
    assert meta.author == "Test Author"
    assert "testing" in meta["/Keywords"]
    assert meta["/CreationDate"].startswith("D:20260115")  # the review date, not the clock
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"


def test_pdfs_are_tagged_for_accessibility(small_build: Path) -> None:
    path = pdf(small_build, "patient")
    root = PdfReader(path).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout


def test_pdfs_pass_qpdf_check(small_build: Path) -> None:
    for edition in EDITIONS:
        result = subprocess.run(["qpdf", "--check", str(pdf(small_build, edition))],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_bundled_legible_font_is_embedded(small_build: Path) -> None:
    for edition in EDITIONS:
        names = font_names(pdf(small_build, edition))
        assert names and all(name.startswith("Atkinson-Hyperlegible") for name in names), names


def test_cover_shows_edition_version_and_review_dates(small_build: Path) -> None:
    cover = page_texts(pdf(small_build, "patient"))[0]
    for expected in ("Patient edition", "Version", "2.1", "15 January 2026", "15 January 2099"):
        assert expected in cover
    assert "Page" not in cover  # no page number on the cover


def test_every_edition_ends_with_crisis_box_and_notice(small_build: Path) -> None:
    for edition in EDITIONS:
        last = " ".join(page_texts(pdf(small_build, edition))[-1].split())
        assert "Samaritans" in last and "116 123" in last
        assert "Not medical advice." in last
        assert "In an emergency, call 999 (UK)." in last


def test_pages_carry_running_header_and_page_x_of_y(small_build: Path) -> None:
    texts = page_texts(pdf(small_build, "clinician"))
    total = len(texts)
    for number, text in enumerate(texts[1:], start=2):
        assert f"Page {number} of {total}" in text
    intro_page = dict(outline(pdf(small_build, "clinician")))["Introduction"]
    assert texts[intro_page - 1].count("Introduction") >= 2  # running header and heading
    references_page = dict(outline(pdf(small_build, "clinician")))["References"]
    assert texts[references_page - 1].count("References") >= 2


def test_manifest_lists_every_file_with_checksums(small_build: Path) -> None:
    manifest = json.loads((small_build / "manifest.json").read_text())
    files = {entry["file"]: entry for entry in manifest["files"]}
    assert set(files) == {f"demo-{e}-letter.pdf" for e in EDITIONS}
    entry = files["demo-patient-letter.pdf"]
    data = pdf(small_build, "patient").read_bytes()
    import hashlib

    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["bytes"] == len(data)
    assert entry["pages"] == len(PdfReader(pdf(small_build, "patient")).pages)
    assert (entry["edition"], entry["paper"], entry["booklet"]) == ("patient", "letter", "demo")


def test_html_option_writes_the_print_html(small_build: Path) -> None:
    html = (small_build / "demo-patient-letter.html").read_text()
    assert html.startswith("<!doctype html>")
    assert '<html lang="en-GB">' in html


def test_building_one_edition_keeps_the_others_in_the_manifest(small_project: Path) -> None:
    out = small_project / "output"
    assert main(["--project", str(small_project), "--out", str(out), "--quiet"]) == 0
    assert main(["--project", str(small_project), "--out", str(out), "patient", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["files"]) == 3


def test_same_input_gives_byte_identical_pdfs(small_project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for out in (first, second):
        assert main(["--project", str(small_project), "--out", str(out), "patient",
                     "--quiet"]) == 0
    assert (first / "demo-patient-letter.pdf").read_bytes() == \
        (second / "demo-patient-letter.pdf").read_bytes()


def test_list_shows_editions_and_their_sections(small_project: Path, capsys) -> None:
    assert main(["--project", str(small_project), "--list"]) == 0
    out = capsys.readouterr().out
    assert "demo patient: Patient edition (en-GB, patient, letter, 12.5pt)" in out
    assert "demo clinician: Clinician edition" in out
    clinician_part = out.split("demo clinician:")[1].split("demo patient:")[0]
    assert "details" in clinician_part
    patient_part = out.split("demo patient:")[1].split("demo policymaker:")[0]
    assert "intro" in patient_part and "details" not in patient_part


def test_progress_line_per_edition(small_project: Path, capsys) -> None:
    out_dir = small_project / "output"
    assert main(["--project", str(small_project), "--out", str(out_dir)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for line, edition in zip(lines, EDITIONS, strict=True):
        assert line.startswith(f"demo {edition} ")
        assert " pages " in line and " s " in line and f"demo-{edition}-letter.pdf" in line


def test_images_are_embedded_with_their_alt_text(tmp_path: Path) -> None:
    from tests.conftest import PNG, SMALL_PROJECT, make_project
    from tests.test_errors import IMAGE_SECTION

    files = {**SMALL_PROJECT,
             "content/demo/20-details.md": IMAGE_SECTION.format(alt="A test chart",
                                                                src="chart.png"),
             "content/demo/chart.png": PNG}
    root = make_project(tmp_path / "p", files)
    assert main(["--project", str(root), "--out", str(root / "out"), "clinician",
                 "--quiet"]) == 0
    path = root / "out" / "demo-clinician-letter.pdf"
    assert {image.name for page in PdfReader(path).pages for image in page.images} != set()
    assert ("/Figure", "A test chart") in alt_texts(path)


def test_a_cross_reference_prints_its_page_and_links(tmp_path: Path) -> None:
    from tests.conftest import SECTION_ONE, SMALL_PROJECT, make_project

    intro = SECTION_ONE.replace("Professional words: titrate carefully [@jones2021].",
                                "Professional words: see [the dosing](#details) [@jones2021].")
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/10-intro.md": intro})
    out = root / "out"
    assert main(["--project", str(root), "--out", str(out), "--quiet", "clinician"]) == 0
    path = pdf(out, "clinician")
    details_page = dict(outline(path))["The details"]
    assert f"see the dosing (see page {details_page}) [2]" in full_text(path)
    reader = PdfReader(path)
    links = [annotation.get_object() for page in reader.pages
             for annotation in page.get("/Annots", [])]
    assert any(link.get("/Subtype") == "/Link" for link in links)

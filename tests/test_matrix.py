"""The print matrix: every edition, paper, normal or large print, flat or folded builds, folded
booklets come to whole sheets, and each notes page fills exactly one page."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from booklet.paper import FOLDED
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project

EDITIONS = ("clinician", "patient", "policymaker")  # the small project's
NOTES_TITLE = "My notes and questions"


def page_texts(path: Path) -> list[str]:
    """Each page's text, with its line breaks and runs of spaces made single spaces."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def check_copy(path: Path, folded: bool) -> None:
    """Whole sheets when folded; every notes section on one page; the back page last."""
    texts = page_texts(path)
    if folded:
        assert len(texts) % 4 == 0, f"{path.name}: {len(texts)} pages"
    assert "Not medical advice" in " ".join(texts[-2:]), path.name  # the back pages end it
    for number, text in enumerate(texts, 1):
        if NOTES_TITLE in text:
            following = texts[number].replace("- ", "") if number < len(texts) else ""
            # the next page is another notes page or the back pages, not the rest of this one
            assert NOTES_TITLE in following or "Not medical advice" in following or (
                "Last reviewed" in following), f"{path.name}: notes page {number} runs on"


@pytest.mark.parametrize("paper", ["letter", "a4", "a5", "half-letter"])
def test_every_edition_and_variant_builds_on(tmp_path: Path, paper: str) -> None:
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    for large in (False, True):
        for folded in (False, True):
            out = tmp_path / f"out-{large}-{folded}"
            args = ["--project", str(root), "--out", str(out), "--quiet", "--paper", paper]
            args += (["--large-print"] if large else []) + (["--fold"] if folded else [])
            assert main(args) == 0, args
            page_paper = FOLDED[paper] if folded else paper
            variant = "-large-print" if large else ""
            for edition in EDITIONS:
                check_copy(out / f"demo-{edition}-{page_paper}{variant}.pdf", folded)
                if folded:
                    imposed = out / f"demo-{edition}-{page_paper}{variant}-booklet.pdf"
                    assert len(PdfReader(imposed).pages) * 2 == len(
                        PdfReader(out / f"demo-{edition}-{page_paper}{variant}.pdf").pages)


def test_ketamine_patient_large_print_folds(tmp_path: Path) -> None:
    """The case issue 15 reported: it stopped at '78 pages after padding with notes pages'."""
    assert main(["--project", str(REPO), "--out", str(tmp_path), "--quiet", "patient",
                 "--lang", "en", "--large-print", "--fold"]) == 0
    reading = tmp_path / "ketamine-patient-half-letter-large-print.pdf"
    check_copy(reading, folded=True)
    texts = page_texts(reading)
    notes = [number for number, text in enumerate(texts, 1) if NOTES_TITLE in text]
    assert notes and notes == list(range(notes[0], notes[0] + len(notes)))
    assert "Your care team" in texts[notes[-1]]  # the back pages follow the last notes page


def test_blank_pages_pad_what_notes_pages_cannot(small_project: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Were notes pages not to add a page each (here a project's notes.html prints nothing),
    blank pages still make whole sheets, before the back pages, with no running header or
    page number on them."""
    (small_project / "templates" / "notes.html").write_text("", encoding="utf-8")
    assert main(["--project", str(small_project), "--out", str(tmp_path), "--quiet",
                 "patient", "--fold"]) == 0
    texts = page_texts(tmp_path / "demo-patient-half-letter.pdf")
    assert len(texts) % 4 == 0
    assert "Not medical advice" in texts[-1]
    assert NOTES_TITLE not in " ".join(texts)
    blank = [number for number, text in enumerate(texts, 1) if not text.strip()]
    assert blank, "no blank page was needed: make the notes page longer"
    assert blank == list(range(blank[0], blank[0] + len(blank)))
    assert "Your care team" in texts[blank[-1]]  # the back pages follow


def test_a_fold_that_cannot_work_names_the_options(small_project: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    """When even blank pages cannot make whole sheets, the error names the command-line
    options and what to change, not an edition file the user did not touch."""
    from booklet import project

    real = project.Job.to_pdf

    def odd_pages(self, rendered, lay_out=project.html_to_pdf):  # an odd layout
        pdf = real(self, rendered, lay_out)
        return project.Pdf(pdf.data, 2 * pdf.pages + 1, pdf.warnings)  # never whole sheets

    monkeypatch.setattr(project.Job, "to_pdf", odd_pages)
    assert main(["--project", str(small_project), "--out", str(tmp_path), "--quiet",
                 "patient", "--fold", "--large-print", "--paper", "a4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --fold --paper a4 --large-print: ")
    assert "a folded booklet needs a multiple of 4" in err
    assert "without --fold" in err and "--paper" in err
    assert "editions/" not in err and "--booklet" not in err

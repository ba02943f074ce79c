"""The print matrix: every edition, paper, normal or large print, flat or folded, plain or for a
print shop, with and without a clinic builds with a clean layout check, folded booklets come
to whole sheets, and each notes page fills exactly one page; the ketamine booklet's most
stressed variants have a clean layout check too."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
import shutil
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from booklet.paper import FOLDED
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project

EDITIONS = ("clinician", "patient", "policymaker")  # the small project's
NOTES_TITLE = "My notes and questions"
ENGLISH = (NOTES_TITLE, "Your care team", "Last reviewed", "Not medical advice")
SPANISH = ("Mis notas y preguntas", "Su equipo de atención", "Última revisión",
           "No es consejo médico")
LAYOUT = re.compile(r"^warning: .*, page \d+: ")  # a layout check finding


def page_texts(path: Path) -> list[str]:
    """Each page's text, with its line breaks and runs of spaces made single spaces."""
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def check_copy(path: Path, folded: bool, words: tuple[str, ...] = ENGLISH) -> None:
    """Whole sheets when folded; every notes section on one page; the back page last. `words`:
    the notes pages' title, then the first words of each back page, the notice's last."""
    notes_title, *back = words
    texts = page_texts(path)
    if folded:
        assert len(texts) % 4 == 0, f"{path.name}: {len(texts)} pages"
    assert back[-1] in " ".join(texts[-2:]), path.name  # the back pages end it
    for number, text in enumerate(texts, 1):
        if notes_title in text:
            following = texts[number].replace("- ", "") if number < len(texts) else ""
            # the next page is another notes page or the back pages, not the rest of this one
            assert any(start in following for start in words), (
                f"{path.name}: notes page {number} runs on")


def layout_findings(err: str) -> list[str]:
    """The layout check's warnings in what a build wrote to stderr."""
    return [line for line in err.splitlines() if LAYOUT.search(line)]


@pytest.mark.parametrize("paper", ["letter", "a4", "a5", "half-letter"])
def test_every_edition_and_variant_builds_on(tmp_path: Path, paper: str,
                                            capsys: pytest.CaptureFixture) -> None:
    """Every edition, normal or large print, flat or folded, plain or a clinic's copy for a
    print shop: it builds, and the layout check finds nothing. (A print shop's bleed lies
    outside the page, so it does not change the layout; a clinic's cover and back page do.
    Pairing them keeps the matrix quick.)"""
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics" / "riverside", root / "clinics" / "riverside")
    for large, folded, shop in itertools.product((False, True), repeat=3):
        clinic = shop
        out = tmp_path / f"out-{large}-{folded}-{shop}-{clinic}"
        args = ["--project", str(root), "--out", str(out), "--quiet", "--paper", paper]
        args += (["--large-print"] if large else []) + (["--fold"] if folded else [])
        args += (["--print-shop"] if shop else []) + (
            ["--clinic", str(root / "clinics" / "riverside")] if clinic else [])
        assert main(args) == 0, args
        assert layout_findings(capsys.readouterr().err) == [], args
        page_paper = FOLDED[paper] if folded else paper
        variant = ("-large-print" if large else "") + ("-print-shop" if shop else "")
        whose = "-riverside" if clinic else ""
        for edition in EDITIONS:
            stem = f"demo-{edition}{whose}-{page_paper}{variant}"
            check_copy(out / f"{stem}.pdf", folded)
            if folded:
                imposed = out / f"{stem}-booklet.pdf"
                assert len(PdfReader(imposed).pages) * 2 == len(
                    PdfReader(out / f"{stem}.pdf").pages)


@pytest.fixture(scope="module", params=["a5", "half-letter"])
def ketamine_stressed(request: pytest.FixtureRequest,
                      tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, str]:
    """The ketamine patient (English and Spanish) and clinician editions in their most
    stressed variant, large print folded into a small booklet, built once per paper: the
    paper, the output folder and what the build wrote to stderr."""
    out = tmp_path_factory.mktemp(f"stressed-{request.param}")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--project", str(REPO), "--out", str(out), "--quiet", "patient",
                     "clinician", "--paper", request.param, "--large-print", "--fold"])
    assert code == 0, err.getvalue()
    return request.param, out, err.getvalue()


def test_ketamine_stressed_variants_have_a_clean_layout(
        ketamine_stressed: tuple[str, Path, str]) -> None:
    paper, out, err = ketamine_stressed
    assert layout_findings(err) == []
    for stem, words in (("patient", ENGLISH), ("patient-es", SPANISH), ("clinician", ENGLISH)):
        check_copy(out / f"ketamine-{stem}-{paper}-large-print.pdf", True, words)


def test_ketamine_patient_large_print_folds(ketamine_stressed: tuple[str, Path, str]) -> None:
    """The case issue 15 reported: it stopped at '78 pages after padding with notes pages'.
    The notes pages come together, just before the back pages."""
    paper, out, _err = ketamine_stressed
    texts = page_texts(out / f"ketamine-patient-{paper}-large-print.pdf")
    notes = [number for number, text in enumerate(texts, 1) if NOTES_TITLE in text]
    assert notes and notes == list(range(notes[0], notes[0] + len(notes)))
    assert "Your care team" in texts[notes[-1]]  # the back pages follow the last notes page


@pytest.mark.parametrize("paper", ["letter", "a5"])
def test_back_pages_never_carry_the_notes_running_header(small_project: Path, tmp_path: Path,
                                                         paper: str) -> None:
    """A clinician copy has no care team panel: its back pages have no section in their
    running header, not the notes pages' 'Notes' before them."""
    assert main(["--project", str(small_project), "--out", str(tmp_path), "--quiet",
                 "clinician", "--set", "notes_pages=1", "--paper", paper]) == 0
    with pdfplumber.open(tmp_path / f"demo-clinician-{paper}.pdf") as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
        back = next(number for number, text in enumerate(texts)
                    if "Clinician edition · version" in text)  # the imprint
        assert NOTES_TITLE in texts[back - 1]
        headers = [page.crop((page.width / 2, 0, page.width, 40)).extract_text() or ""
                   for page in pdf.pages[back - 1:]]
    assert headers[0] == "Notes"  # the notes page's own header, as the check reads it
    assert all(header in ("", "Getting help now") for header in headers[1:]), headers


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

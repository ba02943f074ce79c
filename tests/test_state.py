"""A command run again with nothing changed does nothing (and loads no layout library);
any change to what its files depend on builds them again."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booklet import state
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics", root / "clinics")
    return root


def run(project: Path, capsys, *args: str) -> str:
    """'built' or 'up to date', from what the run printed."""
    assert main(["--project", str(project), "--out", str(project / "out"), "patient",
                 *args]) == 0
    out = capsys.readouterr().out
    if out and all(line.startswith("up to date: ") for line in out.splitlines()):
        return "up to date"
    assert " pages " in out, out
    return "built"


def test_the_same_command_again_only_checks_its_files(project: Path, capsys) -> None:
    assert run(project, capsys) == "built"
    pdf = project / "out" / "demo-patient-letter.pdf"
    written = pdf.stat().st_mtime_ns
    assert main(["--project", str(project), "--out", str(project / "out"), "patient"]) == 0
    assert capsys.readouterr().out == f"up to date: {pdf}\n"
    assert pdf.stat().st_mtime_ns == written
    assert run(project, capsys, "--force") == "built"


def test_an_up_to_date_run_loads_no_layout_library(project: Path) -> None:
    command = ["--project", str(project), "--out", str(project / "out"), "--quiet", "patient"]
    probe = (f"import sys, build; code = build.main({command!r}); "
             "print(code, sorted(m for m in ('weasyprint', 'jinja2', 'pydantic', 'markdown') "
             "if m in sys.modules))")
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=REPO, check=True).stdout
    assert first.startswith("0 ") and "pydantic" in first  # WeasyPrint loads in the workers
    again = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=REPO, check=True).stdout
    assert again == "0 []\n"


def test_warnings_are_repeated_when_nothing_is_built(project: Path, capsys) -> None:
    from datetime import date, timedelta

    toml = project / "content/demo/booklet.toml"
    soon = (date.today() + timedelta(days=10)).isoformat()
    toml.write_text(toml.read_text().replace("next_review = 2099-01-15", f"next_review = {soon}"))
    assert main(["--project", str(project), "--out", str(project / "out"), "patient"]) == 0
    built = capsys.readouterr()
    assert main(["--project", str(project), "--out", str(project / "out"), "patient"]) == 0
    again = capsys.readouterr()
    assert " pages " in built.out and again.out.startswith("up to date: ")
    assert f"next review is due on {soon}" in built.err and again.err == built.err


CHANGES = {
    "a section": lambda root: (root / "content/demo/10-intro.md").write_text(
        (root / "content/demo/10-intro.md").read_text() + "\nOne more sentence.\n"),
    "a template": lambda root: (root / "templates/section.html").write_text(
        (root / "templates/section.html").read_text() + "\n"),
    "an edition": lambda root: (root / "editions/patient.toml").write_text(
        (root / "editions/patient.toml").read_text() + "\n# a comment\n"),
    "a clinic's logo": lambda root: (root / "clinics/riverside/logo.svg").write_text(
        (root / "clinics/riverside/logo.svg").read_text().replace("#1d4e89", "#1d4e8a")),
    "the output file": lambda root: (root / "out/demo-patient-letter.pdf").write_bytes(b"%PDF"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_input_builds_again(project: Path, capsys, change: str) -> None:
    clinic = ["--clinic", str(project / "clinics/riverside")] if "clinic" in change else []
    assert run(project, capsys, *clinic) == "built"
    assert run(project, capsys, *clinic) == "up to date"
    CHANGES[change](project)
    assert run(project, capsys, *clinic) == "built"
    assert run(project, capsys, *clinic) == "up to date"


def test_an_option_a_catalog_or_a_library_version_builds_again(project: Path, capsys,
                                                                monkeypatch, tmp_path) -> None:
    assert run(project, capsys) == "built"
    assert run(project, capsys, "--paper", "a4") == "built"  # another command
    assert run(project, capsys) == "up to date"  # each command remembers its own files
    engine = tmp_path / "engine"  # booklet's code and catalogs, as a copy that can change
    shutil.copytree(state.ENGINE, engine, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.setattr(state, "ENGINE", engine)
    assert run(project, capsys) == "built"
    assert run(project, capsys) == "up to date"
    catalog = engine / "locales/es/LC_MESSAGES/booklet.po"
    catalog.write_text(catalog.read_text() + "\n")
    assert run(project, capsys) == "built"
    real_version = state.metadata.version
    monkeypatch.setattr(state.metadata, "version", lambda name: "99" if name == "weasyprint"
                        else real_version(name))
    assert run(project, capsys) == "built"


def built_and_unchanged(project: Path, capsys, *args: str) -> tuple[set[str], set[str]]:
    """The copies a run laid out, and those it kept from the last build, by file name."""
    assert main(["--project", str(project), "--out", str(project / "out"), *args]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if ".pdf" in line]
    kept = {Path(words[-2]).name for words in lines if words[-1] == "(unchanged)"}
    laid_out = {Path(words[-1]).name for words in lines if words[-1].endswith(".pdf")}
    return laid_out, kept


def test_an_edit_lays_out_only_the_copies_that_print_it(project: Path, capsys) -> None:
    every = {"demo-clinician-letter.pdf", "demo-patient-letter.pdf",
             "demo-policymaker-letter.pdf"}
    assert built_and_unchanged(project, capsys) == (every, set())
    details = project / "content/demo/20-details.md"  # a clinician-only section
    details.write_text(details.read_text().replace("40 minutes", "45 minutes"))
    assert built_and_unchanged(project, capsys) == ({"demo-clinician-letter.pdf"},
                                                    every - {"demo-clinician-letter.pdf"})
    assert "45 minutes" in pdf_text(project / "out/demo-clinician-letter.pdf")
    (project / "out/demo-patient-letter.pdf").write_bytes(b"%PDF-1.7 damaged")
    assert built_and_unchanged(project, capsys, "--force") == (every, set())
    assert pdf_text(project / "out/demo-patient-letter.pdf")  # laid out again, whole
    intro = project / "content/demo/10-intro.md"  # printed by every edition
    intro.write_text(intro.read_text() + "\nOne more sentence.\n")
    assert built_and_unchanged(project, capsys) == (every, set())


def test_a_changed_output_or_logo_lays_out_only_its_copies(project: Path, capsys) -> None:
    clinics = ["patient", "--clinic", str(project / "clinics/riverside"),
               "--clinic", str(project / "clinics/harbour-view")]
    laid_out, kept = built_and_unchanged(project, capsys, *clinics)
    assert len(laid_out) == 2 and not kept
    riverside = next(name for name in laid_out if "riverside" in name)
    (project / "out" / riverside).write_bytes(b"%PDF-1.7 damaged")
    assert built_and_unchanged(project, capsys, *clinics) == ({riverside}, laid_out - {riverside})
    logo = project / "clinics/riverside/logo.svg"
    logo.write_text(logo.read_text().replace("#1d4e89", "#1d4e8a"))
    assert built_and_unchanged(project, capsys, *clinics) == ({riverside}, laid_out - {riverside})
    template = project / "templates/section.html"
    template.write_text(template.read_text() + "\n")
    assert built_and_unchanged(project, capsys, *clinics) == (laid_out, set())


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(path).pages)

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

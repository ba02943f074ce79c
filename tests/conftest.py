"""Shared fixtures: tiny projects made from a dict of files, and one build of the real booklet."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from textwrap import dedent

import pytest
from PIL import Image

from build import main

REPO = Path(__file__).resolve().parent.parent

BOOKLET_TOML = """\
title = "Test booklet"
subtitle = "A small booklet for tests"
version = "2.1"
last_reviewed = 2026-01-15
next_review = 2099-01-15
language = "en-GB"
author = "Test Author"
publisher = "Test Publisher"
keywords = ["testing"]
audiences = ["patient", "clinician", "policymaker"]
disclaimer = "General information only."
crisis_heading = "If you are thinking about suicide or feel unsafe"

[[crisis_lines]]
region = "UK"
name = "Samaritans"
contact = "Call 116 123"
countries = ["GB"]

[[emergency_numbers]]
region = "UK"
number = "999"
countries = ["GB"]
"""

SECTION_ONE = """\
---
id: intro
title: Introduction
order: 10
summary: What the booklet covers.
---

Shared words for every reader [@smith2020].

::: patient

## Just for patients

Patient words: drink water [@guide2022].

:::

::: clinician policymaker

## For professionals

Professional words: titrate carefully [@jones2021].

:::
"""

SECTION_TWO = """\
---
id: details
title: The details
order: 20
audiences: [clinician]
---

## Dosing

Clinician-only words: 0.5 mg/kg over 40 minutes [@smith2020].
"""

REFERENCES = """\
- key: smith2020
  type: article
  authors: [Smith AB]
  title: A test article
  container: J Tests
  year: 2020
  doi: 10.1000/test.1
- key: jones2021
  type: webpage
  title: A test web page
  container: Test Org
  year: 2021
  url: https://example.org/test
- key: guide2022
  type: webpage
  title: A plain guide for patients
  container: Patient Charity
  year: 2022
  url: https://example.org/guide
  note: Checked on 1 May 2022
"""

def png_bytes(size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 93, 102)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = png_bytes()

SMALL_PROJECT = {
    "content/demo/booklet.toml": BOOKLET_TOML,
    "content/demo/10-intro.md": SECTION_ONE,
    "content/demo/20-details.md": SECTION_TWO,
    "content/demo/references.yaml": REFERENCES,
}


def assert_one_line_error(root: Path, args: list[str], expected: str, capsys,
                          monkeypatch) -> None:
    """Building `root` from its folder exits 2 with one error line holding `expected`, no
    traceback, and writes no PDF."""
    monkeypatch.chdir(root)
    code = main(["--out", "output", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert expected in err, err
    assert "Traceback" not in err
    assert not list((root / "output").glob("*.pdf")) if (root / "output").exists() else True


def make_project(root: Path, files: dict[str, str | bytes]) -> Path:
    """A project in `root`: the real templates and editions plus `files` (path → text)."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "editions", root / "editions")
    if not any(name.startswith("content/ketamine/") for name in files):
        (root / "editions" / "quick-guide.toml").unlink()  # it names the ketamine booklet
    # no check_variants: --check --strict lays each copy out in its own variant only, quickly
    for edition in (root / "editions").glob("*.toml"):
        edition.write_text(re.sub(r"(?m)^check_variants = .*\n", "",
                                  edition.read_text(encoding="utf-8")), encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    return root


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project", SMALL_PROJECT)


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small project built once, all editions, with --html."""
    root = make_project(tmp_path_factory.mktemp("small") / "project", SMALL_PROJECT)
    out = root / "output"
    assert main(["--project", str(root), "--out", str(out), "--html", "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def ketamine_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project's booklets built once, all editions."""
    out = tmp_path_factory.mktemp("ketamine") / "output"
    assert main(["--project", str(REPO), "--out", str(out), "--quiet"]) == 0
    return out


SMALL_CLINIC = """\
name = "{name}"
phones = [{{ label = "Desk", number = "(555) 010-{number}" }}]
{extra}accent_colour = "#1d4e89"
paper = "letter"
country = "US"
"""


def add_clinics(root: Path) -> list[str]:
    """Clinics of one health system (one colour, paper and country) in root/clinics, whose
    care team panels differ in height: Riverside's, one with many phones and a long address,
    two with almost nothing (their whole back matter may fit a page), and two whose long note
    fills a page of its own. Their ids, in that order."""
    riverside = (REPO / "clinics/riverside/clinic.toml").read_text()
    phones = "".join(f'  {{ label = "Line {n}", number = "(555) 010-40{n:02d}" }},\n'
                     for n in range(8))
    long_note = "Please call us about anything in this booklet. " * 40
    profiles = {
        "riverside": riverside,
        "big": re.sub(r"phones = \[\n.*?\n\]", f"phones = [\n{phones}]", riverside, flags=re.S)
        .replace("Riverside Community Clinic", "Big Regional Health Centre")
        .replace("100 Example Road", "Building 7, Floor 3, Suite 300, 1000 Very Long Example "
                 "Boulevard, North Springfield Industrial Estate"),
        "minimal": SMALL_CLINIC.format(name="Mini Clinic", number="3000", extra=""),
        "mini2": SMALL_CLINIC.format(name="Second Mini Clinic", number="3100",
                                     extra='email = "hello@mini2.example.org"\n'
                                           'care_team_note = "Call us."\n'),
        "notes1": riverside.replace("Riverside Community Clinic", "First Notes Clinic")
        .replace('care_team_note = "', f'care_team_note = "{long_note}'),
        "notes2": riverside.replace("Riverside Community Clinic", "Second Notes Clinic")
        .replace('care_team_note = "', f'care_team_note = "{long_note} Or write.'),
    }
    for name, profile in profiles.items():
        folder = root / "clinics" / name
        folder.mkdir(parents=True)
        shutil.copy(REPO / "clinics/riverside/logo.svg", folder)
        (folder / "clinic.toml").write_text(profile)
    return list(profiles)


def build_batch(root: Path, edition: str, clinics: list[str], out: Path) -> dict[str, bool]:
    """`edition` for each of `clinics` (ids in root/clinics) built as one batch, in this
    process, into `out`: for each clinic, whether its copy reused another copy's pages."""
    from booklet.batch import run
    from booklet.clinic import load_clinic
    from booklet.project import Project

    project = Project(root)
    jobs = [job for clinic in clinics
            for job in project.jobs([edition], {}, load_clinic(root / "clinics" / clinic),
                                    language="en")]
    out.mkdir(parents=True, exist_ok=True)
    reused = {}
    for outcome in run(jobs, None):
        job = jobs[outcome.index]
        assert not outcome.error and not outcome.warnings, (job.label, outcome)
        (out / f"{job.stem}.pdf").write_bytes(outcome.pdf)
        reused[job.clinic.id] = outcome.spliced
    return reused


@pytest.fixture(scope="session")
def ketamine_clinic_batch(tmp_path_factory: pytest.TempPathFactory
                          ) -> tuple[Path, Path, dict[str, bool]]:
    """The ketamine patient edition for the clinics of add_clinics, built as one batch in a
    copy of the project: the project, the folder of the PDFs, and for each clinic whether its
    copy reused another's pages."""
    root = tmp_path_factory.mktemp("clinic-batch") / "project"
    for folder in ("content", "editions", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    out = root / "out"
    return root, out, build_batch(root, "patient", add_clinics(root), out)

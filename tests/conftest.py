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

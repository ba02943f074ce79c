"""Runaway work: inputs that drive cost (Markdown size and nesting of brackets, SVG pictures,
field lengths, worker count) are bounded, and refused at once with one line."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from booklet import batch
from booklet.extensions import CITATION
from build import main
from tests.conftest import SMALL_PROJECT, make_project

HEAD = "---\nid: details\ntitle: D\norder: 20\n---\n"


def build(root: Path, *args: str) -> int:
    return main(["--project", str(root), "--out", str(root / "out"), "--quiet", *args])


@pytest.mark.parametrize(("body", "message"), [
    ("a" + " " * 200_000 + "b\n", "content/demo/20-details.md: section is too long (200004 "
     "characters, 3 lines); the limits are 20000 characters and 1000 lines; split it into "
     "several sections"),
    ("- item\n" * 1500, "section is too long (10501 characters, 1502 lines)"),
    ("Start.\n\n" + "[" * 4000 + "\n", "content/demo/20-details.md:8: more than 100 '[' in one "
     "paragraph; split the paragraph, or write \\[ for a bracket that opens no link or citation"),
    ("[@a; " * 200, "more than 100 '[' in one paragraph"),
    ("Start.\n\n" + "word " * 1100 + "\n", "content/demo/20-details.md:8: paragraph is more "
     "than 5000 characters long; split it with blank lines (lists and tables too)"),
    ("<a \n\n" * 300, "content/demo/20-details.md:406: more than 200 HTML tags in one section; "
     "write it in Markdown (raw HTML is removed for safety)"),
])
def test_markdown_that_would_run_for_minutes_is_refused_at_once(
        tmp_path: Path, capsys, monkeypatch, body: str, message: str) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT,
                                         "content/demo/20-details.md": HEAD + body})
    monkeypatch.chdir(root)
    started = time.monotonic()
    assert build(root, "clinician") == 2
    assert time.monotonic() - started < 10  # before: from 3 s to many minutes
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (root / "out" / "demo-clinician-letter.pdf").exists()


def test_citation_pattern_reads_a_run_of_spaces_once() -> None:
    """Before, a search from each space scanned the rest of the run: 100,000 spaces took
    minutes."""
    started = time.monotonic()
    assert re.compile(CITATION).search(" " * 100_000 + "x") is None
    assert time.monotonic() - started < 1
    assert re.compile(CITATION).search("text  [@a; @b]")[0] == "  [@a; @b]"


def test_sections_at_the_limits_still_build(tmp_path: Path) -> None:
    paragraph = "Words [@smith2020] and more. " * 100 + "plain words " * 160  # 4,820 characters
    body = "\n\n".join([paragraph] * 4) + "\n"
    assert len(body) < 20_000
    root = make_project(tmp_path / "p", {**SMALL_PROJECT,
                                         "content/demo/20-details.md": HEAD + body})
    assert build(root, "clinician") == 0


def test_no_more_workers_than_copies(small_project: Path, monkeypatch) -> None:
    started: list[int] = []
    real = batch.ProcessPoolExecutor

    def recording(max_workers: int, *args, **kwargs):
        started.append(max_workers)
        return real(max_workers, *args, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", recording)
    assert build(small_project, "--jobs", "32") == 0  # 3 editions
    assert started == [3]
    assert len(list((small_project / "out").glob("*.pdf"))) == 3
    assert batch.Workers(10_000).processes == batch.MAX_WORKERS

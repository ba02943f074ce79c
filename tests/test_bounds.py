"""Runaway work: inputs that drive cost (Markdown size and nesting of brackets, SVG pictures,
field lengths, worker count) are bounded, and refused at once with one line."""

from __future__ import annotations

import base64
import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booklet import batch, images
from booklet.errors import BookletError
from booklet.extensions import CITATION
from build import main
from tests.conftest import PNG, SMALL_PROJECT, make_project

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


def nested_use_svg(levels: int, copies: int = 10) -> str:
    """A "billion laughs" made of <use>: each level draws the one below `copies` times."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
             ' width="120" height="80"><defs><rect id="l0" width="1" height="1"/>']
    for level in range(1, levels):
        parts.append(f'<g id="l{level}">'
                     + f'<use xlink:href="#l{level - 1}"/>' * copies + "</g>")
    return "".join(parts) + f'</defs><use xlink:href="#l{levels - 1}"/></svg>'


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">{}</svg>'
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "haha"><!ENTITY b "&a;&a;&a;&a;">]>'
          '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>')


def test_a_clinic_logo_of_nested_use_copies_is_refused_at_once(tmp_path: Path, capsys,
                                                               monkeypatch) -> None:
    """Before, WeasyPrint drew its 10^8 rectangles for longer than anyone waits."""
    root = make_project(tmp_path / "p", {
        **SMALL_PROJECT, "clinics/bomb/logo.svg": nested_use_svg(8),
        "clinics/bomb/clinic.toml": 'name = "Bomb clinic"\nphones = [{ label = "Desk", '
        'number = "(555) 010-2000" }]\nlogo = "logo.svg"\nlogo_alt = "A logo"\n'})
    monkeypatch.chdir(root)
    started = time.monotonic()
    assert build(root, "--clinic", "clinics/bomb", "patient") == 2
    assert time.monotonic() - started < 20
    assert capsys.readouterr().err == (
        "error: clinics/bomb/clinic.toml:3: image 'logo.svg' draws more than 20000 SVG "
        "elements (counting each <use> copy); simplify it, or export it as PNG\n")


@pytest.mark.parametrize(("svg", "message"), [
    (nested_use_svg(6), "image 'f.svg' draws more than 20000 SVG elements (counting each <use> "
     "copy); simplify it, or export it as PNG"),
    (SVG.format('<rect width="1" height="1"/>' * 20_001), "draws more than 20000 SVG elements"),
    (SVG.format("<g>" * 40 + "</g>" * 40), "image 'f.svg' nests elements or <use> references "
     "more than 32 deep; simplify it, or export it as PNG"),
    (SVG.format('<g id="me"><use href="#me"/></g>'), "nests elements or <use> references"),
    (LAUGHS, "image 'f.svg' has a DTD or entities, which booklet does not read; export it again "
     "as plain SVG, or use PNG"),
    (SVG.format('<image href="https://example.org/x.png" width="5" height="5"/>'),
     "image 'f.svg' refers to another file or SVG (https://example.org/x.png); put everything "
     "in the one SVG file, or export it as PNG"),
    (SVG.format('<use href="other.svg#x"/>'), "refers to another file or SVG (other.svg#x)"),
    (SVG.format('<image href="data:image/svg+xml;base64,PHN2Zy8+" width="5" height="5"/>'),
     "refers to another file or SVG (data:image/svg+xml;base64,PHN2Zy8+)"),
])
def test_svg_figures_that_are_costly_or_reach_out_are_refused(tmp_path: Path, capsys,
                                                              monkeypatch, svg: str,
                                                              message: str) -> None:
    root = make_project(tmp_path / "p", {
        **SMALL_PROJECT, "content/demo/f.svg": svg,
        "content/demo/20-details.md": HEAD + "\nA figure:\n\n![A figure](f.svg)\n"})
    monkeypatch.chdir(root)
    assert build(root, "clinician") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: content/demo/20-details.md:9: ") and message in err
    assert err.count("\n") == 1


def test_svg_figures_within_the_bounds_still_build(tmp_path: Path) -> None:
    figure = SVG.format('<defs><circle id="dot" r="1"/></defs>'
                        + '<use href="#dot" x="2" y="2"/>' * 50
                        + f'<image href="data:image/png;base64,{base64.b64encode(PNG).decode()}"'
                        ' width="4" height="2"/>')
    root = make_project(tmp_path / "p", {
        **SMALL_PROJECT, "content/demo/f.svg": figure,
        "content/demo/20-details.md": HEAD + "\nA figure:\n\n![A figure](f.svg)\n"})
    assert build(root, "clinician") == 0


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"clinics/long/clinic.toml": 'name = "' + "clinical" * 1250 + '"\nphones = [{ label = "D", '
      'number = "(555) 010-2000" }]\n'}, ["--clinic", "clinics/long", "clinician"],
     "error: clinics/long/clinic.toml:1: 'name': String should have at most 120 characters\n"),
    ({}, ["clinician", "--set", 'label="' + "x" * 3000 + '"'],
     "error: --set 'label': String should have at most 2000 characters\n"),
    ({"content/demo/20-details.md": HEAD.replace("order", "summary: " + "y" * 5000 + "\norder")
      + "Text.\n"}, ["clinician"],
     "error: content/demo/20-details.md:4: 'summary': String should have at most 2000 "
     "characters\n"),
])
def test_very_long_fields_are_refused_at_once(tmp_path: Path, capsys, monkeypatch,
                                              files: dict[str, str], args: list[str],
                                              message: str) -> None:
    """Before, a clinic name of 10,000 letters took minutes to lay out on the cover."""
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, **files})
    monkeypatch.chdir(root)
    started = time.monotonic()
    assert build(root, *args) == 2
    assert time.monotonic() - started < 20
    assert capsys.readouterr().err == message


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), max_size=4), min_size=1, max_size=7))
def test_svg_use_copies_are_counted_as_drawing_them_would(uses: list[list[int]]) -> None:
    """Random graphs of <use> references between groups: the SVG is refused exactly when
    drawing it in full (every copy of a copy, counted the slow way) is too much."""
    def size(level: int) -> int:  # a group: itself, a rect, and each <use> with its copy
        return 2 + sum(1 + size(target % level) for target in uses[level]) if level else 2

    def depth(level: int) -> int:
        below = [1 + depth(target % level) for target in uses[level]] if level else []
        return 1 + max([1, *below])

    last = len(uses) - 1
    groups = "".join(f'<g id="g{level}"><rect width="1" height="1"/>'
                     + "".join(f'<use href="#g{target % level}"/>' for target in uses[level])
                     + "</g>" if level else '<g id="g0"><rect width="1" height="1"/></g>'
                     for level in range(len(uses)))
    svg = SVG.format(f"<defs>{groups}</defs><use href=\"#g{last}\"/>")
    drawn = 2 + sum(size(level) for level in range(len(uses))) + 1 + size(last)
    deepest = 1 + max(1 + max(depth(level) for level in range(len(uses))), 1 + 1 + depth(last))
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(images, "MAX_SVG_ELEMENTS", 300)
        patch.setattr(images, "MAX_SVG_DEPTH", 9)
        path = Path(folder) / "f.svg"
        path.write_text(svg)
        try:
            images.check_svg(path, path, None, "f.svg")
            refused = False
        except BookletError:
            refused = True
    assert refused == (drawn > 300 or deepest > 9)

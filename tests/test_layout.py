"""The layout check finds what it is for: a project made to break each rule gets a finding
naming the copy, its print variant and the right page, as a warning in a build (repeated when
the run is up to date) and as an error under --check --strict, in the variants the edition
declares too."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from build import main
from tests.conftest import SECTION_TWO, SMALL_PROJECT, make_project
from tests.pdfread import page_texts

DIGITS = "1234567890" * 16  # no hyphenation point, no break: one word wider than the page
BROKEN_DETAILS = SECTION_TWO + f"""
A batch number that cannot break: {DIGITS}.

!!! note "A clipped box"
    {"This box is cut off at three lines of its text, so most of it is hidden. " * 8}
"""
BROKEN_CSS = """
.edition-clinician .chapter h2 { break-after: page !important; }  /* each ends its page */
.admonition { max-height: 5em; overflow: hidden; }  /* a box that clips its text */
"""
LONG_NOTICE = "Read this notice in full before you use this booklet. " * 20  # 1100 characters


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("broken") / "project", {
        **SMALL_PROJECT, "content/demo/20-details.md": BROKEN_DETAILS,
        "content/demo/booklet.toml": SMALL_PROJECT["content/demo/booklet.toml"]
        + f'\n[editions.patient]\ndisclaimer = "{LONG_NOTICE}"\n'})
    css = root / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + BROKEN_CSS, encoding="utf-8")
    patient = root / "editions" / "patient.toml"
    patient.write_text(patient.read_text(encoding="utf-8")
                       + 'check_variants = ["a5 large-print"]\n', encoding="utf-8")
    return root


def run(args: list[str]) -> tuple[int, str]:
    """main(args): its exit code and what it wrote to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(args)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def built(broken: Path) -> tuple[Path, str]:
    """The broken project's clinician and patient editions, built once: the output folder and
    the warnings."""
    out = broken / "out"
    code, err = run(["--project", str(broken), "--out", str(out), "--quiet", "clinician",
                     "patient"])
    assert code == 0, err
    return out, err


def page_of(path: Path, text: str) -> int:
    """The first page (1-based) whose text holds `text`."""
    return next(number for number, page in enumerate(page_texts(path), 1) if text in page)


def test_a_heading_that_ends_a_page_is_named_with_its_page(built: tuple[Path, str]) -> None:
    out, err = built
    pdf = out / "demo-clinician-letter.pdf"
    for heading in ("For professionals", "Dosing"):
        page = page_of(pdf, heading)
        assert (f"warning: demo clinician: letter, page {page}: the heading '{heading}' ends "
                "the page: what follows it is on the next page") in err
        assert page_of(pdf, "Dosing" if heading == "For professionals" else "0.5 mg/kg") > page


def test_a_nearly_empty_page_is_found_but_not_a_short_page_by_design(
        built: tuple[Path, str]) -> None:
    out, err = built
    pdf = out / "demo-clinician-letter.pdf"
    page = page_of(pdf, "For professionals")  # the heading's break leaves it nearly empty
    assert re.search(rf"demo clinician: letter, page {page}: the page is nearly empty "
                     r"\(\d+% used\)", err)
    # the contents, a section's last page and the back page are short by design
    flagged = {int(n) for n in re.findall(r"demo clinician: letter, page (\d+): the page is "
                                          r"nearly empty", err)}
    assert flagged == {page, page_of(pdf, "Dosing")}


def test_text_beyond_the_margin_and_text_cut_off_are_found(built: tuple[Path, str]) -> None:
    out, err = built
    pdf = out / "demo-clinician-letter.pdf"
    page = page_of(pdf, DIGITS[:40])
    assert (f"warning: demo clinician: letter, page {page}: '{DIGITS[:39]}…' reaches beyond "
            "the page's margins") in err
    page = page_of(pdf, "A clipped box")
    assert re.search(rf"warning: demo clinician: letter, page {page}: '[^']+' is cut off by "
                     "the box it is in", err)


def test_a_clean_copy_has_no_finding(built: tuple[Path, str]) -> None:
    assert "demo patient: letter, page" not in built[1]  # its notice fits a letter page


def test_check_strict_lays_out_the_declared_variants_and_fails(broken: Path) -> None:
    code, err = run(["--project", str(broken), "--check", "--strict", "patient"])
    assert code == 1
    assert "demo patient: letter" not in err
    # in large print on A5 the long notice no longer fits the cover, nor the back page
    assert ("error: demo patient: a5 large-print, page 1: 'Cover' should stay on one page but "
            "runs on to page 2") in err
    assert re.search(r"error: demo patient: a5 large-print, page \d+: 'Not medical advice' "
                     r"should stay on one page but runs on to page \d+", err)
    code, err = run(["--project", str(broken), "--check", "--strict", "clinician"])
    assert code == 1 and "error: demo clinician: letter, page " in err


def test_the_findings_are_repeated_when_the_run_is_up_to_date(broken: Path,
                                                               built: tuple[Path, str]) -> None:
    out, err = built
    again, repeated = run(["--project", str(broken), "--out", str(out), "--quiet", "clinician",
                           "patient"])
    assert again == 0
    findings = [line for line in err.splitlines() if ", page " in line]
    assert findings and [line for line in repeated.splitlines() if ", page " in line] == findings

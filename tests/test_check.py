"""python build.py --check: a report, no PDFs; exit 0 clean, 1 problems, 2 cannot run."""

from __future__ import annotations

from pathlib import Path

import pytest

from build import main
from tests.conftest import SECTION_ONE, SMALL_PROJECT, make_project

HARD_SECTION = """\
---
id: hard
title: Pharmacological considerations
order: 30
audiences: [patient]
---

Esketamine administration necessitates comprehensive cardiovascular monitoring,
particularly regarding hypertensive complications, dissociative phenomenology and
sedation-related respiratory compromise, consequently requiring institutional certification
procedures and documented observational protocols following intranasal administration.
"""


def test_clean_project_passes_and_prints_a_readability_table(small_project: Path,
                                                              capsys) -> None:
    assert main(["--project", str(small_project), "--check"]) == 0
    out = capsys.readouterr().out
    assert "Readability, demo patient edition (limits: Flesch-Kincaid ≤ 7, SMOG ≤ 8)" in out
    assert "intro" in out and "ok" in out
    assert out.rstrip().endswith("checked 3 edition(s): 0 error(s), 0 warning(s): ok")
    assert not (small_project / "output").exists()


def test_hard_patient_section_fails_the_check(tmp_path: Path, capsys, monkeypatch) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/30-hard.md": HARD_SECTION})
    monkeypatch.chdir(root)
    assert main(["--check"]) == 1
    captured = capsys.readouterr()
    assert "hard" in captured.out and "TOO HARD" in captured.out
    assert ("error: demo patient: content/demo/30-hard.md: section 'hard' is too hard to read "
            "(Flesch-Kincaid 44.9, SMOG 33.4; limits Flesch-Kincaid ≤ 7, SMOG ≤ 8)"
            in captured.err)
    assert captured.out.rstrip().endswith("checked 3 edition(s): 1 error(s), 0 warning(s): "
                                          "problems found")


def test_unused_reference_is_a_warning(tmp_path: Path, capsys) -> None:
    extra = "- key: unused2022\n  type: report\n  title: Never cited\n"
    files = {**SMALL_PROJECT,
             "content/demo/references.yaml": SMALL_PROJECT["content/demo/references.yaml"] + extra}
    root = make_project(tmp_path / "p", files)
    assert main(["--project", str(root), "--check"]) == 0
    assert "warning: demo: reference 'unused2022' is never cited" in capsys.readouterr().err


def test_content_error_is_reported_with_its_line(tmp_path: Path, capsys, monkeypatch) -> None:
    files = {**SMALL_PROJECT, "content/demo/20-details.md":
             "---\nid: details\ntitle: D\norder: 20\n---\n\n::: clinician\nOpen.\n"}
    monkeypatch.chdir(make_project(tmp_path / "p", files))
    assert main(["--check"]) == 1
    err = capsys.readouterr().err
    assert ("error: demo clinician: content/demo/20-details.md:7: '::: clinician' block is never "
            "closed") in err
    assert "never cited" not in err  # unknown while an edition cannot be rendered


def test_check_cannot_run_without_a_project(tmp_path: Path, capsys) -> None:
    assert main(["--project", str(tmp_path), "--check"]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_json_report_and_strict_mode(tmp_path: Path, capsys) -> None:
    import json

    toml = SMALL_PROJECT["content/demo/booklet.toml"]
    files = {**SMALL_PROJECT, "content/demo/booklet.toml": toml.replace(
        "next_review = 2099-01-15", "next_review = 2026-02-01")}
    root = make_project(tmp_path / "p", files)
    assert main(["--project", str(root), "--check", "--json"]) == 0  # a warning only
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["errors"] == 0 and report["warnings"] == 1
    assert report["project_warnings"] == [  # once for the booklet, not once per edition
        f"{root}/content/demo/booklet.toml:5: next review date 2026-02-01 has passed; review "
        "the content and update booklet.toml"]
    patient = next(e for e in report["editions"] if e["edition"] == "patient")
    assert {s["section"] for s in patient["readability"]} == {"intro"}
    assert main(["--project", str(root), "--check", "--strict"]) == 1
    captured = capsys.readouterr()
    assert "1 error(s), 0 warning(s): problems found" in captured.out  # passed: an error
    assert "error: " in captured.err and "next review date 2026-02-01 has passed" in captured.err


@pytest.mark.parametrize(("days", "shown"), [(0, "in 0 days"), (1, "in 1 day"),
                                              (30, "in 30 days"), (90, "in 90 days"),
                                              (91, None)])
def test_a_review_due_within_90_days_is_a_warning_in_checks_and_builds(
        tmp_path: Path, capsys, days: int, shown: str | None) -> None:
    from datetime import date, timedelta

    due = date.today() + timedelta(days=days)
    toml = SMALL_PROJECT["content/demo/booklet.toml"]
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/booklet.toml": toml.replace(
        "next_review = 2099-01-15", f"next_review = {due.isoformat()}")})
    message = (f"warning: {root}/content/demo/booklet.toml:5: next review is due on "
               f"{due.isoformat()}, {shown}; plan the review with the booklet's reviewers")
    assert main(["--project", str(root), "--check", "--strict"]) == 0  # due, not yet passed
    err = capsys.readouterr().err
    assert (message in err) if shown else "next review" not in err
    assert main(["--project", str(root), "--out", str(tmp_path / "out"), "patient"]) == 0
    err = capsys.readouterr().err
    assert (err.count(message) == 1) if shown else "next review" not in err


def test_links_sections_and_raw_html_are_reported(tmp_path: Path, capsys, monkeypatch) -> None:
    files = {**SMALL_PROJECT,
             "content/demo/20-details.md": (
                 "---\nid: details\ntitle: D\norder: 20\naudiences: [clinician]\n---\n\n"
                 "See [the intro](#intro).\n\n"
                 '<p onclick="steal()">Click <script>alert(1)</script>'
                 '<span style="display:none">hidden</span></p>\n'),
             "content/demo/30-orphan.md": "---\nid: orphan\ntitle: O\norder: 30\n"
                                          "audiences: [policymaker]\n---\nText\n",
             "content/demo/10-intro.md": SECTION_ONE + "\nSee [the details](#details).\n",
             "editions/policymaker.toml": 'label = "Policy"\naudience = "policymaker"\n'
                                          'sections = ["intro"]\n'}
    monkeypatch.chdir(make_project(tmp_path / "p", files))
    assert main(["--check"]) == 1
    err = capsys.readouterr().err
    for edition in ("patient", "policymaker"):  # neither prints the details section
        assert (f"error: demo {edition}: content/demo/10-intro.md:26: link to '#details' goes "
                "to a section this edition does not print" in err)
    assert "#intro" not in err and "demo clinician: content/demo/10-intro" not in err
    assert ("warning: demo clinician: content/demo/20-details.md: raw HTML removed for safety: "
            "onclick= on <p>, <script>, style= on <span>") in err
    assert "warning: content/demo/30-orphan.md: section 'orphan' is in no edition" in err


MARKED = SECTION_ONE.replace("Shared words for every reader",
                             "Shared words {>>check this<<} for {++every++} reader")


def test_open_editorial_marks_are_listed_and_shown_as_changes(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/10-intro.md": MARKED})
    assert main(["--project", str(root), "--check", "--strict"]) == 1
    out, err = capsys.readouterr()
    assert "(--strict: warnings count as errors): problems found" in out
    assert "warning: demo patient: " in err
    assert f"{root}/content/demo/10-intro.md:8: open editorial mark '{{>>check this<<}}'" in err
    assert "open editorial mark '{++every++}'" in err
    assert main(["--project", str(root), "--out", str(root / "o"), "--html", "--quiet",
                 "clinician"]) == 0
    html = (root / "o" / "demo-clinician-letter.html").read_text()
    assert '<span class="critic comment">check this</span>' in html
    assert '<ins class="critic">every</ins>' in html


def test_an_approved_booklet_refuses_open_marks(tmp_path: Path, capsys) -> None:
    toml = SMALL_PROJECT["content/demo/booklet.toml"].replace(
        'language = "en-GB"', 'language = "en-GB"\nstatus = "approved"') + (
        '\n[[reviewers]]\nname = "Dr A"\nrole = "GP"\ndate = 2026-02-01\n')
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/10-intro.md": MARKED,
                                         "content/demo/booklet.toml": toml})
    assert main(["--project", str(root), "--out", str(root / "o"), "--quiet"]) == 2
    assert ("10-intro.md:8: editorial mark '{>>check this<<}' is left in an approved booklet"
            in capsys.readouterr().err)
    assert not (root / "o").exists() or not list((root / "o").glob("*.pdf"))

"""User mistakes: one line naming the file (and line) and the fix, exit 2, no output written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from build import main
from tests.conftest import (
    PNG,
    REPO,
    SECTION_ONE,
    SMALL_PROJECT,
    assert_one_line_error,
    make_project,
)

IMAGE_SECTION = "---\nid: details\ntitle: D\norder: 20\n---\n\nA picture:\n![{alt}]({src})\n"
UNCLOSED = SECTION_ONE.replace(":::\n\n::: clinician", "\n::: clinician")

CASES = {
    # name: (files changed in the small project, extra args, expected error line)
    "unknown edition": (
        {}, ["patiant"],
        "error: unknown edition or booklet 'patiant'; did you mean 'patient'? "
        "(python build.py --list shows them)"),
    "front matter not YAML": (
        {"content/demo/10-intro.md": "---\nid: intro\ntitle: [unclosed\norder: 10\n---\nText\n"},
        [], "error: content/demo/10-intro.md:4: front matter is not valid YAML"),
    "front matter not a mapping": (
        {"content/demo/10-intro.md": "---\n- just\n- a list\n---\nText\n"},
        [], "error: content/demo/10-intro.md:2: front matter must be 'key: value' lines"),
    "missing required field": (
        {"content/demo/10-intro.md": "---\nid: intro\norder: 10\n---\nText\n"},
        [], "error: content/demo/10-intro.md:2: missing required key 'title'; add title: …"),
    "missing section id": (
        {"content/demo/10-intro.md": "---\ntitle: Intro\norder: 10\n---\nText\n"},
        [], "error: content/demo/10-intro.md:2: missing required key 'id'; add id: …"),
    "bad section id": (
        {"content/demo/10-intro.md": "---\nid: Intro Page\ntitle: Intro\norder: 10\n---\nT\n"},
        [], "error: content/demo/10-intro.md:2: 'id': String should match pattern"),
    "10 MB Markdown file": (
        {"content/demo/20-details.md": "---\nid: details\ntitle: D\norder: 20\n---\n"
                                       + "Words and more words. " * 480_000},
        [], "error: content/demo/20-details.md: file is 10.6 MB; the limit is 1 MB; "
            "split it into smaller files"),
    "duplicate section id": (
        {"content/demo/30-again.md": "---\nid: intro\ntitle: Again\norder: 30\n---\nText\n"},
        [], "error: content/demo/30-again.md:2: duplicate section id 'intro' "
            "(also in 10-intro.md); give each section its own id"),
    "unknown audience in block": (
        {"content/demo/10-intro.md": SECTION_ONE.replace("::: patient", "::: patients")},
        [], "error: content/demo/10-intro.md:10: unknown audience 'patients'; "
            "did you mean 'patient'?"),
    "unknown audience in front matter": (
        {"content/demo/20-details.md": "---\nid: details\ntitle: D\norder: 20\n"
                                       "audiences: [clinican]\n---\nText\n"},
        [], "error: content/demo/20-details.md:5: unknown audience 'clinican' in audiences; "
            "did you mean 'clinician'?"),
    "fence inside a sentence": (
        {"content/demo/10-intro.md": SECTION_ONE.replace("Shared words", "Shared ::: words")},
        [], "error: content/demo/10-intro.md:8: ':::' must stand alone at the start of a line; "
            "put the block's ':::' lines on lines of their own"),
    "edition subtitle": (
        {"editions/patient.toml": 'label = "P"\naudience = "patient"\nsubtitle = "Mine"\n'},
        [], "error: editions/patient.toml:3: an edition's subtitle belongs to each booklet; "
            "move it to content/<booklet>/booklet.toml as [editions.patient] subtitle = …"),
    "edition names no booklet": (
        {"editions/extra.toml": 'label = "X"\naudience = "patient"\nbooklet = "demo2"\n'},
        [], "error: editions/extra.toml:3: booklet 'demo2' not found; did you mean 'demo'?"),
    "crisis lines without a heading": (
        {"content/demo/booklet.toml": SMALL_PROJECT["content/demo/booklet.toml"].replace(
            'crisis_heading = "If you are thinking about suicide or feel unsafe"\n', "")},
        [], "error: content/demo/booklet.toml:13: crisis_lines need a crisis_heading"),
    "booklet text for an unknown edition": (
        {"content/demo/booklet.toml": SMALL_PROJECT["content/demo/booklet.toml"]
         + '\n[editions.patiant]\nsubtitle = "For you"\n'},
        [], "error: content/demo/booklet.toml:25: [editions.patiant] names no edition file; "
            "did you mean 'patient'?"),
    "approved without a reviewer": (
        {"content/demo/booklet.toml": SMALL_PROJECT["content/demo/booklet.toml"].replace(
            'language = "en-GB"', 'language = "en-GB"\nstatus = "approved"')},
        [], "error: content/demo/booklet.toml:7: status 'approved' needs a [[reviewers]] entry"),
    "clinic country": (
        {"clinics/x/clinic.toml": 'name = "X"\nphones = [{ label = "A", number = "0123 456" }]\n'
                                  'country = "England"\n'},
        ["--clinic", "clinics/x"], "error: clinics/x/clinic.toml:3: 'country': 'England' is not "
        "an ISO 3166 country code such as 'GB' or 'US'"),
    "unclosed block": (
        {"content/demo/10-intro.md": SECTION_ONE.rsplit(":::", 1)[0]},
        [], "error: content/demo/10-intro.md:18: '::: clinician policymaker' block is never "
            "closed; add a line ':::' where the block ends"),
    "nested block": (
        {"content/demo/10-intro.md": UNCLOSED},
        [], "error: content/demo/10-intro.md:17: '::: clinician policymaker' opens a block "
            "inside the '::: patient' block opened on line 10; blocks cannot be nested"),
    "stray closer": (
        {"content/demo/20-details.md": "---\nid: details\ntitle: D\norder: 20\n---\n\nText\n"
                                       "\n:::\n"},
        [], "error: content/demo/20-details.md:9: ':::' closes no open block"),
    "edition names unknown section": (
        {"editions/short.toml": 'label = "Short"\naudience = "patient"\nplain_language = true\n'
                                'font_size = "12pt"\nsections = [\n  "intro",\n  "summry",\n]\n'},
        ["short"], "error: editions/short.toml:7: unknown section 'summry'"),
    "edition TOML syntax": (
        {"editions/bad.toml": 'label = "Bad"\naudience = patient\n'},
        ["bad"], "error: editions/bad.toml:2: TOML syntax error"),
    "unknown edition field": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "patient"\npaper_size = "a4"\n'},
        ["bad"], "error: editions/bad.toml:3: unknown key 'paper_size'; did you mean 'paper'?"),
    "bad check variant": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "patient"\n'
                              'check_variants = ["a5 fold", "a3 large-print"]\n'},
        ["bad"], "error: editions/bad.toml:3: 'check_variants': 'a3' in 'a3 large-print' is "
                 "neither a paper (letter, a4, a5, half-letter) nor an option (large-print, "
                 "fold, print-shop)"),
    "check variant with two papers": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "patient"\n'
                              'check_variants = ["a5 letter"]\n'},
        ["bad"], "error: editions/bad.toml:3: 'check_variants': 'a5 letter' names a paper or "
                 "an option twice"),
    "bad paper": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "patient"\npaper = "A3"\n'},
        ["bad"], "error: editions/bad.toml:3: 'paper': Input should be 'letter', 'a4', 'a5' "
                 "or 'half-letter'"),
    "bad font size": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "clinician"\nfont_size = "11px"\n'},
        ["bad"], "error: editions/bad.toml:3: 'font_size': '11px' is not a size in points"),
    "patient font too small": (
        {"editions/bad.toml": 'label = "Bad"\naudience = "patient"\nplain_language = true\n'
                              'font_size = "10pt"\n'},
        ["bad"], "font_size 10pt is too small for a plain-language edition (at least 12pt)"),
    "template syntax error": (
        {"templates/cover.html": "<p>{{ booklet.title </p>\n"},
        [], "error: templates/cover.html:1: template syntax error"),
    "undefined template variable": (
        {"templates/section.html": "<h1>{{ section.title }}</h1>\n<p>{{ section.colour }}</p>\n"},
        [], "error: templates/section.html:2: template uses an undefined value"),
    "citation to unknown key": (
        {"content/demo/20-details.md": "---\nid: details\ntitle: D\norder: 20\n---\n\n"
                                       "Some claim [@smith2021].\n"},
        [], "error: content/demo/20-details.md:7: citation to unknown reference '@smith2021'; "
            "did you mean 'smith2020'?"),
    "malformed references file": (
        {"content/demo/references.yaml": "- key: a\n  title: [broken\n"},
        [], "error: content/demo/references.yaml:3: references file is not valid YAML"),
    "non-UTF-8 Markdown": (
        {"content/demo/20-details.md": b"---\nid: details\ntitle: D\norder: 20\n---\n\nCaf\xe9\n"},
        [], "error: content/demo/20-details.md:7: not valid UTF-8 (byte offset 43); "
            "save the file as UTF-8"),
    "missing image": (
        {"content/demo/20-details.md": "---\nid: details\ntitle: D\norder: 20\n---\n\n"
                                       "![A chart](images/chart.png)\n"},
        [], "error: content/demo/20-details.md:7: image 'images/chart.png' not found; "
            "check the file name and that the image is in the folder"),
    "image without alt text": (
        {"content/demo/20-details.md": IMAGE_SECTION.format(alt="", src="chart.png"),
         "content/demo/chart.png": PNG},
        [], "error: content/demo/20-details.md:8: image 'chart.png' has no alt text; "
            "describe it: ![what the picture shows](file.png)"),
    "image that is not an image": (
        {"content/demo/20-details.md": IMAGE_SECTION.format(alt="Chart", src="chart.png"),
         "content/demo/chart.png": "this is text, not a picture\n"},
        [], "error: content/demo/20-details.md:8: image 'chart.png' is not a PNG, JPEG, GIF, "
            "WebP or SVG image; export it again as PNG"),
    "image outside the project": (
        {"content/demo/20-details.md": IMAGE_SECTION.format(alt="Secret",
                                                            src="../../../etc/hostname")},
        [], "error: content/demo/20-details.md:8: image '../../../etc/hostname' is outside the "
            "project"),
    "image from the web": (
        {"content/demo/20-details.md": IMAGE_SECTION.format(alt="Web",
                                                            src="https://example.org/x.png")},
        [], "error: content/demo/20-details.md:8: image 'https://example.org/x.png' must be a "
            "relative path to a file in the project"),
    "empty content folder": (
        {"content/demo/10-intro.md": None, "content/demo/20-details.md": None},
        [], "error: content/demo: no sections: the booklet folder has no Markdown files"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_gives_one_line_error_and_no_output(name: str, tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    changes, args, expected = CASES[name]
    files = {k: v for k, v in {**SMALL_PROJECT, **changes}.items() if v is not None}
    assert_one_line_error(make_project(tmp_path / "project", files), args, expected, capsys,
                          monkeypatch)


def test_unknown_option_prints_usage_and_exits_2(capsys) -> None:
    assert main(["--colour", "blue"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: build.py")
    assert "unrecognized arguments: --colour" in err


@pytest.mark.parametrize("value", ["0", "-2", "two"])
def test_jobs_must_be_a_whole_number_of_one_or_more(value: str, capsys) -> None:
    assert main(["--jobs", value, "patient"]) == 2
    assert capsys.readouterr().err.endswith(
        f"error: argument --jobs: expected a whole number of 1 or more, not '{value}'\n")


def test_command_line_error_has_no_traceback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "nosuch"], cwd=root,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == ("error: unknown edition or booklet 'nosuch'; valid choices: "
                             "clinician, demo, patient, policymaker "
                             "(python build.py --list shows them)\n")
    assert result.stdout == ""

"""Hostile and odd input (issue 17): integer keys, deep nesting, huge images, odd line endings,
unwritable output, a broken manifest, a terminal that cannot print the message. Each is one
line per problem naming the file and line, exit 2 and nothing damaged; never a traceback."""

from __future__ import annotations

import errno
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest

from build import main
from tests.conftest import (
    REFERENCES,
    REPO,
    SECTION_ONE,
    SECTION_TWO,
    SMALL_PROJECT,
    assert_one_line_error,
    make_project,
)
from tests.pdfread import full_text

CLINIC = 'name = "X"\nphones = [{ label = "A", number = "0123 456" }]\n'
IMAGE_SECTION = "---\nid: details\ntitle: D\norder: 20\n---\n\nA picture:\n![A chart](big.png)\n"
EXTRA_REFERENCE = "- key: extra2020\n  type: article\n  title: Extra\n"


def png_of_size(width: int, height: int) -> bytes:
    """A small PNG file that says it is `width` x `height` pixels (a decompression bomb needs
    no more to be refused: Pillow reads the size first)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


def deep_list(depth: int) -> str:
    return "".join("    " * level + "- item\n" for level in range(depth))


CASES = {
    # name: (files changed in the small project, extra args, expected error line)
    "integer key in front matter": (
        {"content/demo/10-intro.md": SECTION_ONE.replace("order: 10", "order: 10\n1: x")},
        [], "error: content/demo/10-intro.md:5: key '1' is not text; keys are words such as "
            "'title'; put a key that is a number in quotes"),
    "null key in a reference": (
        {"content/demo/references.yaml": REFERENCES.replace("  type: webpage",
                                                            "  type: webpage\n  ~: x", 1)},
        [], "error: content/demo/references.yaml:10: key '~' is not text"),
    "key given twice": (
        {"content/demo/10-intro.md": SECTION_ONE.replace("order: 10", "order: 10\ntitle: B")},
        [], "error: content/demo/10-intro.md:5: key 'title' is given twice (also on line 3); "
            "keep one of them"),
    "order: true": (
        {"content/demo/10-intro.md": SECTION_ONE.replace("order: 10", "order: true")},
        [], "error: content/demo/10-intro.md:4: 'order': Input should be a valid integer"),
    "notes_pages = true": (
        {"editions/bad.toml": 'label = "B"\naudience = "clinician"\nnotes_pages = true\n'},
        ["bad"], "error: editions/bad.toml:3: 'notes_pages': Input should be a valid integer"),
    "font size in Arabic-Indic digits": (
        {"editions/bad.toml": 'label = "B"\naudience = "clinician"\n'
                              'font_size = "\u0661\u0664pt"\n'},
        ["bad"], "error: editions/bad.toml:3: 'font_size': '\u0661\u0664pt' is not a size in "
                 "points"),
    "--set font size in Arabic-Indic digits": (
        {}, ["clinician", "--set", "font_size=\u0661\u0664pt"],
        "error: --set 'font_size': '\u0661\u0664pt' is not a size in points such as '12pt'"),
    "edition for an empty booklet name": (
        {"editions/bad.toml": 'label = "B"\naudience = "clinician"\nbooklet = ""\n'},
        ["bad"], "error: editions/bad.toml:3: 'booklet': String should have at least 1 "
                 "character"),
    "section listed twice": (
        {"editions/bad.toml": 'label = "B"\naudience = "clinician"\n'
                              'sections = [\n  "intro",\n  "details",\n  "intro",\n]\n'},
        ["bad"], "error: editions/bad.toml:6: section 'intro' is listed twice in sections; "
                 "list each section once"),
    "empty citation": (
        {"content/demo/20-details.md": SECTION_TWO + "\nA claim [@].\n"},
        [], "error: content/demo/20-details.md:12: citation '[@]' is not '[@key]' or "
            "'[@key1; @key2]'; write each reference's key after its @, with ';' between keys"),
    "citation ending in a semicolon": (
        {"content/demo/20-details.md": SECTION_TWO + "\nA claim [@smith2020;].\n"},
        [], "error: content/demo/20-details.md:12: citation '[@smith2020;]' is not '[@key]'"),
    "duplicate reference key": (
        {"content/demo/references.yaml": REFERENCES + EXTRA_REFERENCE
         + "- key: jones2021\n  type: webpage\n  title: Again\n"},
        [], "error: content/demo/references.yaml:24: duplicate reference key 'jones2021' "
            "(first on line 8); give each reference its own key"),
    "reference without a title": (
        {"content/demo/references.yaml": REFERENCES + "- key: notitle\n  type: article\n"},
        [], "error: content/demo/references.yaml:21: missing required key 'title'; "
            "add title: …"),
    "reference that is not a mapping": (
        {"content/demo/references.yaml": REFERENCES + "- just a line\n"},
        [], "error: content/demo/references.yaml:21: each reference must be a mapping"),
    "150-deep blockquote": (
        {"content/demo/20-details.md": SECTION_TWO + "\n" + ">" * 150 + " Deep.\n"},
        [], "error: content/demo/20-details.md:12: nested 150 levels deep (quotes, lists or HTML "
            "inside each other); the limit is 20; take some levels out"),
    "30-deep list": (
        {"content/demo/20-details.md": SECTION_TWO + "\n" + deep_list(30)},
        [], "error: content/demo/20-details.md:33: nested 21 levels deep"),
    "100-deep list (too long before it is too deep)": (
        {"content/demo/20-details.md": SECTION_TWO + "\n" + deep_list(100)},
        [], "error: content/demo/20-details.md: section is too long"),
    "50-deep raw HTML": (
        {"content/demo/20-details.md": SECTION_TWO + "\n" + "<div>" * 50 + "x" + "</div>" * 50},
        [], "error: content/demo/20-details.md:12: nested 21 levels deep"),
    "300-deep raw HTML (too many tags before it is too deep)": (
        {"content/demo/20-details.md": SECTION_TWO + "\n" + "<div>" * 300 + "x" + "</div>" * 300},
        [], "error: content/demo/20-details.md:12: more than 200 HTML tags in one section"),
    "20,000 x 20,000 section image": (
        {"content/demo/20-details.md": IMAGE_SECTION, "content/demo/big.png": png_of_size(
            20_000, 20_000)},
        [], "error: content/demo/20-details.md:8: image 'big.png' has more than 40 million "
            "pixels; scale it down: 300 dpi at the printed size is plenty"),
    "10,000 x 10,000 section image": (
        {"content/demo/20-details.md": IMAGE_SECTION, "content/demo/big.png": png_of_size(
            10_000, 10_000)},
        [], "error: content/demo/20-details.md:8: image 'big.png' has more than 40 million "
            "pixels"),
    "20,000 x 20,000 clinic logo": (
        {"clinics/x/clinic.toml": CLINIC + 'logo = "logo.png"\nlogo_alt = "Logo"\n',
         "clinics/x/logo.png": png_of_size(20_000, 20_000)},
        ["patient", "--clinic", "clinics/x"],
        "error: clinics/x/clinic.toml:3: image 'logo.png' has more than 40 million pixels"),
    "output folder in /proc": (
        {}, ["patient", "--out", "/proc"],
        "error: /proc: cannot write in the output folder: No such file or directory; "
        "choose another --out"),
}


@pytest.mark.parametrize("name", CASES)
def test_hostile_input_is_one_line_and_no_output(name: str, tmp_path: Path, capsys,
                                                 monkeypatch) -> None:
    changes, args, expected = CASES[name]
    assert_one_line_error(make_project(tmp_path / "project", {**SMALL_PROJECT, **changes}),
                          args, expected, capsys, monkeypatch)


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path, capsys,
                                                         monkeypatch) -> None:
    intro = SECTION_ONE.replace("order: 10", "order: ten\ncolour: red")
    details = SECTION_TWO.replace("title: The details\n", "")
    references = REFERENCES + "- key: a1\n  type: article\n- type: book\n  title: T\n"
    root = make_project(tmp_path / "project", {
        **SMALL_PROJECT, "content/demo/10-intro.md": intro, "content/demo/20-details.md": details,
        "content/demo/references.yaml": references})
    monkeypatch.chdir(root)
    for args in ([], ["--check"]):
        assert main(["--out", "output", *args]) == 2
        assert capsys.readouterr().err.splitlines() == [
            "error: content/demo/10-intro.md:4: 'order': Input should be a valid integer",
            "error: content/demo/10-intro.md:5: unknown key 'colour'; valid keys: audiences, id, "
            "new_page, order, summary, title",
            "error: content/demo/20-details.md:2: missing required key 'title'; add title: …",
        ]
    (root / "content/demo/10-intro.md").write_text(SECTION_ONE)
    (root / "content/demo/20-details.md").write_text(SECTION_TWO)
    assert main(["--out", "output"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: content/demo/references.yaml:21: missing required key 'title'; add title: …",
        "error: content/demo/references.yaml:23: missing required key 'key'; add key: …",
        "error: content/demo/references.yaml:23: 'type': Input should be 'article', 'webpage', "
        "'label', 'legislation', 'guideline' or 'report'",
    ]
    assert not (root / "output").exists()


def test_every_problem_of_an_edition_file_and_of_set_is_reported(small_project: Path,
                                                                 capsys, monkeypatch) -> None:
    monkeypatch.chdir(small_project)
    (small_project / "editions/bad.toml").write_text(
        'label = "B"\naudience = "clinician"\npaper = "A3"\ntoc = 5\npapr = "a4"\n')
    assert main(["bad"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: editions/bad.toml:3: 'paper': Input should be 'letter', 'a4', 'a5' or "
        "'half-letter'",
        "error: editions/bad.toml:4: 'toc': Input should be a valid boolean, unable to "
        "interpret input",
        "error: editions/bad.toml:5: unknown key 'papr'; did you mean 'paper'?",
    ]
    assert main(["clinician", "--set", "paper=A3", "--set", "notes_pages=9"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: --set 'paper': Input should be 'letter', 'a4', 'a5' or 'half-letter'",
        "error: --set 'notes_pages': Input should be less than or equal to 4",
    ]


def test_every_citation_and_image_mistake_of_sections_is_reported(small_project: Path,
                                                                  capsys, monkeypatch) -> None:
    monkeypatch.chdir(small_project)
    (small_project / "content/demo/20-details.md").write_text(
        SECTION_TWO + "\nOne [@] and [@nokey].\n\n![](a.png) ![B](b.png)\n")
    (small_project / "content/demo/10-intro.md").write_text(
        SECTION_ONE.replace("[@smith2020]", "[@smith2020, @jones2021]"))
    assert main(["clinician"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: content/demo/10-intro.md:8: citation '[@smith2020, @jones2021]' is not "
        "'[@key]' or '[@key1; @key2]'; write each reference's key after its @, with ';' "
        "between keys",
        "error: content/demo/20-details.md:12: citation '[@]' is not '[@key]' or "
        "'[@key1; @key2]'; write each reference's key after its @, with ';' between keys",
        "error: content/demo/20-details.md:12: citation to unknown reference '@nokey'; "
        "valid choices: guide2022, jones2021, smith2020",
    ]
    (small_project / "content/demo/10-intro.md").write_text(SECTION_ONE)
    (small_project / "content/demo/20-details.md").write_text(
        SECTION_TWO + "\n![](a.png) ![B](b.png)\n")
    assert main(["--check", "clinician"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "error: demo clinician: content/demo/20-details.md:12: image 'a.png' has no alt text; "
        "describe it: ![what the picture shows](file.png)",
        "error: demo clinician: content/demo/20-details.md:12: image 'b.png' not found; "
        "check the file name and that the image is in the folder",
    ], err


@pytest.mark.parametrize("change", ["bom", "cr"])
def test_byte_order_marks_and_any_line_endings_are_read(change: str, tmp_path: Path) -> None:
    def changed(text: str) -> bytes:
        data = text.encode("utf-8")
        if change == "bom":
            return b"\xef\xbb\xbf" + data
        return data.replace(b"\n", b"\r")  # old Mac line endings

    files = {name: changed(text) for name, text in SMALL_PROJECT.items()}
    root = make_project(tmp_path / "project", files)
    (root / "editions/clinician.toml").write_bytes(
        changed((REPO / "editions/clinician.toml").read_text()))
    out = tmp_path / "out"
    assert main(["--project", str(root), "--out", str(out), "--quiet", "clinician"]) == 0
    text = full_text(out / "demo-clinician-letter.pdf")
    assert "Clinician-only words: 0.5 mg/kg over 40 minutes" in text
    assert "A test web page" in text  # references.yaml was read
    assert "\ufeff" not in text


def test_no_free_inodes_while_writing_is_one_line_and_keeps_previous_files(
        small_project: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    out = tmp_path / "out"
    assert main(["--project", str(small_project), "--out", str(out), "--quiet",
                 "patient"]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    real_mkdtemp = tempfile.mkdtemp

    def no_inodes(suffix=None, prefix=None, dir=None):  # only the output disk is full
        if dir is not None and Path(dir) == out:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_mkdtemp(suffix, prefix, dir)

    monkeypatch.setattr(tempfile, "mkdtemp", no_inodes)  # the staging folder needs an inode
    assert main(["--project", str(small_project), "--out", str(out), "--quiet", "--force",
                 "patient"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("out: cannot write file: No space left on device; "
                        "free some disk space or choose another --out\n"), err
    assert err.count("\n") == 1
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_no_room_for_temporary_files_is_one_line(small_project: Path, tmp_path: Path, capsys,
                                                monkeypatch) -> None:
    def no_inodes(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", no_inodes)
    assert main(["--project", str(small_project), "--out", str(tmp_path / "out"), "--quiet",
                 "patient"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "cannot create a temporary folder: No space left on device; free some disk space" in err


@pytest.mark.parametrize("manifest", [
    '{"files": [1, {"file": 5}, {"file": ["a"]}, {"file": "../x"}]}',
    '{"files": null}',
])
def test_a_malformed_manifest_is_one_line_and_left_as_it_is(
        small_project: Path, tmp_path: Path, capsys, manifest: str) -> None:
    """Rewriting it would lose the entries it still holds: it is refused before building."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(manifest)
    assert main(["--project", str(small_project), "--out", str(out), "--quiet",
                 "patient"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "manifest.json is not a manifest that booklet wrote" in err
    assert (out / "manifest.json").read_text() == manifest
    assert sorted(path.name for path in out.iterdir()) == ["manifest.json"]


def test_a_terminal_or_file_that_cannot_hold_the_characters_gets_escapes(
        small_project: Path, tmp_path: Path) -> None:
    """LANG=C without UTF-8 mode, output to a file: '≤' in the readability table and 'é' in an
    error are written as escapes, not a traceback."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONIOENCODING"}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0")
    report = tmp_path / "report.txt"
    with report.open("wb") as stdout:
        result = subprocess.run([sys.executable, str(REPO / "build.py"), "--check", "patient"],
                                cwd=small_project, env=env, stdout=stdout,
                                stderr=subprocess.PIPE)
    assert result.returncode in (0, 1), result.stderr
    assert b"Traceback" not in result.stderr
    assert "Flesch-Kincaid \\u2264 7" in report.read_text(encoding="ascii")
    (small_project / "content/demo/10-intro.md").write_text(
        SECTION_ONE.replace("order: 10", "order: 10\ncafé: yes"))
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--check"],
                            cwd=small_project, env=env, capture_output=True)
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: content/demo/10-intro.md:5: unknown key 'caf\\xe9'")
    assert result.stderr.count(b"\n") == 1


"""Only the shipped fonts: no font of the building machine in any PDF, and a character that
the shipped fonts lack is a warning naming its file and line (an error under --strict)."""

from __future__ import annotations

from pathlib import Path

import pytest

from booklet.fonts import missing_characters
from build import main
from tests.conftest import REPO, SECTION_TWO, SMALL_PROJECT, make_project
from tests.pdfread import font_names

RARE = SECTION_TWO + "\nA snowman ☃, a word in Chinese 漢字 and a thin\u2009space.\n"


def shipped_only(path: Path) -> bool:
    names = font_names(path)
    return bool(names) and all(name.startswith("Atkinson-Hyperlegible") for name in names)


def test_the_real_booklets_embed_only_the_shipped_fonts(ketamine_build: Path) -> None:
    pdfs = sorted(ketamine_build.glob("*.pdf"))
    assert pdfs
    for path in pdfs:  # nested lists once took their ◦ marker from a system font
        assert shipped_only(path), (path.name, font_names(path))


def test_the_real_content_needs_no_character_the_fonts_lack() -> None:
    files = [path for folder, pattern in (("content", "*.md"), ("content", "*.toml"),
                                          ("content", "*.yaml"), ("clinics", "*.toml"),
                                          ("booklet/locales", "*.po"), ("templates", "*.*"))
             for path in sorted((REPO / folder).rglob(pattern))]
    assert len(files) > 40
    for path in files:
        assert missing_characters(path.read_text(encoding="utf-8")) == [], path


@pytest.fixture
def rare_project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/20-details.md": RARE})


def test_a_character_no_shipped_font_has_is_a_warning_naming_its_line(
        rare_project: Path, capsys) -> None:
    out = rare_project / "out"
    assert main(["--project", str(rare_project), "--out", str(out), "clinician"]) == 0
    err = capsys.readouterr().err
    where = f"{rare_project / 'content/demo/20-details.md'}:{RARE.count(chr(10))}"
    for char, code in (("☃", "2603"), ("字", "5B57"), ("漢", "6F22")):
        assert (f"warning: demo clinician: {where}: character '{char}' (U+{code}) is in no "
                "shipped font and would print as a box; use another character or write it "
                "out\n") in err
    assert err.count("\n") == 3, err  # one line each; the thin space needs no glyph
    assert shipped_only(out / "demo-clinician-letter.pdf")


def test_check_warns_of_a_character_no_shipped_font_has_and_strict_fails(
        rare_project: Path, capsys) -> None:
    assert main(["--project", str(rare_project), "--check", "clinician"]) == 0
    assert "character '☃' (U+2603) is in no shipped font" in capsys.readouterr().err
    assert main(["--project", str(rare_project), "--check", "--strict", "clinician"]) == 1


def test_a_character_written_in_a_template_is_found_there(
        tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", SMALL_PROJECT)
    back = root / "templates" / "back.html"
    back.write_text(back.read_text() + "<p>Thank you ♥</p>\n")
    assert main(["--project", str(root), "--check", "patient"]) == 0
    line = back.read_text().count("\n")
    assert f"templates/back.html:{line}: character '♥' (U+2665)" in capsys.readouterr().err


def test_a_list_marker_no_shipped_font_has_is_a_warning(tmp_path: Path, capsys) -> None:
    section = SECTION_TWO + "\n- one\n- two\n"
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/20-details.md": section})
    css = root / "templates" / "print.css"
    css.write_text(css.read_text() + "\nul { list-style-type: square; }\n")
    assert main(["--project", str(root), "--out", str(root / "out"), "clinician"]) == 0
    err = capsys.readouterr().err
    assert "character '▪' (U+25AA) that a stylesheet generates (a list marker?) is in no " \
           "shipped font and printed as a box; use another in templates/" in err
    assert shipped_only(root / "out" / "demo-clinician-letter.pdf")

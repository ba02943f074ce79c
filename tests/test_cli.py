"""The command line documents itself: every option has help and appears in the README."""

from __future__ import annotations

import re

from build import main, make_parser
from tests.conftest import REPO


def test_every_option_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for action in make_parser()._actions:
        for option in action.option_strings:
            if option in ("-h", "--help"):
                continue
            assert action.help and len(action.help) > 10, option
            assert re.search(rf"[\s`]{re.escape(option)}(?![\w-])", readme), option


def test_help_explains_the_tool(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: build.py")
    assert "Build print-ready PDF booklets from one Markdown source." in out
    assert "exit codes: 0 success, 1 --check found problems, 2 bad input" in out


def test_readme_quick_start_is_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert quick_start.strip().splitlines() == ["make", "make test"]
    assert (REPO / ".ci" / "run").read_text().strip().endswith("make test")

"""Random Markdown, front matter and edition configs: the only allowed failure is a BookletError
with a message; never another exception, a hang or a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booklet.errors import BookletError
from booklet.project import Project
from tests.conftest import SMALL_PROJECT, make_project

FUZZ = settings(max_examples=60, deadline=10_000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

markdown_line = st.one_of(
    st.text(max_size=60),
    st.sampled_from([":::", "::: patient", "::: clinician policymaker", "::: nobody", "::: ",
                     "!!! warning \"Careful\"", "    - indented item", "| a | b |", "|---|---|",
                     "[@smith2020]", "[@nokey]", "[@smith2020; @jones2021]", "## Heading",
                     "# Top heading", "![alt](missing.png)", "![](x.png)", "<script>x</script>",
                     "<div markdown=\"1\">", "</div>", "Term", ": definition", "```", "---",
                     "<img src=\"file:///etc/passwd\" alt=\"x\">", "[link](#nowhere)"]),
)
front_value = st.one_of(st.text(max_size=20), st.integers(), st.none(), st.booleans(),
                        st.lists(st.text(max_size=8), max_size=3))
front_matter = st.dictionaries(
    st.sampled_from(["id", "title", "order", "audiences", "summary", "new_page", "colour"]),
    front_value, max_size=6)
edition_value = st.one_of(st.text(max_size=12), st.integers(-5, 40), st.booleans(),
                          st.sampled_from(["a4", "letter", "12pt", "all", "patient", "sources"]),
                          st.lists(st.sampled_from(["intro", "details", "x"]), max_size=3))
edition_config = st.dictionaries(
    st.sampled_from(["label", "audience", "paper", "font_size", "sections", "citations",
                     "plain_language", "notes_pages", "toc", "papr"]),
    edition_value, max_size=8)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def yaml_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value).lower()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """One project for every example: each test rewrites the file it fuzzes."""
    return make_project(tmp_path_factory.mktemp("fuzz") / "p", SMALL_PROJECT)


def render_all(project: Project, pdf: bool = False) -> None:
    for job in project.jobs([]):
        rendered = job.render()
        if pdf:
            job.to_pdf(rendered)


def expect_only_booklet_errors(project: Project, pdf: bool = False) -> None:
    try:
        render_all(project, pdf)
    except BookletError as error:  # every problem found, each one line
        assert error.each()
        for single in error.each():
            assert str(single).strip() and "\n" not in str(single)


@FUZZ
@given(meta=front_matter, lines=st.lists(markdown_line, max_size=25))
def test_random_sections(project: Path, meta: dict, lines: list[str]) -> None:
    front = "\n".join(f"{key}: {yaml_value(value)}" for key, value in meta.items())
    (project / "content/demo/20-details.md").write_text(f"---\n{front}\n---\n" + "\n".join(lines))
    expect_only_booklet_errors(Project(project))


@FUZZ
@given(raw=st.text(max_size=300))
def test_random_bytes_of_markdown_file(project: Path, raw: str) -> None:
    (project / "content/demo/20-details.md").write_text(raw)
    expect_only_booklet_errors(Project(project))


@FUZZ
@given(config=edition_config)
def test_random_edition_configs(project: Path, config: dict) -> None:
    (project / "content/demo/20-details.md").write_text(SMALL_PROJECT["content/demo/20-details.md"])
    text = "\n".join(f"{key} = {toml_value(value)}" for key, value in config.items())
    (project / "editions/fuzzed.toml").write_text(text)
    try:
        expect_only_booklet_errors(Project(project))
    finally:
        (project / "editions/fuzzed.toml").unlink()


@settings(max_examples=8, deadline=20_000, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(markdown_line, min_size=1, max_size=15))
def test_random_sections_all_the_way_to_pdf(project: Path, lines: list[str]) -> None:
    body = "\n".join(lines)
    (project / "content/demo/20-details.md").write_text(
        f"---\nid: details\ntitle: Details\norder: 20\n---\n{body}\n")
    expect_only_booklet_errors(Project(project), pdf=True)

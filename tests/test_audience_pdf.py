"""Audience and country blocks, proven on the built files: random sections with marked blocks
in random places (the top, list items, quotes, boxes, table rows, nested, oddly indented),
built by the real engine in every edition. No edition prints a word meant for other readers,
each prints its own, and a mistake in a fence is refused with its file and line, writing no
PDF."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from booklet.errors import BookletError
from booklet.project import Project
from build import main
from tests.conftest import BOOKLET_TOML, make_project
from tests.pdfread import alt_texts, full_text, outline

AUDIENCES = ("patient", "clinician", "policymaker")
SECTION_FILE = "content/demo/20-details.md"
INTRO = "---\nid: intro\ntitle: Introduction\norder: 10\n---\n\nWords for every reader.\n"
Shown = Callable[[str, str | None], bool]  # (audience, country): is the text printed for them
FENCE_INDENTS = ("", " ", "  ", "   ", "\t", " \t")  # before ':::', after the container's prefix
FENCE_GAPS = (" ", "  ", "\t", "")  # between ':::' and its words
CLOSE_ENDS = ("", " ", "\t")
CONDITIONS = ("country=US", "country=GB", "country=US,GB", "country!=US", "country!=GB,US")
LOOKALIKES = ("\uff1a\uff1a\uff1a", ":\u200b::", "\u2236\u2236\u2236", "\ufe55\ufe55\ufe55")
MISTAKES = ("unclosed", "stray close", "fence in a sentence", "block in a block",
            "block in an icon-array", "look-alike colons")


def for_audiences(names: tuple[str, ...]) -> Shown:
    return lambda audience, country: audience in names


def for_countries(condition: str) -> Shown:
    negated, codes = "!=" in condition, condition.split("=")[1].split(",")
    return lambda audience, country: (country in codes) != negated


@dataclass
class Draft:
    """A section as it is written: its lines (and which are fences), and who must read each
    marker word; a marker is a short token that hyphenation and ligatures leave alone."""

    draw: Callable
    lines: list[str] = field(default_factory=list)
    fences: set[int] = field(default_factory=set)  # indexes of fence lines
    blocks: list[tuple[int, int, str]] = field(default_factory=list)  # (open, close, prefix)
    icons: list[tuple[int, str]] = field(default_factory=list)  # (open, prefix)
    texts: list[int] = field(default_factory=list)  # indexes of plain text lines
    markers: dict[str, tuple[Shown, ...]] = field(default_factory=dict)
    cited: list[str] = field(default_factory=list)  # cited markers: each reference's title
    # holds its marker, so no reference list names the source of another reader's text

    def marker(self, shown: tuple[Shown, ...]) -> str:
        word = f"qzm{len(self.markers)}k"
        self.markers[word] = shown
        return word

    def add(self, line: str, kind: str = "text") -> int:
        self.lines.append(line)
        index = len(self.lines) - 1
        if kind == "fence":
            self.fences.add(index)
        elif kind == "text":
            self.texts.append(index)
        return index

    def pick(self, options):
        return self.draw(st.sampled_from(options))


def write(draft: Draft, prefix: str, depth: int, shown: tuple[Shown, ...], inside: str) -> None:
    """1 to 3 random elements in a container whose lines start with `prefix`; `inside` is the
    block they stand in ('' at the top, 'audience' or 'country'), as blocks nest only so."""
    kinds = ["paragraph", "heading", "table", "icon-array"]
    if depth < 3:
        kinds += ["list", "ordered list", "quote", "box"]
    if inside != "country":
        kinds.append("country block")
    if not inside:
        kinds += ["audience block"] * 3
    for _ in range(draft.draw(st.integers(1, 3))):
        if draft.draw(st.booleans()):  # else the element runs on from the line above
            draft.add(prefix.rstrip(), "blank")
        kind = draft.pick(kinds)
        if kind == "paragraph":
            word = draft.marker(shown)
            cite = ""
            if draft.draw(st.booleans()):
                draft.cited.append(word)
                cite = f" [@r{word}]"
            draft.add(f"{prefix}Words {word} here{cite}.")
        elif kind == "heading":
            draft.add(f"{prefix}## Heading {draft.marker(shown)}")
        elif kind in ("list", "ordered list"):
            for _ in range(draft.draw(st.integers(1, 3))):
                bullet = "1." if kind == "ordered list" else "-"
                draft.add(f"{prefix}{bullet} Item {draft.marker(shown)}")
                if draft.draw(st.booleans()):
                    write(draft, prefix + "    ", depth + 1, shown, inside)
        elif kind == "quote":
            write(draft, prefix + draft.pick(["> ", ">"]), depth + 1, shown, inside)
        elif kind == "box":
            draft.add(f'{prefix}!!! note "Box {draft.marker(shown)}"')
            draft.add(prefix.rstrip(), "blank")
            write(draft, prefix + "    ", depth + 1, shown, inside)
        elif kind == "table":
            draft.add(f"{prefix}| Head {draft.marker(shown)} | B |")
            draft.add(f"{prefix}|---|---|")
            for _ in range(draft.draw(st.integers(1, 3))):
                if inside != "country" and draft.draw(st.booleans()):
                    block(draft, prefix, shown, inside, lambda s: draft.add(
                        f"{prefix}| {draft.marker(s)} | x |"))
                else:
                    draft.add(f"{prefix}| {draft.marker(shown)} | x |")
        elif kind == "icon-array":
            draft.icons.append((draft.add(f"{prefix}::: icon-array 1 in 3", "fence"), prefix))
            draft.add(f"{prefix}Caption {draft.marker(shown)}")
            draft.add(f"{prefix}:::", "fence")
        else:
            block(draft, prefix, shown, inside,
                  partial(write, draft, prefix, depth + 1, inside=kind.split()[0]),
                  audience=kind == "audience block")


def block(draft: Draft, prefix: str, shown: tuple[Shown, ...], inside: str,
          body: Callable[[tuple[Shown, ...]], None], audience: bool | None = None) -> None:
    """An audience block (some audiences, maybe a country condition) or a country block around
    `body`, with the fences indented and spaced in one of the ways a writer might."""
    if audience is None:
        audience = not inside and draft.draw(st.booleans())
    words: list[str] = []
    conditions: list[Shown] = []
    if audience:
        names = draft.draw(st.lists(st.sampled_from(AUDIENCES), min_size=1, max_size=2,
                                    unique=True))
        words += names
        conditions.append(for_audiences(tuple(names)))
    if not audience or draft.draw(st.booleans()):
        condition = draft.pick(CONDITIONS)
        words.insert(draft.draw(st.integers(0, len(words))), condition)
        conditions.append(for_countries(condition))
    fence_prefix = prefix + draft.pick(FENCE_INDENTS)
    opening = draft.add(f"{fence_prefix}:::{draft.pick(FENCE_GAPS)}{' '.join(words)}", "fence")
    body((*shown, *conditions))
    closing = draft.add(f"{prefix + draft.pick(FENCE_INDENTS)}:::{draft.pick(CLOSE_ENDS)}",
                        "fence")
    draft.blocks.append((opening, closing, prefix))


@st.composite
def sections(draw) -> tuple[Draft, str | None, list[str] | None]:
    """A section (maybe for some audiences only), with at most one mistake made in it."""
    draft = Draft(draw)
    audiences = draw(st.none() | st.lists(st.sampled_from(AUDIENCES), min_size=1, unique=True))
    shown = () if audiences is None else (for_audiences(tuple(audiences)),)
    write(draft, "", 0, shown, "")
    mistake = draw(st.sampled_from([None] * 4 + [m for m in MISTAKES if can_make(draft, m)]))
    if mistake:
        make(draft, mistake)
    return draft, mistake, audiences


def can_make(draft: Draft, mistake: str) -> bool:
    return {"block in an icon-array": bool(draft.icons), "fence in a sentence": bool(draft.texts),
            }.get(mistake, bool(draft.blocks))


def make(draft: Draft, mistake: str) -> None:
    """Makes one mistake a writer could make with fences: each must be refused."""
    if mistake == "fence in a sentence":
        index = draft.pick(draft.texts)
        draft.lines[index] += " ::: clinician"
        draft.fences.add(index)
        return
    if mistake == "block in an icon-array":
        opening, prefix = draft.pick(draft.icons)
        insert(draft, opening + 1, [f"{prefix}::: {draft.pick(AUDIENCES)}"])
        return
    opening, closing, prefix = draft.pick(draft.blocks)
    if mistake == "unclosed":
        del draft.lines[closing]
        draft.fences = {i - (i > closing) for i in draft.fences if i != closing}
    elif mistake == "stray close":
        insert(draft, draft.draw(st.integers(0, len(draft.lines))), [f"{prefix}:::"])
    elif mistake == "block in a block":
        insert(draft, opening + 1, [f"{prefix}::: {draft.pick(AUDIENCES)}", f"{prefix}Text.",
                                    f"{prefix}:::"])
    else:  # both fences of a block in colons that only look like ':'
        colons = draft.pick(LOOKALIKES)
        for index in (opening, closing):
            draft.lines[index] = draft.lines[index].replace(":::", colons, 1)


def insert(draft: Draft, at: int, lines: list[str]) -> None:
    draft.lines[at:at] = lines
    draft.fences = {i + len(lines) * (i >= at) for i in draft.fences} | set(
        range(at, at + len(lines)))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small project for every example; each example rewrites its section and references."""
    return make_project(tmp_path_factory.mktemp("audience") / "project", {
        "content/demo/booklet.toml": BOOKLET_TOML, "content/demo/10-intro.md": INTRO})


def write_section(project: Path, draft: Draft, audiences: list[str] | None) -> int:
    """Writes the section and a reference for each cited marker; returns the body's first
    line in the file."""
    front = "---\nid: details\ntitle: Details\norder: 20\n"
    if audiences is not None:
        front += f"audiences: [{', '.join(audiences)}]\n"
    front += "---\n"
    source = "\n".join(draft.lines) + "\n"
    note(source)
    (project / SECTION_FILE).write_text(front + source, encoding="utf-8")
    references = "".join(f"- key: r{word}\n  type: webpage\n  title: Source {word}r\n"
                         f"  url: https://example.org/{word}\n" for word in draft.cited)
    (project / "content/demo/references.yaml").write_text(references or "[]\n")
    return front.count("\n") + 1


def squashed(text: str) -> str:
    """Text with every space, line break and hyphen taken out, so a marker word split by a line
    break or hyphenation is still found."""
    return "".join(text.lower().split()).replace("-", "").replace("\u00ad", "")


def assert_each_reader_reads_only_their_words(draft: Draft, printed: dict[tuple, str]) -> None:
    for (audience, country), text in printed.items():
        text = squashed(text)
        assert ":::" not in text, (audience, country)
        for word, shown in draft.markers.items():
            expected = all(condition(audience, country) for condition in shown)
            assert (word in text) == expected, (word, audience, country, expected)


def assert_refused(error: BookletError, draft: Draft, body_line: int, project: Path) -> None:
    """The refusal names the section file and one of the fence lines the mistake touched."""
    assert error.file == project / SECTION_FILE and "\n" not in str(error)
    assert error.line is not None and error.line - body_line in draft.fences, (
        str(error), draft.lines[error.line - body_line] if error.line >= body_line else None)


HTML_EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.function_scoped_fixture])
PDF_EXAMPLES = settings(HTML_EXAMPLES, max_examples=20)
READER_COUNTRIES = st.sampled_from([None, "US", "GB"])


@HTML_EXAMPLES
@given(section=sections(), country=READER_COUNTRIES)
def test_no_edition_html_holds_another_readers_words(project: Path, section, country) -> None:
    draft, mistake, audiences = section
    event(mistake or "no mistake")
    body_line = write_section(project, draft, audiences)
    try:
        printed = {(job.edition.audience, country): job.render().html
                   for job in Project(project).jobs([], country=country)}
    except BookletError as error:
        assert mistake, str(error)
        assert_refused(error, draft, body_line, project)
        return
    assert not mistake, f"{mistake} was not refused"
    assert_each_reader_reads_only_their_words(draft, printed)


def pdf_words(path: Path) -> str:
    """Everything a reader's software shows of a PDF: its text, bookmarks and alt texts."""
    return " ".join([full_text(path), *(title for title, _ in outline(path)),
                     *(alt for _, alt in alt_texts(path))])


@PDF_EXAMPLES
@given(section=sections(), country=READER_COUNTRIES)
def test_no_edition_pdf_holds_another_readers_words(project: Path, section, country) -> None:
    draft, mistake, audiences = section
    event(mistake or "no mistake")
    body_line = write_section(project, draft, audiences)
    if mistake:
        out = project / f"refused-{len(list(project.glob('refused-*')))}"
        args = ["--project", str(project), "--out", str(out), "--jobs", "1", "--quiet"]
        if country:
            args += ["--country", country]
        with contextlib.redirect_stderr(io.StringIO()) as stderr:
            assert main(args) == 2, f"{mistake} was not refused"
        assert stderr.getvalue().startswith("error: ") and stderr.getvalue().count("\n") == 1
        assert not list(out.glob("*.pdf"))
        with pytest.raises(BookletError) as caught:
            for job in Project(project).jobs([], country=country):
                job.render()
        assert_refused(caught.value, draft, body_line, project)
        assert f"{SECTION_FILE}:{caught.value.line}: " in stderr.getvalue()
        return
    out = project / "output"
    printed = {}
    for job in Project(project).jobs([], country=country):
        pdf = out / f"{job.stem}.pdf"
        pdf.parent.mkdir(exist_ok=True)
        pdf.write_bytes(job.to_pdf(job.render()).data)
        printed[(job.edition.audience, country)] = pdf_words(pdf)
    assert len(printed) == len(AUDIENCES)
    assert_each_reader_reads_only_their_words(draft, printed)

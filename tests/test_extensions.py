"""The Markdown extensions, as Python-Markdown tests them: input and expected HTML side by side."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown import Markdown

from booklet.errors import BookletError
from booklet.extensions import BookletExtension, Citations, Reader, SourceFile
from booklet.i18n import language
from booklet.references import Reference

AUDIENCES = ["patient", "clinician", "policymaker"]
REFERENCES = {
    "a": Reference(key="a", type="article", title="A", authors=["Doe J"], container="J",
                   year="2020"),
    "b": Reference(key="b", type="webpage", title="B", url="https://example.org"),
}


def convert(text: str, audience: str = "patient", numbered: bool = True,
            citations: Citations | None = None, country: str | None = None) -> str:
    text = dedent(text).strip("\n")
    citations = citations or Citations(REFERENCES, numbered=numbered)
    source = SourceFile(Path("section.md"), 7, text)
    md = Markdown(extensions=["admonition", "sane_lists", BookletExtension(
        Reader(audience, country), AUDIENCES, citations, source)])
    return md.convert(text)


def test_text_outside_blocks_reaches_every_audience() -> None:
    source = """
        Everyone.

        ::: clinician
        Clinicians only.
        :::

        Everyone again.
        """
    assert convert(source, "patient") == "<p>Everyone.</p>\n<p>Everyone again.</p>"
    assert convert(source, "clinician") == (
        "<p>Everyone.</p>\n<p>Clinicians only.</p>\n<p>Everyone again.</p>")


def test_a_block_can_name_several_audiences() -> None:
    source = """
        ::: clinician policymaker
        Professionals.
        :::
        """
    assert convert(source, "policymaker") == "<p>Professionals.</p>"
    assert convert(source, "patient") == ""


def test_markdown_inside_a_block_is_parsed_normally() -> None:
    source = """
        ::: patient
        ## Steps

        1. Check in.
        2. Rest.

        !!! warning "Get help"

            Call 988.
        :::
        """
    assert convert(source) == dedent("""\
        <h2>Steps</h2>
        <ol>
        <li>Check in.</li>
        <li>Rest.</li>
        </ol>
        <div class="admonition warning">
        <p class="admonition-title">Get help</p>
        <p>Call 988.</p>
        </div>""")


@pytest.mark.parametrize(("source", "message", "line"), [
    ("::: patient\nText\n", "'::: patient' block is never closed", 7),
    ("Text\n\n:::\n", "':::' closes no open block", 9),
    ("::: patient\n::: clinician\n:::\n:::\n",
     "'::: clinician' opens a block inside the '::: patient' block opened on line 7", 8),
    ("::: patients\nText\n:::\n", "unknown audience 'patients'", 7),
])
def test_block_mistakes_name_the_line(source: str, message: str, line: int) -> None:
    with pytest.raises(BookletError) as caught:
        convert(source)
    assert caught.value.message.startswith(message)
    assert caught.value.line == line
    assert caught.value.file == Path("section.md")


def test_citations_are_numbered_in_order_of_first_use() -> None:
    citations = Citations(REFERENCES, numbered=True)
    html = convert("One [@b]. Two [@a; @b]. Three [@a].", citations=citations)
    assert html == (
        '<p>One<span class="cite">\u00a0[<a href="#ref-b">1</a>]</span>. '
        'Two<span class="cite">\u00a0[<a href="#ref-a">2</a>, <a href="#ref-b">1</a>]</span>. '
        'Three<span class="cite">\u00a0[<a href="#ref-a">2</a>]</span>.</p>')
    assert [reference.key for reference in citations.cited] == ["b", "a"]


def test_plain_language_citations_leave_no_mark_but_are_recorded() -> None:
    citations = Citations(REFERENCES, numbered=False)
    assert convert("It helps some people [@a].", citations=citations) == (
        "<p>It helps some people.</p>")
    assert [reference.key for reference in citations.cited] == ["a"]


def test_citations_in_dropped_blocks_are_not_recorded() -> None:
    citations = Citations(REFERENCES, numbered=True)
    convert("::: clinician\nDose [@a].\n:::\n\nAll [@b].", "patient", citations=citations)
    assert [reference.key for reference in citations.cited] == ["b"]


def test_unknown_citation_names_its_line_and_the_closest_key() -> None:
    with pytest.raises(BookletError) as caught:
        convert("Fine.\n\nBad [@aa].")
    assert str(caught.value) == (
        "section.md:9: citation to unknown reference '@aa'; did you mean 'a'?")


def test_vancouver_reference_text() -> None:
    article = Reference(key="x", type="article", authors=["Daly EJ", "Trivedi MH"], et_al=True,
                        title="Efficacy of esketamine", container="JAMA Psychiatry",
                        year="2019", volume="76", issue="9", pages="893-903",
                        doi="10.1001/jamapsychiatry.2019.1189", pmid="31166571")
    assert article.vancouver(language("en-US")) == (
        "Daly EJ, Trivedi MH, et al. Efficacy of esketamine. JAMA Psychiatry. "
        "2019;76(9):893-903. doi:10.1001/jamapsychiatry.2019.1189. PMID: 31166571.")
    page = Reference(key="y", type="webpage", title="Esketamine nasal spray",
                     container="Cleveland Clinic", url="https://example.org/e")
    assert page.vancouver(language("en-US")) == (
        "Esketamine nasal spray [Internet]. Cleveland Clinic. Available from: https://example.org/e")


@pytest.mark.parametrize("source", [
    "Everyone.\n\n ::: clinician\n Secret dose.\n :::\n",  # a leading space
    "- one\n- two\n\n    ::: clinician\n    Secret dose.\n    :::\n- three\n",  # in a list item
    '!!! note "Box"\n\n    Everyone.\n\n    ::: clinician\n    Secret dose.\n    :::\n',  # in a box
    "> Quoted.\n>\n> ::: clinician\n> Secret dose.\n> :::\n",  # in a quote
])
def test_an_audience_block_works_wherever_it_stands(source: str) -> None:
    assert "Secret" not in convert(source, "patient") and ":::" not in convert(source)
    assert "Secret dose." in convert(source, "clinician")


def test_country_blocks_follow_the_readers_country() -> None:
    source = """
        ::: patient
        Everyone here.
        ::: country=US
        Call 911.
        :::
        ::: country!=US,GB
        Call your emergency number.
        :::
        :::
        """
    assert convert(source, country="US") == "<p>Everyone here.\nCall 911.</p>"
    assert convert(source, country="GB") == "<p>Everyone here.</p>"
    assert convert(source) == "<p>Everyone here.\nCall your emergency number.</p>"
    assert convert(source, "clinician", country="US") == ""


@pytest.mark.parametrize(("source", "message"), [
    ("::: patient\n::: country=US\n::: country=GB\n:::\n:::\n:::\n",
     "'::: country=GB' opens a block inside the '::: country=US' block opened on line 8"),
    ("::: country=US\n::: patient\n:::\n:::\n",
     "'::: patient' opens a block inside the '::: country=US' block opened on line 7"),
])
def test_only_a_country_block_may_stand_inside_an_audience_block(source: str,
                                                                 message: str) -> None:
    with pytest.raises(BookletError) as caught:
        convert(source)
    assert caught.value.message.startswith(message)


MARKERS = {"patient": "zebrapatient", "clinician": "zebraclinician",
           "policymaker": "zebrapolicy"}
PLACES = [  # (before, line prefix, after): where a block can stand
    ("", "", ""), ("- item\n", "  ", "- next\n"), ("1. step\n", "   ", "2. step\n"),
    ('!!! warning "Box"\n\n    Box text.\n\n', "    ", ""), ("> Quote.\n", "> ", ""),
    ("", " ", ""), ("Text before\n", "", "Text after\n"),
]


@given(st.lists(st.tuples(st.sampled_from(AUDIENCES), st.sampled_from(PLACES),
                          st.sampled_from(["", "## Heading\n", "- a list item\n", "**bold** "])),
                min_size=1, max_size=6))
@settings(max_examples=150, deadline=None)
def test_no_audience_text_leaks_into_another_edition(blocks) -> None:
    parts = []
    for audience, (before, prefix, after), extra in blocks:
        body = f"{extra}{MARKERS[audience]} words"
        parts.append(f"{before}{prefix}::: {audience}\n{prefix}{body}\n{prefix}:::\n{after}")
    source = "\n".join(parts)
    for reader in AUDIENCES:
        html = convert(source, reader)
        assert ":::" not in html
        for audience, marker in MARKERS.items():
            if audience != reader:
                assert marker not in html, (reader, source)
        if any(audience == reader for audience, _, _ in blocks):
            assert MARKERS[reader] in html, (reader, source)


@pytest.mark.parametrize(("source", "message", "line"), [
    ("::: icon-array 11 in 10\nToo many.\n:::\n", "icon-array 11 in 10 cannot be drawn", 7),
    ("::: icon-array 6 in 10\n:::\n", "icon-array has no caption", 7),
    ("Text.\n\n::: icon-array six in ten\nWords.\n:::\n",
     "icon-array 'six in ten' is not 'N in TOTAL'", 9),
    ("::: icon-array 6 in 10\nNo end.\n", "'::: icon-array' block is never closed", 7),
])
def test_icon_array_mistakes_name_the_line(source: str, message: str, line: int) -> None:
    with pytest.raises(BookletError) as caught:
        convert(source)
    assert caught.value.message == message and caught.value.line == line


def test_icon_array_draws_filled_and_outlined_people() -> None:
    from booklet.extensions import IconArray

    svg = IconArray(3, 12, "x").svg()
    assert svg.count("<circle") == 12
    assert svg.count('<circle cx="12" cy="11" r="6" fill="#1b1b1b"/>') == 1
    assert svg.count('stroke="#1b1b1b"') == 2 * 9  # head and body of each outlined person
    assert 'viewBox="0 0 240 88"' in svg  # ten to a row


def test_a_steps_block_wraps_its_list_in_a_timeline() -> None:
    html = convert("""
        Before.

        ::: steps Your visit
        1. You **arrive**.
        2. You get your dose [@a].
        :::

        After.
        """)
    assert html == (
        '<p>Before.</p>\n<div class="steps"><p class="steps-title">Your visit</p>\n'
        '<ol>\n<li>You <strong>arrive</strong>.</li>\n<li>You get your dose'
        '<span class="cite">\u00a0[<a href="#ref-a">1</a>]</span>.</li>\n</ol>\n</div>\n'
        '<p>After.</p>')


def test_a_steps_block_works_inside_an_audience_block() -> None:
    source = """
        ::: clinician
        ::: steps Dosing
        - Spray.
        :::
        :::
        """
    assert convert(source, "patient") == ""
    assert '<div class="steps"><p class="steps-title">Dosing</p>\n<ul>' in convert(
        source, "clinician")
    source = """
        ::: steps Visit
        - Arrive.
        :::

        ::: clinician
        Clinicians only.
        :::
        """
    assert "Clinicians only" not in convert(source, "patient")
    assert '<div class="steps">' in convert(source, "clinician")


@pytest.mark.parametrize(("source", "message", "line"), [
    ("::: steps\n1. One.\n:::\n", "'::: steps' has no title", 7),
    ("::: steps Visit\nJust words.\n:::\n", "'::: steps Visit' must hold one list and nothing "
     "else", 7),
    ("Text.\n\n::: steps Visit\n1. One.\n", "'::: steps' block is never closed", 9),
    ("::: steps Visit\n1. One.\n::: clinician\n:::\n",
     "'::: clinician' inside a '::: steps' block", 9),
])
def test_steps_mistakes_name_the_line(source: str, message: str, line: int) -> None:
    with pytest.raises(BookletError) as caught:
        convert(source)
    assert caught.value.message == message and caught.value.line == line


@pytest.mark.parametrize(("fence", "named"), [
    ("\uff1a\uff1a\uff1a", "U+FF1A FULLWIDTH COLON"),  # typed with a Chinese or Japanese IME
    (":\u200b::", "U+200B ZERO WIDTH SPACE"),  # pasted from a web page
    ("\u2236\u2236\u2236", "U+2236 RATIO"),
    ("\ufe55\ufe55\ufe55", "U+FE55 SMALL COLON"),
    ("\u205a\u205a\u205a", "U+205A TWO DOT PUNCTUATION"),  # named neither colon nor ratio
    ("\u0589\u0589\u0589", "U+0589 ARMENIAN FULL STOP"),
    ("\u05c3\u05c3\u05c3", "U+05C3 HEBREW PUNCTUATION SOF PASUQ"),
])
def test_a_fence_in_colons_that_only_look_like_colons_is_refused(fence: str, named: str) -> None:
    text = f"Everyone.\n\n{fence} clinician\nSecret dose.\n{fence}\n"
    assert "Secret" in convert(text, "patient")  # Markdown alone would print it for everyone
    mistake = SourceFile(Path("section.md"), 7, text).fence_mistake()
    assert mistake is not None and (mistake.line, mistake.file) == (9, Path("section.md"))
    assert mistake.message == f"block fence written with {named} instead of ':'"


def test_colons_that_are_not_a_fence_are_left_alone() -> None:
    text = "Ratio 2\u22361 at 10\uff1a30, and a time: 10:30.\n\n\u2236 alone"
    assert SourceFile(Path("section.md"), 7, text).fence_mistake() is None


def test_a_block_opened_in_an_icon_array_caption_is_refused() -> None:
    with pytest.raises(BookletError) as caught:  # it was printed as the caption, for everyone
        convert("::: icon-array 1 in 2\n::: clinician\nSecret dose.\n:::\n")
    assert (caught.value.line, caught.value.message) == (8, (
        "'::: clinician' opens a block inside the icon-array opened on line 7; an icon-array "
        "holds only its caption"))


@pytest.mark.parametrize("source", [
    "> ::: icon-array 1 in 2\n> Half of them.\n> :::\n",  # in a quote
    "Text.\n- not a list\n    ::: icon-array 1 in 2\n    Half of them.\n    :::\n",  # as code
])
def test_an_icon_array_is_drawn_wherever_it_stands(source: str) -> None:
    from booklet.content import Section, SectionMeta
    from booklet.render import render_section

    section = Section(SectionMeta(id="s", title="S", order=1), source, Path("section.md"), 7)
    html = render_section(section, Reader("patient"), AUDIENCES,
                          Citations(REFERENCES, numbered=True), language("en-GB")).html
    assert "<figcaption>Half of them.</figcaption>" in html and "\u2063" not in html

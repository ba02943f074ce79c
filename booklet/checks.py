"""Takes build jobs, gives a quality report without writing PDFs: readability, citations, safety.

Problems are errors (the edition must not be printed) or warnings (doubtful input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import textstat

from booklet.errors import BookletError, display_path
from booklet.project import Job
from booklet.render import RenderedEdition
from booklet.report import Reporter

MAX_GRADE = 7.0  # Flesch-Kincaid grade, per plain-language section
MAX_SMOG = 8.0
BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "th", "td", "caption",
          "figcaption"}
SENTENCE_END = re.compile(r"[.!?:]$")


class _BlockText(HTMLParser):
    """Collects the text of each block element (heading, paragraph, list item, cell) separately."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._current: list[str] = []

    def _flush(self) -> None:
        text = " ".join("".join(self._current).split())
        if text:
            self.blocks.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def readable_text(title: str, html: str) -> str:
    """A section as prose for readability formulas: every heading, item and cell is a sentence."""
    parser = _BlockText()
    parser.feed(html)
    parser.close()
    sentences = [title, *parser.blocks]
    return " ".join(s if SENTENCE_END.search(s) else s + "." for s in sentences)


@dataclass(frozen=True)
class Readability:
    section: str
    grade: float
    smog: float
    words: int

    @property
    def ok(self) -> bool:
        return self.grade <= MAX_GRADE and self.smog <= MAX_SMOG


def readability(rendered: RenderedEdition) -> list[Readability]:
    textstat.set_lang("en_US")
    scores = []
    for section in rendered.sections:
        text = readable_text(section.title, section.html)
        scores.append(Readability(section.id, textstat.flesch_kincaid_grade(text),
                                  textstat.smog_index(text), textstat.lexicon_count(text)))
    return scores


@dataclass
class Report:
    edition: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)
    cited: set[str] | None = None  # None when the edition could not be rendered


def check_job(job: Job, today: date) -> Report:
    report = Report(job.edition.name)
    try:
        rendered = job.render()
    except BookletError as error:
        report.errors.append(str(error))
        return report
    config = job.booklet.config
    report.cited = {reference.key for reference in rendered.references}
    if job.edition.plain_language:
        report.readability = readability(rendered)
        for score in report.readability:
            if not score.ok:
                report.errors.append(
                    f"{display_path(_path(rendered, score.section))}: section '{score.section}' "
                    f"is too hard to read (grade {score.grade:.1f}, SMOG {score.smog:.1f}; "
                    f"limits {MAX_GRADE:g} and {MAX_SMOG:g}); use shorter sentences and words")
    for line in config.crisis_lines:
        if line.contact not in rendered.html:
            report.errors.append(f"crisis line '{line.name}' is missing from the edition")
    if "Not medical advice" not in rendered.html:
        report.errors.append("the 'not medical advice' notice is missing from the edition")
    if config.next_review < today:
        report.warnings.append(f"next review date {config.next_review} has passed; review the "
                               f"content and update booklet.toml")
    return report


def _path(rendered: RenderedEdition, section_id: str):
    return next(s.path for s in rendered.sections if s.id == section_id)


def unused_references(jobs: list[Job], reports: list[Report]) -> list[str]:
    """References that no checked edition of their booklet cites (when every edition rendered)."""
    if any(report.cited is None for report in reports):
        return []
    warnings = []
    for booklet in {job.booklet.name: job.booklet for job in jobs}.values():
        cited = set().union(*(r.cited or set() for j, r in zip(jobs, reports, strict=True)
                              if j.booklet is booklet))
        warnings += [f"{booklet.name}: reference '{key}' is never cited"
                     for key in booklet.references if key not in cited]
    return warnings


def run_checks(jobs: list[Job], reporter: Reporter, today: date | None = None) -> int:
    """Prints the report; 0 when clean, 1 when any edition has an error."""
    today = today or date.today()
    reports = [check_job(job, today) for job in jobs]
    failed = False
    for report in reports:
        for score in report.readability:
            if score is report.readability[0]:
                reporter.result(f"\nReadability, {report.edition} edition "
                                f"(limits: grade {MAX_GRADE:g}, SMOG {MAX_SMOG:g})")
                reporter.result(f"  {'section':<36} {'grade':>5} {'SMOG':>5} {'words':>6}")
            mark = "ok" if score.ok else "TOO HARD"
            reporter.result(f"  {score.section:<36} {score.grade:>5.1f} {score.smog:>5.1f} "
                            f"{score.words:>6}  {mark}")
    reporter.result("")
    for report in reports:
        for error in report.errors:
            reporter.error(f"{report.edition}: {error}")
            failed = True
        for warning in report.warnings:
            reporter.warning(f"{report.edition}: {warning}")
    for warning in unused_references(jobs, reports):
        reporter.warning(warning)
    reporter.result(f"checked {len(reports)} edition(s): "
                    + ("problems found" if failed else "no errors"))
    return 1 if failed else 0

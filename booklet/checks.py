"""Takes build jobs, gives a quality report without writing PDFs: readability, citations, safety.

Problems are errors (the edition must not be printed) or warnings (doubtful input).
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import textstat

from booklet.errors import BookletError, display_path
from booklet.project import Job, Project
from booklet.render import RenderedEdition, select_sections
from booklet.report import Reporter

MAX_GRADE = 7.0  # Flesch-Kincaid grade, per plain-language section
MAX_SMOG = 8.0
BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "th", "td", "caption",
          "figcaption"}
SENTENCE_END = re.compile(r"[.!?:]$")
LINK = re.compile(r'href="#([^"]+)"')


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
    booklet: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)
    cited: set[str] | None = None  # None when the edition could not be rendered

    def as_dict(self) -> dict[str, object]:
        return {"edition": self.edition, "booklet": self.booklet, "errors": self.errors,
                "warnings": self.warnings,
                "readability": [{**asdict(score), "ok": score.ok} for score in self.readability]}


def check_job(job: Job, today: date) -> Report:
    report = Report(job.edition.name, job.booklet.name)
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
    for section in rendered.sections:
        if section.removal_warning:
            report.warnings.append(section.removal_warning)
        for target in LINK.findall(section.html):
            if f'id="{target}"' not in rendered.html:
                report.errors.append(f"{display_path(section.path)}: link to '#{target}' "
                                     "points nowhere; link to a section id")
    for line in config.crisis_lines:
        if line.contact not in rendered.html:
            report.errors.append(f"crisis line '{line.name}' is missing from the edition")
    if "Not medical advice" not in rendered.html:
        report.errors.append("the 'not medical advice' notice is missing from the edition")
    if config.next_review < today:
        report.warnings.append(f"next review date {config.next_review} has passed; review the "
                               f"content and update booklet.toml")
    return report


def _path(rendered: RenderedEdition, section_id: str) -> Path:
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


def unprinted_sections(project: Project) -> list[str]:
    """Sections that no edition prints (all editions count, not only the ones checked)."""
    printed: dict[str, set[str]] = {}
    for job in project.jobs([]):
        with contextlib.suppress(BookletError):  # an edition's own error is reported elsewhere
            printed.setdefault(job.booklet.name, set()).update(
                s.id for s in select_sections(job.booklet, job.edition))
    return [f"{display_path(section.path)}: section '{section.id}' is in no edition"
            for booklet in project.booklets for section in booklet.sections
            if section.id not in printed.get(booklet.name, set())]


def run_checks(project: Project, jobs: list[Job], reporter: Reporter, *, strict: bool = False,
               as_json: bool = False, today: date | None = None) -> int:
    """Prints the report; 0 when clean, 1 when any error (or, with strict, any warning)."""
    reports = [check_job(job, today or date.today()) for job in jobs]
    warnings = unused_references(jobs, reports) + unprinted_sections(project)
    errors = sum(len(report.errors) for report in reports)
    warned = sum(len(report.warnings) for report in reports) + len(warnings)
    failed = errors > 0 or (strict and warned > 0)
    if as_json:
        reporter.result(json.dumps({"ok": not failed, "errors": errors, "warnings": warned,
                                    "editions": [r.as_dict() for r in reports],
                                    "project_warnings": warnings}, indent=2))
        return 1 if failed else 0
    for report in reports:
        if report.readability:
            reporter.result(f"Readability, {report.edition} edition "
                            f"(limits: grade {MAX_GRADE:g}, SMOG {MAX_SMOG:g})")
            reporter.result(f"  {'section':<36} {'grade':>5} {'SMOG':>5} {'words':>6}")
        for score in report.readability:
            mark = "ok" if score.ok else "TOO HARD"
            reporter.result(f"  {score.section:<36} {score.grade:>5.1f} {score.smog:>5.1f} "
                            f"{score.words:>6}  {mark}")
    for report in reports:
        for error in report.errors:
            reporter.error(f"{report.edition}: {error}")
        for warning in report.warnings:
            reporter.warning(f"{report.edition}: {warning}")
    for warning in warnings:
        reporter.warning(warning)
    strictness = " (--strict: warnings count as errors)" if strict and warned else ""
    reporter.result(f"checked {len(reports)} edition(s): {errors} error(s), {warned} warning(s)"
                    f"{strictness}: " + ("problems found" if failed else "ok"))
    return 1 if failed else 0

"""Takes build jobs, gives a quality report without writing PDFs: readability, citations, safety.

Problems are errors (the edition must not be printed) or warnings (doubtful input).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pyphen
import textstat
from markupsafe import escape

from booklet.config import EASE_SCORES
from booklet.content import review_reminders
from booklet.errors import BookletError, display_path, shorten
from booklet.i18n import _, language
from booklet.project import Job, Project
from booklet.render import RenderedEdition, select_sections
from booklet.report import Reporter

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


FORMULA_NAMES = {  # textstat's formulas as the report names them
    "flesch_kincaid_grade": "Flesch-Kincaid", "smog_index": "SMOG",
    "fernandez_huerta": "Fernández-Huerta", "szigriszt_pazos": "Szigriszt-Pazos",
}


def passes(formula: str, score: float, limit: float) -> bool:
    """A grade passes at or under its limit, a reading-ease score at or over it."""
    return score >= limit if formula in EASE_SCORES else score <= limit


def limit_text(formula: str, limit: float) -> str:
    return f"{FORMULA_NAMES[formula]} {'≥' if formula in EASE_SCORES else '≤'} {limit:g}"


@dataclass(frozen=True)
class Readability:
    section: str
    scores: dict[str, float]  # formula → score
    limits: dict[str, float]
    words: int

    @property
    def ok(self) -> bool:
        return all(passes(name, score, self.limits[name]) for name, score in self.scores.items())


def readability(rendered: RenderedEdition) -> list[Readability]:
    """Each section's scores with the formulas of the booklet's language (none if it has
    none)."""
    config = rendered.booklet.config
    limits = config.readability_limits()
    if not limits:
        return []
    # syllables by the language's own hyphenation dictionary (en_US, en_GB, es, …)
    textstat.set_lang(pyphen.language_fallback(str(language(config.language).locale)))
    scores = []
    for section in rendered.sections:
        text = readable_text(section.title, section.html)
        scores.append(Readability(section.id, {name: getattr(textstat, name)(text)
                                               for name in limits},
                                  limits, textstat.lexicon_count(text)))
    return scores


@dataclass
class Report:
    edition: str
    booklet: str
    language: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    readability: list[Readability] = field(default_factory=list)
    cited: set[str] | None = None  # None when the edition could not be rendered

    @property
    def name(self) -> str:
        """How the report names the copy, e.g. 'ketamine patient' or 'ketamine patient es'."""
        return " ".join(part for part in (self.booklet, self.edition, self.language) if part)

    def as_dict(self) -> dict[str, object]:
        return {"edition": self.edition, "booklet": self.booklet, "language": self.language,
                "errors": self.errors, "warnings": self.warnings,
                "readability": [{**asdict(score), "ok": score.ok} for score in self.readability]}


def check_job(job: Job) -> Report:
    report = Report(job.edition.name, job.booklet.name, job.booklet.translation or "")
    try:
        rendered = job.render()
    except BookletError as error:
        report.errors += [str(single) for single in error.each()]
        return report
    config = job.booklet.config
    words = language(config.language)
    report.cited = {reference.key for reference in rendered.references}
    if job.edition.plain_language:
        report.readability = readability(rendered)
        if not config.readability_limits():
            report.warnings.append(_("readability not checked: no formulas for language "
                                     "'%(language)s'") % {"language": config.language})
        for score in report.readability:
            if not score.ok:
                report.errors.append(_(
                    "%(file)s: section '%(section)s' is too hard to read (%(scores)s; limits "
                    "%(limits)s); use shorter sentences and words") % {
                    "file": display_path(_path(rendered, score.section)),
                    "section": score.section,
                    "scores": ", ".join(f"{FORMULA_NAMES[name]} {value:.1f}"
                                        for name, value in score.scores.items()),
                    "limits": ", ".join(limit_text(name, limit)
                                        for name, limit in score.limits.items())})
    for section in select_sections(job.booklet, job.edition):
        report.warnings += [_("%(file)s:%(line)d: open editorial mark %(mark)s") % {
            "file": display_path(section.path), "line": line, "mark": shorten(mark)}
            for line, mark in section.editorial_marks]
    for section in rendered.sections:
        if section.removal_warning:
            report.warnings.append(section.removal_warning)
    report.warnings += rendered.font_warnings
    for line in config.crisis_lines:
        if escape(line.contact) not in rendered.html:
            report.errors.append(_("crisis line '%(name)s' is missing from the edition")
                                 % {"name": line.name})
    notice = job.booklet.edition_text(job.edition).disclaimer
    if escape(words.gettext("Not medical advice.")) not in rendered.html or (
            escape(notice) not in rendered.html):
        report.errors.append(_("the 'not medical advice' notice is missing from the edition"))
    return report


def layout_errors(jobs: list[Job]) -> list[list[str]]:
    """Per job, what the layout check finds when it is laid out in its own print variant and
    in each one its edition's `check_variants` lists (in worker processes, at most one per
    core): each finding, or the error that stopped the layout, variant by variant."""
    from booklet.batch import Workers

    owners, tasks = [], []
    for index, job in enumerate(jobs):
        variants = {job.edition.print_variant: job.edition}
        for variant in job.edition.check_variants:
            edition = job.edition.in_variant(variant)
            variants.setdefault(edition.print_variant, edition)
        for edition in variants.values():
            owners.append(index)
            tasks.append((len(tasks), replace(job, edition=edition)))
    results: dict[int, list[str]] = {}
    if tasks:
        with Workers(min(os.cpu_count() or 1, len(tasks))) as workers:
            results = dict(workers.map_unordered(_lay_out, tasks))
    found: list[list[str]] = [[] for _job in jobs]
    for position, index in enumerate(owners):
        found[index] += results[position]
    return found


def _lay_out(task: tuple[int, Job]) -> tuple[int, list[str]]:
    position, job = task
    try:
        built = job.build()
    except BookletError as error:
        return position, [f"{job.edition.print_variant}: {single}" for single in error.each()]
    return position, [finding.message(job.edition.print_variant)
                      for finding in built.pdf.layout]


def _path(rendered: RenderedEdition, section_id: str) -> Path:
    return next(s.path for s in rendered.sections if s.id == section_id)


def unused_references(jobs: list[Job], reports: list[Report]) -> list[str]:
    """References that no checked edition of their booklet cites (when every edition rendered)."""
    if any(report.cited is None for report in reports):
        return []
    warnings = []
    for booklet in {job.booklet.name: job.booklet for job in jobs}.values():
        cited = set().union(*(r.cited or set() for j, r in zip(jobs, reports, strict=True)
                              if j.booklet.name == booklet.name))  # translations count too
        warnings += [_("%(booklet)s: reference '%(key)s' is never cited")
                     % {"booklet": booklet.name, "key": key}
                     for key in booklet.references if key not in cited]
    return warnings


def unprinted_sections(project: Project) -> list[str]:
    """Sections that no edition prints (all editions count, not only the ones checked)."""
    printed: dict[str, set[str]] = {}
    for job in project.jobs([]):
        with contextlib.suppress(BookletError):  # an edition's own error is reported elsewhere
            printed.setdefault(job.booklet.name, set()).update(
                s.id for s in select_sections(job.booklet, job.edition))
    return [_("%(file)s: section '%(section)s' is in no edition")
            % {"file": display_path(section.path), "section": section.id}
            for booklet in project.booklets for section in booklet.sections
            if section.id not in printed.get(booklet.name, set())]


def run_checks(project: Project, jobs: list[Job], reporter: Reporter, *, strict: bool = False,
               as_json: bool = False, today: date | None = None) -> int:
    """Prints the report; 0 when clean, 1 when any error (or, with strict, any warning, and
    any layout finding: strict lays out each copy, see layout_errors)."""
    today = today or date.today()
    reports = [check_job(job) for job in jobs]
    if strict:  # only what renders can be laid out
        laid_out = [(job, report) for job, report in zip(jobs, reports, strict=True)
                    if report.cited is not None]
        for (_job, report), errors in zip(laid_out, layout_errors([j for j, _r in laid_out]),
                                          strict=True):
            report.errors += errors
    reminders = review_reminders((job.booklet for job in jobs), today)
    # a review due soon stays a warning under --strict; one that has passed is an error
    overdue = [r.message for r in reminders if r.passed and strict]
    due = [r.message for r in reminders if not (r.passed and strict)]
    warnings = unused_references(jobs, reports) + unprinted_sections(project) + due
    errors = sum(len(report.errors) for report in reports) + len(overdue)
    warned = sum(len(report.warnings) for report in reports) + len(warnings)
    escalated = strict and warned > sum(not r.passed for r in reminders)
    failed = errors > 0 or escalated
    if as_json:
        reporter.result(json.dumps({"ok": not failed, "errors": errors, "warnings": warned,
                                    "editions": [r.as_dict() for r in reports],
                                    "project_errors": overdue,
                                    "project_warnings": warnings}, indent=2))
        return 1 if failed else 0
    for report in reports:
        if not report.readability:
            continue
        formulas = list(report.readability[0].limits)
        reporter.result(_("Readability, %(copy)s edition (limits: %(limits)s)") % {
            "copy": report.name, "limits": ", ".join(
                limit_text(name, limit) for name, limit in report.readability[0].limits.items())})
        section, words = _("section"), _("words")
        reporter.result(f"  {section:<36}" + "".join(
            f" {FORMULA_NAMES[name]:>16}" for name in formulas) + f" {words:>6}")
        for score in report.readability:
            mark = _("ok") if score.ok else _("TOO HARD")
            reporter.result(f"  {score.section:<36}" + "".join(
                f" {score.scores[name]:>16.1f}" for name in formulas)
                + f" {score.words:>6}  {mark}")
    for report in reports:
        for error in report.errors:
            reporter.error(f"{report.name}: {error}")
        for warning in report.warnings:
            reporter.warning(f"{report.name}: {warning}")
    for error in overdue:
        reporter.error(error)
    for warning in warnings:
        reporter.warning(warning)
    summary = _("checked %(editions)d edition(s): %(errors)d error(s), %(warnings)d "
                "warning(s)") % {"editions": len(reports), "errors": errors, "warnings": warned}
    if escalated:
        summary += " " + _("(--strict: warnings count as errors)")
    reporter.result(summary + ": " + (_("problems found") if failed else _("ok")))
    return 1 if failed else 0

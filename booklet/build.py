"""Owns a whole build: takes a project folder and a run's options, plans the copies, builds
them in the workers, writes them into the output folder and reports on them.

The command line (build.py), the web app and the tests all call `build()`; none of them has
its own copy of these steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booklet.errors import BookletError, display_path
from booklet.i18n import _, user_language
from booklet.report import Reporter

if TYPE_CHECKING:
    from booklet.batch import Outcome, Workers
    from booklet.output import Copy
    from booklet.project import Job, Project


@dataclass(frozen=True)
class Options:
    """What one run builds and how; the fields of the command line's options."""

    names: tuple[str, ...] = ()  # editions or booklets; none: all of them
    language: str | None = None
    country: str | None = None
    out: Path = Path("output")
    clinics: tuple[str, ...] = ()  # clinic folders, or "all"
    settings: dict[str, Any] = field(default_factory=dict)  # edition fields (--set)
    paper: str | None = None
    large_print: bool = False
    fold: bool = False
    print_shop: bool = False
    bleed: str | None = None
    html: bool = False
    web: bool = False
    preview: bool = False
    force: bool = False
    jobs: int = os.cpu_count() or 1
    shard: str | None = None  # "I/N", or "auto": from the job system (booklet/shard.py)

    def overrides(self) -> dict[str, Any]:
        """The edition fields this run sets: --set, then the printing options."""
        overrides = dict(self.settings)
        if self.paper:
            overrides["paper"] = self.paper
        if self.large_print:
            overrides["large_print"] = True
        if self.fold:
            overrides["saddle_stitch"] = True
        if self.print_shop or self.bleed:
            overrides.update(bleed=self.bleed or "3mm", crop_marks=True)
        return overrides

    def key(self, project_dir: Path) -> dict[str, object]:
        """What a run's files depend on from its options (not jobs or force), paths made
        absolute, so two spellings of one command are one."""
        options = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)
                   if item.name not in ("jobs", "force")}
        options.update(out=str(self.out.resolve()), project=str(project_dir.resolve()),
                       clinics=[value if value == "all" else str(Path(value).resolve())
                                for value in self.clinics])
        return options


@dataclass
class Result:
    """What a build wrote (names in the output folder) and what went wrong."""

    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    up_to_date: bool = False


def build(project_dir: Path, options: Options, reporter: Reporter,
          workers: Workers | None = None) -> Result:
    """Builds the copies `options` asks for into options.out. A single build writes nothing
    if any copy fails to build or to be written; a clinic batch writes every copy that did
    and reports the rest. A run with no error is remembered, so the same run again only says
    "up to date" until an input changes. `workers` (e.g. a server's) are used when given,
    else started for this run. Bad input raises BookletError."""
    from booklet.state import run_key, up_to_date

    if options.shard:  # 'auto' is resolved first: each shard is its own command to the state
        from booklet.shard import resolve

        slice_ = resolve(options.shard, os.environ)
        if slice_.system:
            reporter.info(_("shard %(index)d of %(count)d (from %(system)s: %(variables)s)")
                          % dataclasses.asdict(slice_))
        options = dataclasses.replace(options, shard=slice_.spec)
    state = run_key(project_dir.resolve(), options.key(project_dir))
    done = None if options.force else up_to_date(options.out, *state)
    if done is not None:  # nothing changed: not even WeasyPrint is loaded
        names, warnings = done
        for warning in warnings:
            reporter.warning(warning)
        for name in names:
            reporter.info(_("up to date: %(file)s") % {"file": display_path(options.out / name)})
        return Result(files=names, up_to_date=True)
    from booklet.batch import Workers

    with contextlib.nullcontext(workers) if workers else Workers(
            worker_count(project_dir, options)) as pool:
        # Imported only now, so new workers load WeasyPrint while this process loads
        # pydantic, Markdown and Jinja and reads the content, instead of one after the other.
        from booklet.project import Project

        project = Project(project_dir.resolve())
        jobs, failed, shard = plan(project, options, reporter)
        return _build_jobs(jobs, failed, options, reporter, pool, state, shard)


def check(project_dir: Path, options: Options, reporter: Reporter, strict: bool = False,
          as_json: bool = False) -> int:
    """Checks the content of the copies `options` names without building them: 0 when all is
    well, 1 when the check found problems (see booklet/checks.py)."""
    from booklet.checks import run_checks  # textstat loads a dictionary: only here
    from booklet.project import Project

    project = Project(project_dir.resolve())
    jobs = project.jobs(list(options.names), options.overrides(), language=options.language,
                        country=options.country)
    return run_checks(project, jobs, reporter, strict=strict, as_json=as_json)


def worker_count(project_dir: Path, options: Options) -> int:
    """options.jobs, but no more workers than the editions named in one language (a clinic
    batch, a booklet's name or a translation means more jobs than names)."""
    editions = project_dir / "editions"
    if options.names and not options.clinics and options.language and all(
            (editions / f"{name}.toml").is_file() for name in options.names):
        return min(options.jobs, len(options.names))
    return options.jobs


def plan(project: Project, options: Options,
         reporter: Reporter) -> tuple[list[Job], list[str], dict[str, object] | None]:
    """The jobs to build, the clinics that could not be loaded (each a one-line error) and,
    for one shard (options.shard 'I/N'), its record for the manifest."""
    from booklet.clinic import load_clinic
    from booklet.content import review_reminders
    from booklet.shard import parse_shard, record, shard

    slice_ = parse_shard(options.shard) if options.shard else None
    names, overrides = list(options.names), options.overrides()
    # editions and content errors stop here
    jobs = project.jobs(names, overrides, language=options.language, country=options.country)
    failed: list[str] = []
    if options.clinics:
        jobs = []
        for folder in clinic_folders(project, options.clinics):
            try:
                clinic = load_clinic(folder)
                jobs += project.jobs(names, overrides, clinic, language=options.language)
            except BookletError as error:
                failed.append(str(error))
                continue
            if clinic.colour_note:
                reporter.warning(f"{display_path(folder / 'clinic.toml')}: {clinic.colour_note}")
    for reminder in review_reminders((job.booklet for job in jobs), date.today()):
        reporter.warning(reminder.message)
    project.code_key  # noqa: B018 -- hashed once here, before the jobs go to the workers
    if slice_:
        return shard(jobs, slice_.index, slice_.count), failed, record(jobs, slice_)
    return jobs, failed, None


def clinic_folders(project: Project, values: tuple[str, ...]) -> list[Path]:
    """The folders named, 'all' meaning every clinic folder, each once."""
    from booklet.clinic import find_clinics

    folders: list[Path] = []
    for value in values:
        if value == "all":
            folders += find_clinics(project.clinics_dir)
        else:
            folders.append(Path(value))
    unique: dict[Path, Path] = {}  # one copy per folder, however it was written
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def _build_jobs(jobs: list[Job], failed: list[str], options: Options, reporter: Reporter,
                workers: Workers, state: tuple[str, str],
                shard: dict[str, object] | None) -> Result:
    from booklet.batch import run
    from booklet.output import Staging, output_path, prepare_output_dir
    from booklet.project import check_distinct_outputs
    from booklet.state import copy_record, previous_copies, remember

    out_dir = options.out
    prepare_output_dir(out_dir)
    for job in jobs:  # before building: every name stays in the output folder, and is its own
        for name in job.output_names:
            output_path(out_dir, name)
    check_distinct_outputs(jobs)
    batch = bool(options.clinics) and len(jobs) + len(failed) > 1
    outcomes: list[Outcome] = []
    copies: dict[int, Copy] = {}
    with Staging(out_dir, whole=not batch) as staging:
        with reporter.progress(len(jobs), enabled=batch) as advance:
            previous = None if options.force else (out_dir, previous_copies(out_dir))
            for outcome in run(jobs, workers, keep_html=options.html,
                               pages=last_pages(out_dir), previous=previous):
                if not outcome.error:  # staged now: a batch keeps no PDF in memory
                    copies[outcome.index] = staging.add(
                        files_of(jobs[outcome.index], outcome, options))
                outcomes.append(dataclasses.replace(outcome, pdf=b"", imposed=None,
                                                    print_pack={}, html=""))
                advance(jobs[outcome.index].label)
        outcomes.sort(key=lambda outcome: outcome.index)
        errors = list(dict.fromkeys(failed + [o.error for o in outcomes if o.error]))
        for error in errors:  # the same content mistake breaks every copy: say it once
            reporter.error(error)
        if errors and not batch:
            return Result(errors=errors)
        staging.publish(shard)
    rows = []
    for outcome in outcomes:
        job, copy = jobs[outcome.index], copies.get(outcome.index)
        if copy and copy.error:
            reporter.error(copy.error)
            errors.append(copy.error)
            outcome = dataclasses.replace(outcome, error=copy.error)
        path = None if outcome.error else out_dir / f"{job.stem}.pdf"
        if path:
            for warning in outcome.warnings:
                reporter.warning(f"{job.label}: {warning}")
            if not batch:
                pages = user_language().ngettext("%(pages)s page", "%(pages)s pages",
                                                 outcome.pages) % {"pages": f"{outcome.pages:>3}"}
                reporter.info(f"{job.label:<24} {pages}  {outcome.seconds:5.1f} s  "
                              f"{display_path(path)}"
                              + (" " + _("(unchanged)") if outcome.unchanged else ""))
        rows.append((job, outcome, path))
    if batch:
        summarise(rows, len(failed), reporter)
    written = {name: sha256 for copy in copies.values()  # a copy not written has none
               for name, sha256 in copy.written.items()}
    if not errors:
        records = {jobs[o.index].stem: copy_record(
            o.key, o.pages, o.warnings, o.loaded,
            {name: sha256 for name, sha256 in copies[o.index].written.items()
             if name in jobs[o.index].output_names}) for o in outcomes}
        remember(out_dir, *state, written, reporter.warnings, records)
    return Result(files=sorted(written), errors=errors)


def last_pages(out_dir: Path) -> dict[str, int]:
    """Each copy's page count in the last build into `out_dir` (its manifest), by stem."""
    from booklet.output import read_manifest

    return {str(entry["file"]).removesuffix(".pdf"): entry["pages"]
            for entry in read_manifest(out_dir)
            if str(entry["file"]).endswith(".pdf") and isinstance(entry.get("pages"), int)}


def files_of(job: Job, outcome: Outcome, options: Options) -> Copy:
    """One job's files and their manifest entries."""
    from booklet.output import Copy, manifest_entry

    fields = {"booklet": job.booklet.name, "edition": job.edition.name,
              "audience": job.edition.audience, "language": job.booklet.config.language,
              **({"clinic": job.clinic.id} if job.clinic else {}),
              **({"country": job.country} if job.country else {})}
    copy = Copy({f"{job.stem}.pdf": outcome.pdf})
    copy.entries.append(manifest_entry(f"{job.stem}.pdf", outcome.pdf, **fields,
                                       paper=job.edition.page_paper, pages=outcome.pages))
    if options.web:
        from booklet.web import web_files

        web = web_files(job, outcome.pdf)
        copy.files.update(web)
        index = next(name for name in web if name.endswith("/index.html"))
        copy.entries.append(manifest_entry(index, web[index], **fields, format="web"))
    if options.html:
        copy.files[f"{job.stem}.html"] = outcome.html.encode("utf-8")
    if options.preview:
        from booklet.preview import contact_sheet  # pypdfium2: only when asked for

        copy.files[f"{job.stem}.png"] = contact_sheet(outcome.pdf)
    if outcome.imposed:
        imposed = f"{job.stem}-booklet.pdf"
        copy.files[imposed] = outcome.imposed
        copy.entries.append(manifest_entry(imposed, outcome.imposed, **fields,
                                           paper=job.edition.paper, imposed="saddle-stitch",
                                           pages=outcome.pages // 2))
    for name, data in outcome.print_pack.items():
        copy.files[name] = data
        copy.entries.append(manifest_entry(name, data, **fields, format="job-sheet"))
    return copy


def summarise(rows: list[tuple[Job, Outcome, Path | None]], unloaded: int,
              reporter: Reporter) -> None:
    """A batch's table: one row per copy, then how many were built and failed."""
    failed = unloaded + sum(1 for _row, outcome, _path in rows if outcome.error)
    language = user_language()
    titles = [language.pgettext("summary column", "booklet"),
              language.pgettext("summary column", "edition"),
              language.pgettext("summary column", "language"),
              language.pgettext("summary column", "clinic"),
              language.pgettext("summary column", "pages"),
              language.pgettext("summary column", "seconds"),
              language.pgettext("summary column", "result")]
    widths = [max(width, len(title)) for width, title in zip((14, 14, 9, 20, 5, 7), titles,
                                                             strict=False)]
    reporter.info(f"{titles[0]:<{widths[0]}} {titles[1]:<{widths[1]}} {titles[2]:<{widths[2]}} "
                  f"{titles[3]:<{widths[3]}} {titles[4]:>{widths[4]}} {titles[5]:>{widths[5]}}  "
                  f"{titles[6]}")
    for job, outcome, path in sorted(rows, key=lambda row: row[0].stem):
        clinic = job.clinic.id if job.clinic else "-"
        result = display_path(path) if path else _("FAILED: %(error)s") % {
            "error": outcome.error.splitlines()[0]}
        if outcome.unchanged:
            result += " " + _("(unchanged)")
        reporter.info(f"{job.booklet.name:<{widths[0]}} {job.edition.name:<{widths[1]}} "
                      f"{job.booklet.config.language:<{widths[2]}} {clinic:<{widths[3]}} "
                      f"{outcome.pages:>{widths[4]}} {outcome.seconds:>{widths[5]}.1f}  {result}")
    summary = _("%(built)d built, %(failed)d failed") % {"built": len(rows) - failed + unloaded,
                                                         "failed": failed}
    if unloaded:
        summary += " " + language.ngettext("(%(count)d clinic profile could not be read)",
                                           "(%(count)d clinic profiles could not be read)",
                                           unloaded) % {"count": unloaded}
    reporter.info(summary)


def list_editions(project_dir: Path, options: Options, reporter: Reporter) -> None:
    """Each copy's booklet, edition, language and sections; a section with country blocks
    names the countries they are for."""
    from booklet.project import Project
    from booklet.render import select_sections

    project = Project(project_dir.resolve())
    for job in project.jobs(list(options.names), options.overrides(),
                            language=options.language, country=options.country):
        sections = select_sections(job.booklet, job.edition)
        text = job.booklet.edition_text(job.edition)
        reporter.result(f"{job.label}: {text.label} ({job.booklet.config.language}, "
                        f"{job.edition.audience}, {job.edition.paper}, {job.edition.font_size}"
                        + (", " + _("country %(country)s") % {"country": job.country}
                           if job.country else "") + ")")
        for section in sections:
            countries = section.countries
            shown = ("  [" + _("country blocks: %(countries)s") % {
                "countries": ", ".join(countries)} + "]") if countries else ""
            reporter.result(f"  {section.meta.order:>4}  {section.id:<34} {section.title}"
                            f"{shown}")

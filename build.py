#!/usr/bin/env python3
"""booklet's command line: parses arguments and hands them to the engine in booklet/."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from booklet.batch import Outcome, Workers, parse_shard, run, shard
from booklet.errors import BookletError, Terminated, display_path, raise_terminated
from booklet.i18n import _, user_language
from booklet.paper import PAPER_SIZES
from booklet.report import Reporter

if TYPE_CHECKING:
    from booklet.output import Copy
    from booklet.project import Job, Project

def N_(message: str) -> str:
    """Marks a message for the catalogs (pybabel) that is translated where it is used."""
    return message


DESCRIPTION = N_("""\
Build print-ready PDF booklets from one Markdown source.

Each booklet in content/<booklet>/ is built in every edition in editions/<name>.toml that
applies to it (the booklet declares the edition's audience, or the edition names the
booklet), in its own language and in each translation in content/<booklet>/<lang>/, into
output/<booklet>-<edition>[-<lang>]-<paper>.pdf, with output/manifest.json listing every
file.""")

EXAMPLES = N_("""\
examples:
  python build.py                  build every edition of every booklet, every language
  python build.py patient          build only the patient edition (of every booklet)
  python build.py ketamine         build only the ketamine booklet's editions
  python build.py patient --lang es              the Spanish patient edition
  python build.py --clinic clinics/harbour-view  a UK clinic's copies (its country first)
  python build.py --list           show editions and the sections each one prints
  python build.py --check          check content without writing PDFs
  python build.py --html --out /tmp/preview   also write the print HTML, elsewhere
  python build.py patient --paper a4 --large-print     an A4 large-print patient edition
  python build.py patient --fold --preview             a folded booklet and a contact sheet
  python build.py clinician --print-shop --bleed 5mm   bleed and crop marks for a print shop
  python build.py patient --set font_size=14pt --set notes_pages=2

exit codes: 0 success, 1 --check found problems, 2 bad input (the message says what to fix),
130 stopped by Ctrl-C, 143 stopped by SIGTERM.""")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description=_(DESCRIPTION), epilog=_(EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=_("edition or booklet names to build (default: every edition of "
                          "every booklet)"))
    parser.add_argument("--lang", metavar="TAG",
                        help=_("build only in this language, e.g. es or en-US: the booklet's "
                          "own or a translation in content/<booklet>/<lang>/"))
    parser.add_argument("--country", type=country_code, metavar="CC",
                        help=_("readers' country (ISO 3166, e.g. GB): its crisis lines and "
                          "emergency number first, its 'country=' blocks shown (a clinic copy "
                          "uses the clinic's country)"))
    parser.add_argument("--out", default="output", metavar="DIR",
                        help=_("folder for the PDFs and manifest.json (default: output)"))
    parser.add_argument("--html", action="store_true",
                        help=_("also write each edition's print HTML next to its PDF"))
    parser.add_argument("--web", action="store_true",
                        help=_("also write each copy's web edition, for patient portals and "
                               "clinic websites: output/web/<name>/index.html with its fonts, "
                               "pictures and the PDF beside it (publish the folder as it is)"))
    parser.add_argument("--force", action="store_true",
                        help=_("build even when nothing has changed since the same command "
                               "last wrote its files (they are checked, so by default such a "
                               "run only says 'up to date')"))
    parser.add_argument("--list", action="store_true",
                        help=_("list the editions and the sections each one prints, then stop"))
    parser.add_argument("--check", action="store_true",
                        help=_("check content, citations and readability without writing PDFs"))
    parser.add_argument("--strict", action="store_true",
                        help=_("with --check: treat warnings (e.g. a passed review date) as "
                               "errors"))
    parser.add_argument("--json", action="store_true",
                        help=_("with --check: print the report as JSON, for CI"))
    parser.add_argument("--quiet", action="store_true", help=_("print errors and warnings only"))
    clinics = parser.add_argument_group(_("clinics and batches"))
    clinics.add_argument("--clinic", action="append", default=[], metavar="FOLDER",
                         help=_("build the clinic's own copy (its logo, contacts, crisis line, "
                           "colour): a folder with clinic.toml, e.g. clinics/riverside; "
                           "repeatable; 'all' for every folder in clinics/"))
    clinics.add_argument("--jobs", type=positive, default=os.cpu_count() or 1, metavar="N",
                         help=_("build in N worker processes at once (default: the number of "
                           "cores; never more than twice the cores, nor more than the copies "
                           "to build)"))
    clinics.add_argument("--shard", metavar="I/N",
                         help=_("build only the I-th of N equal slices of the (clinic x edition) "
                           "list, e.g. 2/8 in a CI matrix"))
    printing = parser.add_argument_group(
        _("printing (each is an edition field set for this run)"))
    printing.add_argument("--paper", choices=sorted(PAPER_SIZES),
                          help=_("paper size for every edition built (default: the edition's)"))
    printing.add_argument("--large-print", action="store_true",
                          help=_("large print: body 18pt (never under 16pt), nothing under 14pt"))
    printing.add_argument("--fold", action="store_true",
                          help=_("also write a folded saddle-stitch booklet: half-size pages, "
                            "padded with notes pages to a multiple of 4, imposed 2-up"))
    printing.add_argument("--booklet", action="store_true", dest="old_fold",
                          help=_("old spelling of --fold (deprecated)"))
    printing.add_argument("--print-shop", action="store_true",
                          help=_("add bleed (default 3mm) and crop marks, with TrimBox and "
                                 "BleedBox"))
    printing.add_argument("--bleed", metavar="MM", help=_("bleed for --print-shop, e.g. 5mm"))
    printing.add_argument("--preview", action="store_true",
                          help=_("also write a contact-sheet PNG of all pages next to each PDF"))
    printing.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                          help=_("set any edition field for this run, e.g. --set font_size=14pt; "
                            "repeatable; checked like the edition file"))
    parser.add_argument("--project", default=".", metavar="DIR",
                        help=_("project folder holding content/, editions/ and templates/ "
                          "(default: current folder)"))
    return parser


def country_code(value: str) -> str:
    from booklet.i18n import is_country

    if not is_country(value):
        raise argparse.ArgumentTypeError(_("'%(value)s' is not an ISO 3166 country code such "
                                           "as GB or US") % {"value": value})
    return value


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(_("expected a whole number of 1 or more, not "
                                           "'%(value)s'") % {"value": value})
    return int(value)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; SIGTERM stops it like Ctrl-C does."""
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return run_command(argv)
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_command(argv: list[str] | None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return int(exit_.code or 0)
    reporter = Reporter(quiet=args.quiet)
    if args.old_fold:
        reporter.warning(_("--booklet is deprecated and will be removed; use --fold for a "
                           "folded saddle-stitch booklet (to build one booklet, name it: "
                           "build.py ketamine)"))
        args.fold = True
    building = not (args.list or args.check)
    if building:
        from booklet.state import run_key, up_to_date

        state = run_key(Path(args.project).resolve(), run_options(args))
        done = None if args.force else up_to_date(Path(args.out), *state)
        if done is not None:  # nothing changed: not even WeasyPrint is loaded
            names, warnings = done
            for warning in warnings:
                reporter.warning(warning)
            for name in names:
                reporter.info(_("up to date: %(file)s")
                              % {"file": display_path(Path(args.out) / name)})
            return 0
    try:
        with Workers(worker_count(args)) if building else contextlib.nullcontext() as workers:
            # Imported only now (here and in the functions below), so the workers load
            # WeasyPrint while this process loads pydantic, Markdown and Jinja and reads the
            # content, instead of one after the other.
            from booklet.project import Project

            project = Project(Path(args.project).resolve())
            overrides = edition_overrides(args)
            if args.list:
                list_editions(project.jobs(args.names, overrides, language=args.lang,
                                           country=args.country), reporter)
                return 0
            if args.check:
                from booklet.checks import run_checks  # textstat loads a dictionary: only here

                jobs = project.jobs(args.names, overrides, language=args.lang,
                                    country=args.country)
                return run_checks(project, jobs, reporter, strict=args.strict,
                                  as_json=args.json)
            jobs, failed = plan(project, args, overrides, reporter)
            return build(jobs, failed, args, reporter, workers, state)
    except BookletError as error:
        reporter.error(str(error))
        return 2
    except Terminated:
        reporter.error(_("terminated (SIGTERM); finished files were kept and no partial file "
                         "was written"))
        return 143
    except KeyboardInterrupt:
        reporter.error(_("interrupted; finished files were kept and no partial file was "
                         "written"))
        return 130
    except BrokenPipeError:  # e.g. `build.py --list | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run_options(args: argparse.Namespace) -> dict[str, object]:
    """What a run's files depend on from its command line (not --quiet, --jobs or --force),
    its paths made absolute, so two spellings of one command are one."""
    options = {key: value for key, value in vars(args).items()
               if key not in ("quiet", "jobs", "force")}
    options["out"] = str(Path(args.out).resolve())
    options["project"] = str(Path(args.project).resolve())
    options["clinic"] = [value if value == "all" else str(Path(value).resolve())
                         for value in args.clinic]
    return options


def worker_count(args: argparse.Namespace) -> int:
    """--jobs, but no more workers than the editions named in one language (a clinic batch,
    a booklet's name or a translation means more jobs than names)."""
    editions = Path(args.project) / "editions"
    if args.names and not args.clinic and args.lang and all(
            (editions / f"{name}.toml").is_file() for name in args.names):
        return min(args.jobs, len(args.names))
    return args.jobs


def edition_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Edition fields set on the command line; values are read as TOML (14pt, 2, true, "a4")."""
    import tomllib

    overrides: dict[str, Any] = {}
    for item in args.set:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise BookletError(_("--set %(item)s: expected KEY=VALUE") % {"item": item},
                               hint=_("e.g. --set paper=a4"))
        try:
            overrides[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            overrides[key.strip()] = value
    if args.paper:
        overrides["paper"] = args.paper
    if args.large_print:
        overrides["large_print"] = True
    if args.fold:
        overrides["saddle_stitch"] = True
    if args.print_shop or args.bleed:
        overrides.update(bleed=args.bleed or "3mm", crop_marks=True)
    return overrides


def list_editions(jobs: list[Job], reporter: Reporter) -> None:
    """Each copy's booklet, edition, language and sections; a section with country blocks
    names the countries they are for."""
    from booklet.render import select_sections

    for job in jobs:
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


def plan(project: Project, args: argparse.Namespace, overrides: dict[str, Any],
         reporter: Reporter) -> tuple[list[Job], list[str]]:
    """The jobs to build, and the clinics that could not be loaded (each a one-line error)."""
    from booklet.clinic import load_clinic
    from booklet.content import review_reminders

    slice_ = parse_shard(args.shard) if args.shard else None
    # editions and content errors stop here
    jobs = project.jobs(args.names, overrides, language=args.lang, country=args.country)
    failed: list[str] = []
    if args.clinic:
        jobs = []
        for folder in clinic_folders(project, args.clinic):
            try:
                clinic = load_clinic(folder)
                jobs += project.jobs(args.names, overrides, clinic, language=args.lang)
            except BookletError as error:
                failed.append(str(error))
                continue
            if clinic.colour_note:
                reporter.warning(f"{display_path(folder / 'clinic.toml')}: {clinic.colour_note}")
    for reminder in review_reminders((job.booklet for job in jobs), date.today()):
        reporter.warning(reminder.message)
    return (shard(jobs, *slice_) if slice_ else jobs), failed


def clinic_folders(project: Project, values: list[str]) -> list[Path]:
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


def build(jobs: list[Job], failed: list[str], args: argparse.Namespace,
          reporter: Reporter, workers: Workers, state: tuple[str, str]) -> int:
    """Builds every job, then writes. A single build writes nothing if any copy fails to build
    or to be written; a clinic batch writes every copy that did and reports the rest. A run
    with no error records `state` (its command and key), so the same run again does nothing
    until an input changes."""
    from booklet.output import output_path, prepare_output_dir, publish
    from booklet.project import check_distinct_outputs
    from booklet.state import remember

    out_dir = Path(args.out)
    prepare_output_dir(out_dir)
    for job in jobs:  # before building: every name stays in the output folder, and is its own
        for name in job.output_names:
            output_path(out_dir, name)
    check_distinct_outputs(jobs)
    batch = bool(args.clinic) and len(jobs) + len(failed) > 1
    outcomes: list[Outcome] = []
    with reporter.progress(len(jobs), enabled=batch) as advance:
        for outcome in run(jobs, workers, keep_html=args.html, pages=last_pages(out_dir)):
            outcomes.append(outcome)
            advance(jobs[outcome.index].label)
    outcomes.sort(key=lambda outcome: outcome.index)
    errors = list(dict.fromkeys(failed + [o.error for o in outcomes if o.error]))
    for error in errors:  # the same content mistake breaks every copy: say it once
        reporter.error(error)
    if errors and not batch:
        return 2
    copies = {o.index: files_of(jobs[o.index], o, args) for o in outcomes if not o.error}
    publish(out_dir, list(copies.values()), whole=not batch)
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
                              f"{display_path(path)}")
        rows.append((job, outcome, path))
    if batch:
        summarise(rows, len(failed), reporter)
    if not errors:
        remember(out_dir, *state, {name: data for copy in copies.values()
                                   for name, data in copy.files.items()}, reporter.warnings)
    return 2 if errors else 0


def last_pages(out_dir: Path) -> dict[str, int]:
    """Each copy's page count in the last build into `out_dir` (its manifest), by stem."""
    from booklet.output import read_manifest

    return {str(entry["file"]).removesuffix(".pdf"): entry["pages"]
            for entry in read_manifest(out_dir)
            if str(entry["file"]).endswith(".pdf") and isinstance(entry.get("pages"), int)}


def files_of(job: Job, outcome: Outcome, args: argparse.Namespace) -> Copy:
    """One job's files and their manifest entries."""
    from booklet.output import Copy, manifest_entry

    fields = {"booklet": job.booklet.name, "edition": job.edition.name,
              "audience": job.edition.audience, "language": job.booklet.config.language,
              **({"clinic": job.clinic.id} if job.clinic else {}),
              **({"country": job.country} if job.country else {})}
    copy = Copy({f"{job.stem}.pdf": outcome.pdf})
    copy.entries.append(manifest_entry(f"{job.stem}.pdf", outcome.pdf, **fields,
                                       paper=job.edition.page_paper, pages=outcome.pages))
    if args.web:
        from booklet.web import web_files

        web = web_files(job, outcome.pdf)
        copy.files.update(web)
        index = next(name for name in web if name.endswith("/index.html"))
        copy.entries.append(manifest_entry(index, web[index], **fields, format="web"))
    if args.html:
        copy.files[f"{job.stem}.html"] = outcome.html.encode("utf-8")
    if args.preview:
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


if __name__ == "__main__":
    sys.exit(main())

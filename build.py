#!/usr/bin/env python3
"""booklet's command line: parses arguments and hands them to the engine in booklet/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from booklet.errors import BookletError, display_path
from booklet.output import manifest_entry, prepare_output_dir, update_manifest, write_atomic
from booklet.project import Project
from booklet.render import select_sections
from booklet.report import Reporter

DESCRIPTION = """\
Build print-ready PDF booklets from one Markdown source.

Each booklet in content/<booklet>/ is built once per edition in editions/<name>.toml
(patient, clinician, policymaker, ...) into output/<booklet>-<edition>-<paper>.pdf,
with output/manifest.json listing every file."""

EXAMPLES = """\
examples:
  python build.py                  build every edition
  python build.py patient          build only the patient edition
  python build.py --list           show editions and the sections each one prints
  python build.py --check          check content without writing PDFs
  python build.py --html --out /tmp/preview   also write the print HTML, elsewhere

exit codes: 0 success, 1 --check found problems, 2 bad input (the message says what to fix)."""


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description=DESCRIPTION, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("editions", nargs="*", metavar="EDITION",
                        help="edition names to build (default: all editions)")
    parser.add_argument("--out", default="output", metavar="DIR",
                        help="folder for the PDFs and manifest.json (default: output)")
    parser.add_argument("--html", action="store_true",
                        help="also write each edition's print HTML next to its PDF")
    parser.add_argument("--list", action="store_true",
                        help="list the editions and the sections each one prints, then stop")
    parser.add_argument("--check", action="store_true",
                        help="check content, citations and readability without writing PDFs")
    parser.add_argument("--strict", action="store_true",
                        help="with --check: treat warnings (e.g. a passed review date) as errors")
    parser.add_argument("--json", action="store_true",
                        help="with --check: print the report as JSON, for CI")
    parser.add_argument("--quiet", action="store_true", help="print errors and warnings only")
    parser.add_argument("--project", default=".", metavar="DIR",
                        help="project folder holding content/, editions/ and templates/ "
                        "(default: current folder)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return int(exit_.code or 0)
    reporter = Reporter(quiet=args.quiet)
    try:
        project = Project(Path(args.project).resolve())
        if args.list:
            list_editions(project, args.editions, reporter)
            return 0
        if args.check:
            from booklet.checks import run_checks  # textstat loads a dictionary: only here

            return run_checks(project, args.editions, reporter, strict=args.strict,
                              as_json=args.json)
        return build(project, args, reporter)
    except BookletError as error:
        reporter.error(str(error))
        return 2
    except KeyboardInterrupt:
        reporter.error("interrupted; finished files were kept and no partial file was written")
        return 130


def list_editions(project: Project, names: list[str], reporter: Reporter) -> None:
    for job in project.jobs(names):
        sections = select_sections(job.booklet, job.edition)
        reporter.result(f"{job.edition.name}: {job.edition.label} ({job.booklet.name}, "
                        f"{job.edition.audience}, {job.edition.paper}, {job.edition.font_size})")
        for section in sections:
            reporter.result(f"  {section.meta.order:>4}  {section.id:<34} {section.title}")


def build(project: Project, args: argparse.Namespace, reporter: Reporter) -> int:
    jobs = project.jobs(args.editions)
    out_dir = Path(args.out)
    prepare_output_dir(out_dir)
    entries = []
    for job in jobs:
        built = job.build()
        path = out_dir / f"{job.stem}.pdf"
        write_atomic(path, built.pdf.data)
        if args.html:
            write_atomic(out_dir / f"{job.stem}.html", built.rendered.html.encode("utf-8"))
        entries.append(manifest_entry(path, built.pdf.data, booklet=job.booklet.name,
                                      edition=job.edition.name, audience=job.edition.audience,
                                      paper=job.edition.paper, pages=built.pdf.pages))
        for section in built.rendered.sections:
            if section.removed:
                reporter.warning(f"{display_path(section.path)}: raw HTML removed for safety: "
                                 + ", ".join(section.removed))
        for warning in built.pdf.warnings:
            reporter.warning(f"{job.edition.name}: {warning}")
        reporter.info(f"{job.edition.name:<14} {built.pdf.pages:>3} pages  "
                      f"{built.seconds:5.1f} s  {display_path(path)}")
    update_manifest(out_dir, entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""booklet's command line: parses arguments and hands them to the engine in booklet/."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from booklet.config import PAPER_SIZES
from booklet.errors import BookletError, display_path
from booklet.output import manifest_entry, prepare_output_dir, update_manifest, write_atomic
from booklet.project import Job, Project
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
  python build.py patient --paper a4 --large-print     an A4 large-print patient edition
  python build.py patient --booklet --preview          a folded booklet and a contact sheet
  python build.py clinician --print-shop --bleed 5mm   bleed and crop marks for a print shop
  python build.py patient --set font_size=14pt --set notes_pages=2

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
    printing = parser.add_argument_group("printing (each is an edition field set for this run)")
    printing.add_argument("--paper", choices=sorted(PAPER_SIZES),
                          help="paper size for every edition built (default: the edition's)")
    printing.add_argument("--large-print", action="store_true",
                          help="large print: body 18pt (never under 16pt), nothing under 14pt")
    printing.add_argument("--booklet", action="store_true",
                          help="also write a folded saddle-stitch booklet: half-size pages, "
                          "padded with notes pages to a multiple of 4, imposed 2-up")
    printing.add_argument("--print-shop", action="store_true",
                          help="add bleed (default 3mm) and crop marks, with TrimBox and BleedBox")
    printing.add_argument("--bleed", metavar="MM", help="bleed for --print-shop, e.g. 5mm")
    printing.add_argument("--preview", action="store_true",
                          help="also write a contact-sheet PNG of all pages next to each PDF")
    printing.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                          help="set any edition field for this run, e.g. --set font_size=14pt; "
                          "repeatable; checked like the edition file")
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
        overrides = edition_overrides(args)
        if args.list:
            list_editions(project.jobs(args.editions, overrides), reporter)
            return 0
        if args.check:
            from booklet.checks import run_checks  # textstat loads a dictionary: only here

            return run_checks(project, project.jobs(args.editions, overrides), reporter,
                              strict=args.strict, as_json=args.json)
        return build(project.jobs(args.editions, overrides), args, reporter)
    except BookletError as error:
        reporter.error(str(error))
        return 2
    except KeyboardInterrupt:
        reporter.error("interrupted; finished files were kept and no partial file was written")
        return 130


def edition_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Edition fields set on the command line; values are read as TOML (14pt, 2, true, "a4")."""
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise BookletError(f"--set {item}: expected KEY=VALUE", hint="e.g. --set paper=a4")
        try:
            overrides[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            overrides[key.strip()] = value
    if args.paper:
        overrides["paper"] = args.paper
    if args.large_print:
        overrides["large_print"] = True
    if args.booklet:
        overrides["saddle_stitch"] = True
    if args.print_shop or args.bleed:
        overrides.update(bleed=args.bleed or "3mm", crop_marks=True)
    return overrides


def list_editions(jobs: list[Job], reporter: Reporter) -> None:
    for job in jobs:
        sections = select_sections(job.booklet, job.edition)
        reporter.result(f"{job.edition.name}: {job.edition.label} ({job.booklet.name}, "
                        f"{job.edition.audience}, {job.edition.paper}, {job.edition.font_size})")
        for section in sections:
            reporter.result(f"  {section.meta.order:>4}  {section.id:<34} {section.title}")


def build(jobs: list[Job], args: argparse.Namespace, reporter: Reporter) -> int:
    out_dir = Path(args.out)
    prepare_output_dir(out_dir)
    entries = []
    for job in jobs:
        built = job.build()
        path = out_dir / f"{job.stem}.pdf"
        write_atomic(path, built.pdf.data)
        if args.html:
            write_atomic(out_dir / f"{job.stem}.html", built.rendered.html.encode("utf-8"))
        if args.preview:
            from booklet.preview import contact_sheet  # pypdfium2: only when asked for

            write_atomic(out_dir / f"{job.stem}.png", contact_sheet(built.pdf.data))
        if built.imposed:
            imposed = out_dir / f"{job.stem}-booklet.pdf"
            write_atomic(imposed, built.imposed)
            entries.append(manifest_entry(imposed, built.imposed, booklet=job.booklet.name,
                                          edition=job.edition.name, audience=job.edition.audience,
                                          paper=job.edition.paper, imposed="saddle-stitch",
                                          pages=built.pdf.pages // 2))
        entries.append(manifest_entry(path, built.pdf.data, booklet=job.booklet.name,
                                      edition=job.edition.name, audience=job.edition.audience,
                                      paper=job.edition.page_paper, pages=built.pdf.pages))
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

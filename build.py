#!/usr/bin/env python3
"""booklet's command line: parses arguments and hands them to the engine in booklet/."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Any

from booklet.build import Options, build, check, list_editions
from booklet.errors import BookletError, Terminated, raise_terminated
from booklet.i18n import _
from booklet.paper import PAPER_SIZES
from booklet.report import Reporter

MERGE = "merge-manifests"  # a command of its own when it is the first argument


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
  python build.py --clinic all --shard auto --out shard   the slice a CI or batch job is given
  python build.py merge-manifests --out output shard-1 shard-2 shard-3   join the slices
  python build.py serve            the browser app, at http://127.0.0.1:8000/ (serve --help)

'merge-manifests' as the first argument is the command that joins the shards' folders (see
build.py merge-manifests --help); to build a booklet of that name, put an option first.

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
                           "list, e.g. 2/8 in a CI matrix; 'auto' for the slice given by a "
                           "GitLab CI parallel job, a Kubernetes Indexed Job, a Slurm job array "
                           "or GNU parallel (with BOOKLET_SHARDS=N for the last two). Its "
                           "manifest.json records the slice, for merge-manifests"))
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


MERGE_DESCRIPTION = N_("""\
Copy the files of the shards of one build (build.py --shard, each into its own folder) into
one folder, with one manifest.json. Nothing is written if a shard is missing or given twice,
the shards are of different builds, or a file does not match the sha256 its manifest
records.""")


def make_merge_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"build.py {MERGE}", description=_(MERGE_DESCRIPTION))
    parser.add_argument("folders", nargs="+", metavar="DIR",
                        help=_("the folder each shard was built into (its --out)"))
    parser.add_argument("--out", required=True, metavar="MERGED",
                        help=_("folder for the merged files and manifest.json"))
    parser.add_argument("--quiet", action="store_true", help=_("print errors and warnings only"))
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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the browser app has its own options
        from booklet.serve import main as serve

        return serve(argv[1:])
    merging = argv[:1] == [MERGE]
    parser = make_merge_parser() if merging else make_parser()
    try:
        args = parser.parse_args(argv[1:] if merging else argv)
    except SystemExit as exit_:  # argparse has printed usage or help
        return int(exit_.code or 0)
    reporter = Reporter(quiet=args.quiet)
    try:
        if merging:
            from booklet.shard import merge

            merge(Path(args.out), [Path(folder) for folder in args.folders], reporter)
            return 0
        return build_command(args, reporter)
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


def build_command(args: argparse.Namespace, reporter: Reporter) -> int:
    """Lists, checks or builds what the parsed arguments ask for: the exit code."""
    if args.old_fold:
        reporter.warning(_("--booklet is deprecated and will be removed; use --fold for a "
                           "folded saddle-stitch booklet (to build one booklet, name it: "
                           "build.py ketamine)"))
        args.fold = True
    project = Path(args.project)
    options = Options(
            names=tuple(args.names), language=args.lang, country=args.country,
            out=Path(args.out), clinics=tuple(args.clinic), settings=settings(args.set),
            paper=args.paper, large_print=args.large_print, fold=args.fold,
            print_shop=args.print_shop, bleed=args.bleed, html=args.html, web=args.web,
            preview=args.preview, force=args.force, jobs=args.jobs, shard=args.shard)
    if args.list:
        list_editions(project, options, reporter)
        return 0
    if args.check:
        return check(project, options, reporter, strict=args.strict, as_json=args.json)
    return 2 if build(project, options, reporter).errors else 0


def settings(items: list[str]) -> dict[str, Any]:
    """--set KEY=VALUE items as edition fields; values are read as TOML (14pt, 2, true, "a4")."""
    import tomllib

    fields: dict[str, Any] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise BookletError(_("--set %(item)s: expected KEY=VALUE") % {"item": item},
                               hint=_("e.g. --set paper=a4"))
        try:
            fields[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            fields[key.strip()] = value
    return fields


if __name__ == "__main__":
    sys.exit(main())

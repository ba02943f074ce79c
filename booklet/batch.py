"""Takes build jobs, gives their outcomes as they finish; owns the worker processes that lay
out PDFs. One failing job never stops the others. Nothing here writes files."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from booklet.errors import BookletError, interrupts_held
from booklet.i18n import _
from booklet.pdf import Pdf, html_to_pdf

if TYPE_CHECKING:
    from booklet.project import Job, LayOut

MAX_WORKERS = 2 * (os.cpu_count() or 1)  # more only share the same cores and fill memory
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Workers:
    """Processes that lay out PDFs with WeasyPrint; their temporary font files go in one
    folder, removed when they stop.

    Loading WeasyPrint takes about 0.6 s. A lone worker starts at once and loads it while this
    process loads, checks and renders the content, then only lays out: one edition takes little
    longer than WeasyPrint alone. Several workers each build whole jobs, content included, so
    they start when first needed and inherit the content code this process has loaded.
    A worker that dies (out of memory, a crash in a library) is a one-line error, not a hang.
    There are never more than MAX_WORKERS, nor more than there are jobs (see at_most).
    """

    def __init__(self, processes: int) -> None:
        self.processes = min(processes, MAX_WORKERS)
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._children: set[multiprocessing.process.BaseProcess] = set()
        try:
            with interrupts_held():
                self._scratch = tempfile.TemporaryDirectory(prefix="booklet-fonts-")
                if processes == 1:
                    self._start()
        except OSError as error:  # no space or inodes left for the temporary folder
            self.__exit__()
            raise BookletError(_("cannot create a temporary folder: %(reason)s")
                               % {"reason": error.strerror or type(error).__name__},
                               tempfile.gettempdir(),
                               hint=_("free some disk space, or set TMPDIR to a folder on "
                                      "another disk")) from None
        except BaseException:  # Ctrl-C, SIGTERM: the with-block that would stop them never began
            self.__exit__()
            raise

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            before = set(multiprocessing.active_children())
            with interrupts_held():  # each worker is born with them blocked, then sets them
                self._executor = ProcessPoolExecutor(self.processes, context, _start_worker,
                                                     (self._scratch.name, os.getpid()))
                self._executor.submit(int)  # forked workers start now, not with the first job
                self._children = set(multiprocessing.active_children()) - before
        return self._executor

    def at_most(self, jobs: int) -> None:
        """No more workers than `jobs`, if they have not started yet."""
        if self._executor is None:
            self.processes = max(1, min(self.processes, jobs))

    def lay_out(self, *args) -> Pdf:
        """html_to_pdf in a worker; its BookletError is raised here."""
        return _result(self._start().submit(html_to_pdf, *args))

    def map_unordered(self, function: Callable, tasks: list) -> Iterator:
        """function(task) for each task in the workers, in the order they finish."""
        futures = [self._start().submit(function, task) for task in tasks]
        for future in as_completed(futures):
            yield _result(future)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stops the workers at once, also in the middle of a job (Ctrl-C, SIGTERM, an
        error), and removes their temporary files; a second Ctrl-C waits until that is done."""
        with interrupts_held():
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                for child in self._children:
                    child.terminate()
                    child.join()
            if self._scratch is not None:
                self._scratch.cleanup()


def _result(future: Future):
    try:
        return future.result()
    except BrokenProcessPool:
        raise BookletError(_("a worker process stopped in the middle of a build (out of "
                             "memory?)"),
                           hint=_("close other programs, or build fewer at once with --jobs 1")
                           ) from None


def _start_worker(scratch: str, parent: int) -> None:
    """Workers ignore Ctrl-C (the parent stops them and reports it once, on one line), die of
    SIGTERM (which the parent stops them with) and with their parent, however it ends; they
    keep temporary files in the parent's scratch folder and load WeasyPrint straight away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    if sys.platform.startswith("linux"):  # the kernel sends SIGTERM when the parent dies
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that
        os._exit(1)
    tempfile.tempdir = scratch
    import weasyprint  # noqa: F401


@dataclass(frozen=True)
class Outcome:
    """What one job produced, small enough to send back from a worker process."""

    index: int
    pdf: bytes = b""
    pages: int = 0
    seconds: float = 0.0
    imposed: bytes | None = None
    html: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str = ""


def build_one(task: tuple[int, Job, bool, bytes | None, int],
              lay_out: LayOut = html_to_pdf) -> Outcome:
    """Builds a job in full, or from `body` (a copy with the same layout) when one is given;
    `lay_out` turns HTML into a PDF, here or in a worker."""
    index, job, keep_html, body, pages = task
    try:
        built = None
        if body is not None:
            from booklet.splice import CannotSplice  # pikepdf: only for clinic batches

            with contextlib.suppress(CannotSplice):  # then build it in full
                built = job.build_reusing(body, pages, lay_out)
        built = built or job.build(lay_out)
    except BookletError as error:
        return Outcome(index, error=str(error))
    warnings = [section.removal_warning for section in built.rendered.sections
                if section.removal_warning] + built.rendered.font_warnings
    layout = [finding.message(job.edition.print_variant) for finding in built.pdf.layout]
    return Outcome(index, built.pdf.data, built.pdf.pages, built.seconds, built.imposed,
                   built.rendered.standalone_html if keep_html else "",
                   warnings + built.pdf.warnings + layout)


def run(jobs: list[Job], workers: Workers | None, keep_html: bool = False,
        reuse_layout: bool = True, pages: dict[str, int] | None = None) -> Iterator[Outcome]:
    """Each job's outcome, in the order they finish; without workers, all in this process.
    The longest go out first, so no worker is left with a long one at the end: by `pages`
    (the page counts of the last build, by stem), else by the text they lay out.

    Clinic copies that share a layout (same edition, paper and colour) are built in two rounds:
    one copy of each layout in full, then the others from it, laying out only their cover and
    back page (booklet/splice.py). The result has the same pages, text, page numbers and tags.
    """
    if workers:
        workers.at_most(len(jobs))
    leaders: dict[tuple, int] = {}
    followers: list[int] = []
    for index, job in enumerate(jobs):
        key = job.layout_key if reuse_layout and not keep_html else None
        if key is None or key not in leaders:
            leaders[key if key is not None else ("single", index)] = index
        else:
            followers.append(index)
    known = pages or {}
    longest = sorted(leaders.values(), key=lambda i: (-known.get(jobs[i].stem, 0),
                                                      -jobs[i].text_size))
    first_round = [(index, jobs[index], keep_html, None, 0) for index in longest]
    bodies: dict[tuple, Outcome] = {}
    for outcome in _map(first_round, workers):
        key = jobs[outcome.index].layout_key
        if key is not None and not outcome.error:
            bodies[key] = outcome
        yield outcome
    second_round = []
    for index in followers:
        body = bodies.get(jobs[index].layout_key)
        second_round.append((index, jobs[index], keep_html, body.pdf if body else None,
                             body.pages if body else 0))
    yield from _map(second_round, workers)


def _map(tasks: list, workers: Workers | None) -> Iterator[Outcome]:
    if workers and workers.processes > 1 and len(tasks) > 1:
        yield from workers.map_unordered(build_one, tasks)  # whole jobs in each worker
        return
    lay_out = workers.lay_out if workers else html_to_pdf  # render here, lay out there
    for task in tasks:
        yield build_one(task, lay_out)


def parse_shard(spec: str) -> tuple[int, int]:
    """'i/n' (1-based) as (i, n)."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise BookletError(_("--shard %(spec)s: expected I/N, e.g. 2/8") % {"spec": spec},
                           hint=_("I runs from 1 to N")) from None
    if not 1 <= index <= count:
        raise BookletError(_("--shard %(spec)s: I must be between 1 and N") % {"spec": spec},
                           hint=_("e.g. --shard 1/4"))
    return index, count


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """The index-th of count slices of the job list: every job is in exactly one slice."""
    return jobs[index - 1::count]

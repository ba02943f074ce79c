"""Takes build jobs, gives their outcomes as they finish; owns the worker processes that lay
out PDFs. One failing job never stops the others. Nothing here writes files."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from booklet.errors import BookletError, interrupts_held
from booklet.i18n import _
from booklet.pdf import Pdf, html_to_pdf

if TYPE_CHECKING:
    from booklet.project import Job, LayOut
    from booklet.render import RenderedEdition

MAX_WORKERS = 2 * (os.cpu_count() or 1)  # more only share the same cores and fill memory
RECYCLE_AFTER = 50  # tasks per worker, then fresh ones: WeasyPrint's memory grows (its #2130)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Workers:
    """Processes that lay out PDFs with WeasyPrint; their temporary font files go in one
    folder, removed when they stop.

    Loading WeasyPrint takes about 0.6 s. A lone worker starts at once and loads it while this
    process loads, checks and renders the content, then only lays out: one edition takes little
    longer than WeasyPrint alone. Several workers each build whole jobs, content included, so
    they start when first needed and inherit the content code this process has loaded.
    A worker that dies (out of memory, a crash in a library) is a one-line error, not a hang.
    There are never more than MAX_WORKERS, nor more than there are jobs (see at_most). In a
    long batch, the workers are replaced by fresh ones after RECYCLE_AFTER tasks each, so
    memory does not grow with the batch.
    """

    def __init__(self, processes: int) -> None:
        self.processes = min(processes, MAX_WORKERS)
        self._scratch: tempfile.TemporaryDirectory | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0  # tasks given to the current workers
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
            # fork only on Linux (it shares the loaded code); macOS and Windows spawn, which
            # is their default and safe with the system libraries WeasyPrint uses there
            linux = sys.platform.startswith("linux")
            context = multiprocessing.get_context("fork" if linux else None)
            with interrupts_held():  # each worker is born with them blocked, then sets them
                self._executor = ProcessPoolExecutor(self.processes, context, _start_worker,
                                                     (self._scratch.name, os.getpid()))
                self._executor.submit(int)  # forked workers start now, not with the first job
                self._submitted = 0
        return self._executor

    def _room(self) -> int:
        """How many more tasks the workers take before fresh ones replace them; when none,
        they are replaced now. Called only when no task is under way."""
        limit = RECYCLE_AFTER * self.processes
        if self._executor is not None and self._submitted >= limit:
            self._executor.shutdown(wait=True)  # idle: they exit at once
            self._executor = None
            self._start()
        return limit - self._submitted

    def _submit(self, function: Callable, *args) -> Future:
        executor = self._start()
        self._submitted += 1
        return executor.submit(function, *args)

    def at_most(self, jobs: int) -> None:
        """No more workers than `jobs`, if they have not started yet."""
        if self._executor is None:
            self.processes = max(1, min(self.processes, jobs))

    def lay_out(self, *args) -> Pdf:
        """html_to_pdf in a worker; its BookletError is raised here."""
        self._room()
        return _result(self._submit(html_to_pdf, *args))

    def map_unordered(self, function: Callable, tasks: list) -> Iterator:
        """function(task) for each task in the workers, in the order they finish."""
        while tasks:
            room = self._room()
            futures = [self._submit(function, task) for task in tasks[:room]]
            tasks = tasks[room:]
            for future in as_completed(futures):
                yield _result(future)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stops the workers at once, also in the middle of a job (Ctrl-C, SIGTERM, an
        error), and removes their temporary files; a second Ctrl-C waits until that is done."""
        with interrupts_held():
            if self._executor is not None:
                # every worker, also those a spawning pool started after the first task: one
                # left waiting for work would wait on a queue whose lock died with the others.
                # ProcessPoolExecutor lists them only in _processes before Python 3.14
                workers = list(self._executor._processes.values())
                self._executor.shutdown(wait=False, cancel_futures=True)
                for worker in workers:
                    worker.terminate()
                    worker.join()
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
    """What one job produced, small enough to send back from a worker process. `spliced`: its
    pages between cover and back matter are another copy's (booklet/splice.py). `unchanged`:
    its files are the last build's, kept because nothing its layout depends on changed.
    `back_pages` (not 0): it was sent back unbuilt, its clinic's back matter taking this many
    pages, unlike the copy it was to reuse."""

    index: int
    pdf: bytes = b""
    pages: int = 0
    seconds: float = 0.0
    imposed: bytes | None = None
    print_pack: dict[str, bytes] = field(default_factory=dict)  # a job sheet's files
    html: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    key: str = ""  # what its layout depends on (booklet/state.py layout_key)
    loaded: dict[str, str] = field(default_factory=dict)  # files its layout read: sha256
    spliced: bool = False
    unchanged: bool = False
    back_pages: int = 0


@dataclass(frozen=True)
class Task:
    """A job to build: in full, or from `body` (the outcome of a copy with the same layout).
    With `send_back`, a copy whose back matter takes other pages than the body's is sent back
    unbuilt, to be built from a copy like it. `previous` is the output folder and the copy's
    record there (booklet/state.py), to keep its files when nothing they depend on changed."""

    index: int
    job: Job
    keep_html: bool = False
    body: Outcome | None = None
    send_back: bool = False
    previous: tuple[Path, dict | None] | None = None


def build_one(task: Task, lay_out: LayOut = html_to_pdf) -> Outcome:
    """Builds a job, or keeps the files of its last build; `lay_out` turns HTML into a PDF,
    here or in a worker. A copy that cannot reuse its body is built in full, with a warning."""
    from booklet.state import file_hashes, layout_key, reuse

    job, body, warnings = task.job, task.body, []
    started = time.perf_counter()
    try:
        partial = None  # the cover and back matter only, to splice into the body
        if body is not None:
            from booklet.splice import CannotSplice, OtherBackPages, back_pages

            try:
                partial = job.render(last_page=body.pages, back_pages=back_pages(body.pdf))
            except CannotSplice:
                warnings.append(_cannot_reuse())
        rendered = partial or job.render()
        # a copy made from a body is known by the body's key and its own cover and back pages
        key = layout_key(job.project.code_key, rendered.html, rendered.stylesheets,
                         job.edition.model_dump_json(), body.key if partial else "")
        if task.previous and (files := reuse(*task.previous, key)):
            return _kept(task, rendered if task.keep_html else None, key, files,
                         time.perf_counter() - started)
        built = None
        if body is not None and partial is not None:
            try:
                built = job.build_reusing(body.pdf, body.pages, lay_out, partial)
            except CannotSplice as error:
                if task.send_back and isinstance(error, OtherBackPages):
                    return Outcome(task.index, back_pages=error.pages)
                warnings.append(_cannot_reuse())
        spliced = built is not None
        built = built or job.build(lay_out, None if partial else rendered)
    except BookletError as error:
        return Outcome(task.index, error=str(error))
    warnings += [section.removal_warning for section in built.rendered.sections
                 if section.removal_warning] + built.rendered.font_warnings
    layout = [finding.message(job.edition.print_variant) for finding in built.pdf.layout]
    loaded = {**(body.loaded if body and partial else {}), **file_hashes(built.pdf.loaded)}
    return Outcome(task.index, built.pdf.data, built.pdf.pages, built.seconds, built.imposed,
                   built.print_pack,
                   built.rendered.standalone_html if task.keep_html else "",
                   warnings + built.pdf.warnings + layout, key=key, loaded=loaded,
                   spliced=spliced)


def _cannot_reuse() -> str:
    return _("could not reuse the pages laid out for another clinic's copy, so built this copy "
             "in full (slower); please report this")


def _kept(task: Task, rendered: RenderedEdition | None, key: str, files: dict[str, bytes],
          seconds: float) -> Outcome:
    """The outcome of a copy whose files are its last build's (`files`, by name)."""
    record = (task.previous and task.previous[1]) or {}
    pdf, imposed = f"{task.job.stem}.pdf", f"{task.job.stem}-booklet.pdf"
    return Outcome(task.index, files[pdf], int(record["pages"]), seconds, files.get(imposed),
                   {name: data for name, data in files.items() if name not in (pdf, imposed)},
                   rendered.standalone_html if rendered else "", list(record["warnings"]),
                   key=key, loaded=dict(record["loaded"]), unchanged=True)


def run(jobs: list[Job], workers: Workers | None, keep_html: bool = False,
        reuse_layout: bool = True, pages: dict[str, int] | None = None,
        previous: tuple[Path, dict[str, dict]] | None = None) -> Iterator[Outcome]:
    """Each job's outcome, in the order they finish; without workers, all in this process.
    The longest go out first, so no worker is left with a long one at the end: by `pages`
    (the page counts of the last build, by stem), else by the text they lay out. With
    `previous` (the output folder and its copies' records, booklet/state.py), a copy whose
    layout inputs are unchanged keeps its files instead of being laid out again.

    Clinic copies that share a layout (same edition, paper and colour) are built in two rounds:
    one copy of each layout in full, then the others from it, laying out only their cover and
    back matter (booklet/splice.py). The result has the same pages, text, page numbers, links
    and tags. Clinics whose back matter takes more or fewer pages (a long care team panel)
    are then built the same way among themselves, one copy in full for each page count.
    """
    if workers:
        workers.at_most(len(jobs))
    groups: dict[tuple, list[int]] = {}
    for index, job in enumerate(jobs):
        key = job.layout_key if reuse_layout and not keep_html else None
        groups.setdefault(key if key is not None else ("single", index), []).append(index)
    known = pages or {}

    def task(index: int, body: Outcome | None = None, send_back: bool = False) -> Task:
        last = (previous[0], previous[1].get(jobs[index].stem)) if previous else None
        return Task(index, jobs[index], keep_html, body, send_back, last)

    sent_back: dict[tuple, list[int]] = {}
    for outcome in _lead_and_follow(jobs, groups, workers, known, task, send_back=True):
        if outcome.back_pages:
            key = (jobs[outcome.index].layout_key, outcome.back_pages)
            sent_back.setdefault(key, []).append(outcome.index)
        else:
            yield outcome
    yield from _lead_and_follow(jobs, sent_back, workers, known, task, send_back=False)


def _lead_and_follow(jobs: list[Job], groups: dict[tuple, list[int]], workers: Workers | None,
                     known: dict[str, int], task: Callable[..., Task], send_back: bool
                     ) -> Iterator[Outcome]:
    """The first job of each group built in full, the longest first, then the others from
    it."""
    leaders = sorted((group[0] for group in groups.values()),
                     key=lambda i: (-known.get(jobs[i].stem, 0), -jobs[i].text_size))
    bodies: dict[int, Outcome] = {}
    for outcome in _map([task(index) for index in leaders], workers):
        if not outcome.error:
            bodies[outcome.index] = outcome
        yield outcome
    followers = []
    for leader, *others in groups.values():
        body = bodies.get(leader)
        followers += [task(index, body, send_back) for index in others]
    yield from _map(followers, workers)


def _map(tasks: list, workers: Workers | None) -> Iterator[Outcome]:
    if workers and workers.processes > 1 and len(tasks) > 1:
        yield from workers.map_unordered(build_one, tasks)  # whole jobs in each worker
        return
    lay_out = workers.lay_out if workers else html_to_pdf  # render here, lay out there
    for task in tasks:
        yield build_one(task, lay_out)


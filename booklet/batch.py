"""Takes build jobs, gives their outcomes as they finish: in this process, or in a pool of
worker processes; one failing job never stops the others. Nothing here writes files."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field

from booklet.errors import BookletError
from booklet.project import Job


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


def build_one(task: tuple[int, Job, bool, bytes | None, int]) -> Outcome:
    """Builds a job in full, or from `body` (a copy with the same layout) when one is given."""
    index, job, keep_html, body, pages = task
    try:
        built = None
        if body is not None:
            from booklet.splice import CannotSplice  # pikepdf: only for clinic batches

            with contextlib.suppress(CannotSplice):  # then build it in full
                built = job.build_reusing(body, pages)
        built = built or job.build()
    except BookletError as error:
        return Outcome(index, error=str(error))
    warnings = [section.removal_warning for section in built.rendered.sections
                if section.removal_warning]
    return Outcome(index, built.pdf.data, built.pdf.pages, built.seconds, built.imposed,
                   built.rendered.standalone_html if keep_html else "",
                   warnings + built.pdf.warnings)


def run(jobs: list[Job], processes: int, keep_html: bool = False,
        reuse_layout: bool = True) -> Iterator[Outcome]:
    """Each job's outcome, in the order they finish.

    Clinic copies that share a layout (same edition, paper and colour) are built in two rounds:
    one copy of each layout in full, then the others from it, laying out only their cover and
    back page (booklet/splice.py). The result has the same pages, text, page numbers and tags.
    """
    leaders: dict[tuple, int] = {}
    followers: list[int] = []
    for index, job in enumerate(jobs):
        key = job.layout_key if reuse_layout and not keep_html else None
        if key is None or key not in leaders:
            leaders[key if key is not None else ("single", index)] = index
        else:
            followers.append(index)
    first_round = [(index, jobs[index], keep_html, None, 0) for index in leaders.values()]
    bodies: dict[tuple, Outcome] = {}
    for outcome in _map(build_one, first_round, processes):
        key = jobs[outcome.index].layout_key
        if key is not None and not outcome.error:
            bodies[key] = outcome
        yield outcome
    second_round = []
    for index in followers:
        body = bodies.get(jobs[index].layout_key)
        second_round.append((index, jobs[index], keep_html, body.pdf if body else None,
                             body.pages if body else 0))
    yield from _map(build_one, second_round, processes)


def _leave_interrupts_to_parent() -> None:
    """Workers ignore Ctrl-C: the parent stops the pool and reports it once, on one line."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _map(function, tasks: list, processes: int) -> Iterator[Outcome]:
    if processes <= 1 or len(tasks) <= 1:
        yield from map(function, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(min(processes, len(tasks)), initializer=_leave_interrupts_to_parent) as pool:
        yield from pool.imap_unordered(function, tasks)


def parse_shard(spec: str) -> tuple[int, int]:
    """'i/n' (1-based) as (i, n)."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise BookletError(f"--shard {spec}: expected I/N, e.g. 2/8",
                           hint="I runs from 1 to N") from None
    if not 1 <= index <= count:
        raise BookletError(f"--shard {spec}: I must be between 1 and N", hint="e.g. --shard 1/4")
    return index, count


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """The index-th of count slices of the job list: every job is in exactly one slice."""
    return jobs[index - 1::count]

"""Takes build jobs, gives their outcomes as they finish: in this process, or in a pool of
worker processes; one failing job never stops the others. Nothing here writes files."""

from __future__ import annotations

import multiprocessing
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


def build_one(task: tuple[int, Job, bool]) -> Outcome:
    index, job, keep_html = task
    try:
        built = job.build()
    except BookletError as error:
        return Outcome(index, error=str(error))
    warnings = [f"{section.path.name}: raw HTML removed for safety: " + ", ".join(section.removed)
                for section in built.rendered.sections if section.removed]
    return Outcome(index, built.pdf.data, built.pdf.pages, built.seconds, built.imposed,
                   built.rendered.html if keep_html else "", warnings + built.pdf.warnings)


def run(jobs: list[Job], processes: int, keep_html: bool = False) -> Iterator[Outcome]:
    """Each job's outcome, in the order they finish."""
    tasks = [(index, job, keep_html) for index, job in enumerate(jobs)]
    if processes <= 1 or len(jobs) <= 1:
        yield from map(build_one, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(min(processes, len(jobs))) as pool:
        yield from pool.imap_unordered(build_one, tasks)


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

"""The one place the engine talks to the user: progress (info), warnings and errors.

Policy: error = cannot build (exit 2); warning = input ignored or doubtful; info = progress.
Each message is one line, never wrapped, so it can be read by people and by CI logs alike;
several errors found together are one line each. A character the terminal or file cannot
encode is written as a backslash escape, never a crash.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from typing import TextIO


class Reporter:
    def __init__(self, quiet: bool = False, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.quiet = quiet
        self.out = _escaping(stdout or sys.stdout)
        self.err = _escaping(stderr or sys.stderr)
        self.warnings: list[str] = []  # as printed, so a run that is up to date can repeat them

    def info(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def result(self, text: str) -> None:
        """Output the user asked for (--list, --check): printed even with --quiet."""
        print(text, file=self.out, flush=True)

    # "warning: " and "error: " stay English, like a compiler's: CI logs and scripts look for
    # them whatever the user's language; the message after them is in the user's language.
    def warning(self, text: str) -> None:
        self.warnings.append(text)
        print(f"warning: {text}", file=self.err, flush=True)

    def error(self, text: str) -> None:
        """Each line of `text` (one per mistake, see BookletErrors) as an error line."""
        for line in text.splitlines() or [""]:
            print(f"error: {line}", file=self.err, flush=True)

    @contextlib.contextmanager
    def progress(self, total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
        """Call the given function with each finished item's name: a progress bar for batches
        on a terminal, a plain '[n/total] name' line otherwise."""
        done = 0
        if not enabled or self.quiet:
            yield lambda name: None
            return
        if self.err.isatty():
            from rich.progress import Progress  # only for people watching a terminal

            with Progress(transient=True) as bar:
                from booklet.i18n import _

                task = bar.add_task(_("building"), total=total)
                yield lambda name: bar.update(task, advance=1, description=name)
            return

        def advance(name: str) -> None:
            nonlocal done
            done += 1
            print(f"[{done}/{total}] {name}", file=self.out, flush=True)

        yield advance


def _escaping(stream: TextIO) -> TextIO:
    """`stream`, writing what its encoding cannot hold (LANG=C, an ASCII file) as \\u escapes."""
    if isinstance(stream, io.TextIOWrapper):
        stream.reconfigure(errors="backslashreplace")
    return stream

"""The one place the engine talks to the user: progress (info), warnings and errors.

Policy: error = cannot build (exit 2); warning = input ignored or doubtful; info = progress.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console


class Reporter:
    def __init__(self, quiet: bool = False, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.quiet = quiet
        self.out = Console(file=stdout or sys.stdout, highlight=False, markup=False,
                           soft_wrap=True, emoji=False)
        self.err = Console(file=stderr or sys.stderr, highlight=False, markup=False,
                           soft_wrap=True, emoji=False)

    def info(self, text: str) -> None:
        if not self.quiet:
            self.out.print(text)

    def result(self, text: str) -> None:
        """Output the user asked for (--list, --check): printed even with --quiet."""
        self.out.print(text)

    def warning(self, text: str) -> None:
        self.err.print(f"warning: {text}")

    def error(self, text: str) -> None:
        self.err.print(f"error: {text}")

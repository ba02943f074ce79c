"""The one place the engine talks to the user: progress (info), warnings and errors.

Policy: error = cannot build (exit 2); warning = input ignored or doubtful; info = progress.
Each message is one line, never wrapped, so it can be read by people and by CI logs alike.
"""

from __future__ import annotations

import sys
from typing import TextIO


class Reporter:
    def __init__(self, quiet: bool = False, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> None:
        self.quiet = quiet
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr

    def info(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.out, flush=True)

    def result(self, text: str) -> None:
        """Output the user asked for (--list, --check): printed even with --quiet."""
        print(text, file=self.out, flush=True)

    def warning(self, text: str) -> None:
        print(f"warning: {text}", file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(f"error: {text}", file=self.err, flush=True)

"""The one error type for user mistakes: a message, the file and line it is about, and a fix;
several found together travel as one BookletErrors, printed one line each; and the
interruptions (Ctrl-C, SIGTERM) that stop a build."""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

INTERRUPTS = {signal.SIGINT, signal.SIGTERM}


class BookletError(Exception):
    """A mistake in the user's input that stops a build; printed as one line, exit code 2."""

    def __init__(
        self,
        message: str,
        file: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = Path(file) if file is not None else None
        self.line = line
        self.hint = hint

    def __reduce__(self):
        """Pickles with file, line and hint, so an error in a worker process reads the same."""
        return type(self), (self.message, self.file, self.line, self.hint)

    def each(self) -> list[BookletError]:
        """The single mistakes this error reports (itself)."""
        return [self]

    def location(self) -> str:
        if self.file is None:
            return ""
        shown = display_path(self.file)
        return f"{shown}:{self.line}" if self.line else shown

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}; {self.hint}" if self.hint else text


class BookletErrors(BookletError):
    """Every mistake found in one go (all the problems of a file, or of the files read), so
    the user can fix them together: printed one per line, each with its own file and line."""

    def __init__(self, errors: Iterable[BookletError]) -> None:
        self.errors = [single for error in errors for single in error.each()]
        first = self.errors[0]
        super().__init__(first.message, first.file, first.line, first.hint)

    def __reduce__(self):
        return type(self), (self.errors,)

    def each(self) -> list[BookletError]:
        return self.errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def combined(errors: list[BookletError]) -> BookletError:
    """One error for a non-empty list of them: the error itself when there is one."""
    return errors[0] if len(errors) == 1 else BookletErrors(errors)


def map_all(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """function(item) for every item; when some raise BookletError, all of their errors are
    raised together after the last item."""
    results: list[R] = []
    errors: list[BookletError] = []
    for item in items:
        try:
            results.append(function(item))
        except BookletError as error:
            errors.append(error)
    if errors:
        raise combined(errors)
    return results


def display_path(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when inside it; a
    symlink is named as itself, not as the file it leads to."""
    here = Path.cwd()
    for shown, folder in ((Path(os.path.abspath(path)), here), (path.resolve(), here.resolve())):
        if shown.is_relative_to(folder):
            return str(shown.relative_to(folder))
    return str(path)


def shorten(text: str, width: int = 40) -> str:
    """Text as a message quotes it (a mark, an element on a page): one line, at most `width`
    characters."""
    text = " ".join(text.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid spelling of `word`, for 'did you mean …' hints."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    from booklet.i18n import _  # booklet.i18n raises BookletError: imported when needed

    choices = sorted(choices)
    guess = closest(word, choices)
    if guess:
        return _("did you mean '%(guess)s'?") % {"guess": guess}
    return _("valid choices: %(choices)s") % {"choices": ", ".join(choices)}


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, `kill`, a CI timeout) stops a build the way Ctrl-C does."""


def raise_terminated(signum: int, frame: object) -> None:
    """A SIGTERM handler: the build stops where it is, and cleans up on the way out."""
    raise Terminated


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends; processes forked inside it are born with
    them blocked."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, INTERRUPTS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)

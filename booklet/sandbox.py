"""The folders a build may read: the project of this run, booklet's own package data (message
catalogs) and the shipped fonts. Every file the engine reads is checked here by its real path,
after symlinks, so a link cannot bring a file from outside into a booklet."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from booklet.errors import BookletError
from booklet.fonts import FONT_DIR

PACKAGE_DIR = Path(__file__).resolve().parent
_project: Path | None = None  # set by enter_project: a run reads one project


def enter_project(root: Path) -> None:
    """Makes `root` the project folder this run may read."""
    global _project
    _project = root.resolve()


def allowed_roots() -> list[Path]:
    """The project folder (once entered), the package's own data and the shipped fonts."""
    return [root for root in (_project, PACKAGE_DIR, FONT_DIR.resolve()) if root is not None]


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether the real path of `path` is in one of `roots` (themselves taken as real paths)."""
    real = path.resolve()
    return any(real.is_relative_to(root.resolve()) for root in roots)


def checked(path: Path) -> Path:
    """The real path of `path`; a BookletError naming it when it leads outside the allowed
    folders (a symlink to a file or folder elsewhere)."""
    if not inside(path, allowed_roots()):
        from booklet.i18n import _  # i18n reads its catalogs through this module

        raise BookletError(_("file leads outside the project, to %(target)s")
                           % {"target": path.resolve()}, path,
                           hint=_("copy the file into the project instead of linking to it"))
    return path.resolve()

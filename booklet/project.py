"""Takes a project folder and the editions asked for, gives build jobs and built PDFs (in memory).

A project is content/<booklet>/, editions/*.toml and templates/; nothing here writes files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from booklet.config import Edition, find_editions, load_edition
from booklet.content import Booklet, find_booklets, load_booklet
from booklet.errors import BookletError, did_you_mean
from booklet.pdf import Pdf, html_to_pdf
from booklet.render import FONT_DIR, RenderedEdition, render_edition


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def editions_dir(self) -> Path:
        return self.root / "editions"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @cached_property
    def booklets(self) -> list[Booklet]:
        return [load_booklet(path) for path in find_booklets(self.content_dir)]

    @cached_property
    def edition_files(self) -> dict[str, Path]:
        return find_editions(self.editions_dir)

    def editions(self, names: list[str], overrides: dict[str, Any] | None = None) -> list[Edition]:
        """The named editions (all when none are named), validated."""
        for name in names:
            if name not in self.edition_files:
                raise BookletError(
                    f"unknown edition '{name}'", hint=did_you_mean(name, self.edition_files)
                    + " (python build.py --list shows them)")
        chosen = names or list(self.edition_files)
        if not chosen:
            raise BookletError("no editions: the editions folder has no .toml files",
                               self.editions_dir, hint="add editions/<name>.toml")
        return [load_edition(self.edition_files[name], overrides) for name in chosen]

    def jobs(self, names: list[str], overrides: dict[str, Any] | None = None) -> list[Job]:
        """Every (booklet, edition) pair to build, in a stable order."""
        editions = self.editions(names, overrides)
        return [Job(self, booklet, edition) for booklet in self.booklets for edition in editions
                if edition.booklet in (None, booklet.name)]


@dataclass(frozen=True)
class Built:
    rendered: RenderedEdition
    pdf: Pdf
    seconds: float


@dataclass(frozen=True)
class Job:
    project: Project
    booklet: Booklet
    edition: Edition

    @property
    def stem(self) -> str:
        return f"{self.booklet.name}-{self.edition.name}-{self.edition.paper}"

    def render(self) -> RenderedEdition:
        return render_edition(self.booklet, self.edition, self.project.templates_dir)

    def build(self) -> Built:
        started = time.perf_counter()
        rendered = self.render()
        pdf = html_to_pdf(rendered.html, self.booklet.root.as_uri() + "/",
                          [self.project.root, FONT_DIR], self.booklet.root)
        return Built(rendered, pdf, time.perf_counter() - started)

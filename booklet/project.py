"""Takes a project folder and the editions asked for, gives build jobs and built PDFs (in memory).

A project is content/<booklet>/, editions/*.toml and templates/; nothing here writes files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from booklet.clinic import Clinic
from booklet.config import Edition, find_editions, load_edition
from booklet.content import Booklet, find_booklets, load_booklet
from booklet.errors import BookletError, did_you_mean
from booklet.pdf import Pdf, html_to_pdf
from booklet.render import FONT_DIR, RenderedEdition, render_edition

LayOut = Callable[..., Pdf]  # html_to_pdf's signature


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

    @property
    def clinics_dir(self) -> Path:
        return self.root / "clinics"

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

    def jobs(self, names: list[str], overrides: dict[str, Any] | None = None,
             clinic: Clinic | None = None) -> list[Job]:
        """Every (booklet, edition) pair to build, in a stable order; a clinic's default paper
        comes before the command line's settings."""
        if clinic and clinic.paper:
            overrides = {"paper": clinic.paper, **(overrides or {})}
        editions = self.editions(names, overrides)
        return [Job(self, booklet, edition, clinic) for booklet in self.booklets
                for edition in editions if edition.booklet in (None, booklet.name)]


@dataclass(frozen=True)
class Built:
    rendered: RenderedEdition
    pdf: Pdf
    seconds: float
    imposed: bytes | None = None  # the saddle-stitch print file, when the edition asks for one


@dataclass(frozen=True)
class Job:
    project: Project
    booklet: Booklet
    edition: Edition
    clinic: Clinic | None = None

    @property
    def stem(self) -> str:
        """The output name: <booklet>-<edition>[-<clinic>]-<paper>[-large-print][-print-shop]."""
        edition = self.edition
        clinic = f"-{self.clinic.id}" if self.clinic else ""
        return f"{self.booklet.name}-{edition.name}{clinic}-{edition.page_paper}{edition.variant}"

    @property
    def label(self) -> str:
        return self.edition.name + (f" {self.clinic.id}" if self.clinic else "")

    def render(self, edition: Edition | None = None) -> RenderedEdition:
        return render_edition(self.booklet, edition or self.edition, self.project.templates_dir,
                              self.clinic)

    def build(self, lay_out: LayOut = html_to_pdf) -> Built:
        started = time.perf_counter()
        rendered = self.render()
        pdf = self.to_pdf(rendered, lay_out)
        imposed = None
        if self.edition.saddle_stitch:
            from booklet.impose import impose_saddle_stitch  # pypdf: only when folding

            if pdf.pages % 4:  # pad with notes pages, which are useful, to whole sheets
                notes = self.edition.notes_pages + (-pdf.pages % 4)
                rendered = self.render(self.edition.model_copy(update={"notes_pages": notes}))
                pdf = self.to_pdf(rendered, lay_out)
            if pdf.pages % 4:
                raise BookletError(f"{pdf.pages} pages after padding with notes pages; a folded "
                                   "booklet needs a multiple of 4", self.edition.path,
                                   hint="build it without --booklet, or report this layout")
            imposed = impose_saddle_stitch(pdf.data)
        return Built(rendered, pdf, time.perf_counter() - started, imposed)

    @property
    def layout_key(self) -> tuple | None:
        """Clinic copies with the same key have the same pages between cover and back page."""
        if not self.clinic or self.edition.saddle_stitch:
            return None  # padding to whole sheets depends on the back page
        return (self.booklet.name, self.edition.model_dump_json(), self.clinic.accent)

    def build_reusing(self, body: bytes, pages: int, lay_out: LayOut = html_to_pdf) -> Built:
        """This clinic's copy from another clinic's copy with the same layout key: only the
        cover and back page are laid out; raises CannotSplice when that cannot work."""
        from booklet.splice import splice_clinic_pages  # pikepdf: only for clinic batches

        started = time.perf_counter()
        rendered = render_edition(self.booklet, self.edition, self.project.templates_dir,
                                  self.clinic, last_page=pages)
        clinic_pages = self.to_pdf(rendered, lay_out)
        data = splice_clinic_pages(body, clinic_pages.data)
        return Built(rendered, Pdf(data, pages, clinic_pages.warnings),
                     time.perf_counter() - started)

    def to_pdf(self, rendered: RenderedEdition, lay_out: LayOut = html_to_pdf) -> Pdf:
        """Lays out rendered HTML, loading only from the project, the font and the clinic;
        `lay_out` is html_to_pdf, here or in a worker process (batch.Workers)."""
        roots = [self.project.root, FONT_DIR]
        if self.clinic and self.clinic.folder:
            roots.append(self.clinic.folder)
        return lay_out(rendered.html, rendered.stylesheets, self.booklet.root.as_uri() + "/",
                       tuple(roots), self.booklet.root)

"""Takes a project folder and the editions asked for, gives build jobs and built PDFs (in memory).

A project is content/<booklet>/, editions/*.toml and templates/; nothing here writes files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from booklet.clinic import Clinic
from booklet.config import Edition, find_editions, line_of, load_edition, read_text
from booklet.content import Booklet, find_booklets, load_booklet, load_translation
from booklet.errors import BookletError, did_you_mean, display_path
from booklet.fonts import FONT_DIR
from booklet.i18n import _
from booklet.pdf import Pdf, html_to_pdf
from booklet.render import NumberedEdition, RenderedEdition, render_edition, select_sections
from booklet.sandbox import enter_project

LayOut = Callable[..., Pdf]  # html_to_pdf's signature


@dataclass(frozen=True)
class Project:
    """A project folder; making one makes it the folder this run may read (booklet.sandbox)."""

    root: Path

    def __post_init__(self) -> None:
        enter_project(self.root)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A project sent to a spawned worker (macOS, Windows) is that worker's project too."""
        self.__dict__.update(state)
        enter_project(self.root)

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
    def code_key(self) -> str:
        """The hash of the code, libraries and templates every copy's layout depends on."""
        from booklet.state import code_key

        return code_key(self.templates_dir)

    @cached_property
    def edition_files(self) -> dict[str, Path]:
        return find_editions(self.editions_dir)

    def editions(self, names: list[str], overrides: dict[str, Any] | None = None) -> list[Edition]:
        """The named editions (all when none are named), validated."""
        chosen = names or list(self.edition_files)
        if not chosen:
            raise BookletError(_("no editions: the editions folder has no .toml files"),
                               self.editions_dir, hint=_("add editions/<name>.toml"))
        return [load_edition(self.edition_files[name], overrides) for name in chosen]

    def jobs(self, names: list[str], overrides: dict[str, Any] | None = None,
             clinic: Clinic | None = None, language: str | None = None,
             country: str | None = None) -> list[Job]:
        """Every (booklet, edition, language) to build, in a stable order. `names` are edition
        or booklet names (none: all). An edition applies to a booklet that declares its
        audience or that it names; it is built in the booklet's language and in each
        translation that gives it a label, or only in `language` (or the edition's own). A
        clinic's default paper comes before the command line's settings."""
        if clinic and clinic.paper:
            overrides = {"paper": clinic.paper, **(overrides or {})}
        booklet_names = [b.name for b in self.booklets]
        for name in names:
            if name not in self.edition_files and name not in booklet_names:
                raise BookletError(
                    _("unknown edition or booklet '%(name)s'") % {"name": name},
                    hint=did_you_mean(name, [*self.edition_files, *booklet_names])
                    + " " + _("(python build.py --list shows them)"))
        booklets = [b for b in self.booklets if b.name in names] or self.booklets
        editions = self.editions([n for n in names if n in self.edition_files], overrides)
        for edition in editions:
            if edition.booklet and edition.booklet not in booklet_names:
                raise BookletError(_("booklet '%(name)s' not found") % {"name": edition.booklet},
                                   edition.path,
                                   line_of(read_text(edition.path), "booklet")
                                   if edition.path else None,
                                   did_you_mean(edition.booklet, booklet_names))
        for booklet in booklets:
            self._check_edition_text(booklet)
        country = clinic.country if clinic and clinic.country else country
        jobs = []
        for booklet in booklets:
            for edition in editions:
                if not edition.applies_to(booklet.name, booklet.config.audiences):
                    continue
                for variant in self._variants(booklet, edition, language or edition.language):
                    jobs.append(Job(self, variant, edition, clinic, country,
                                    self._numbered_edition(booklet, variant)))
        if not jobs:
            message = (_("nothing to build: no booklet has the edition(s) asked for in "
                         "'%(language)s'") % {"language": language} if language
                       else _("nothing to build: no booklet has the edition(s) asked for"))
            raise BookletError(message, hint=_("python build.py --list shows each booklet's "
                                               "editions and languages"))
        return jobs

    def _variants(self, booklet: Booklet, edition: Edition, language: str | None
                  ) -> list[Booklet]:
        """The booklet in each language this edition is built in."""
        if language is not None and _is_source_language(language, booklet):
            return [booklet]  # its translations need not be read
        translations = self.translations(booklet)
        if language is None:
            return [booklet] + [t for t in translations if edition.name in t.config.editions]
        chosen = match_language(language, [booklet, *translations])
        if chosen is None or (chosen.translation and edition.name not in chosen.config.editions):
            return []
        return [chosen]

    def translations(self, booklet: Booklet) -> list[Booklet]:
        """The booklet's translations, each read once per run."""
        return self._translations[booklet.name]

    @cached_property
    def _translations(self) -> dict[str, list[Booklet]]:
        found = {booklet.name: [load_translation(booklet, name) for name in booklet.translations]
                 for booklet in self.booklets}
        for translations in found.values():
            for translation in translations:
                self._check_edition_text(translation)
        return found

    def _check_edition_text(self, booklet: Booklet) -> None:
        """Each [editions.<name>] table of a booklet.toml names an edition file."""
        for name in booklet.config.editions:
            if name not in self.edition_files:
                config_file = booklet.root / "booklet.toml"
                raise BookletError(_("[editions.%(name)s] names no edition file") % {"name": name},
                                   config_file,
                                   line_of(read_text(config_file), f"editions.{name}"),
                                   did_you_mean(name, self.edition_files))

    @cached_property
    def _all_editions(self) -> list[Edition]:
        return self.editions([])

    def _numbered_edition(self, source: Booklet, variant: Booklet) -> NumberedEdition | None:
        """The edition of this booklet that lists every reference, if any, as `variant` names
        it: the plain-language sources list points readers to it."""
        for edition in self._all_editions:
            if edition.citations == "numbered" and edition.applies_to(
                    source.name, source.config.audiences):
                if variant.translation is None or edition.name in variant.config.editions:
                    return NumberedEdition(variant.edition_text(edition).label)
                return NumberedEdition(source.edition_text(edition).label, source.config.language)
        return None


def _is_source_language(tag: str, booklet: Booklet) -> bool:
    """`tag` is the booklet's own language, and no translation folder could be meant."""
    wanted, own = tag.lower(), booklet.config.language.lower()
    folders = [name.lower() for name in booklet.translations]
    if wanted == own:
        return wanted not in folders
    return wanted == own.split("-")[0] and not any(
        folder.split("-")[0] == wanted for folder in folders)


def match_language(tag: str, variants: list[Booklet]) -> Booklet | None:
    """The variant written in `tag`: the same tag or folder name, else the only one in the
    same language (es → es-US)."""
    wanted = tag.lower()
    for variant in variants:
        if wanted in (variant.config.language.lower(), (variant.translation or "").lower()):
            return variant
    language = wanted.split("-")[0]
    same = [v for v in variants if v.config.language.lower().split("-")[0] == language]
    return same[0] if len(same) == 1 else None


@dataclass(frozen=True)
class Built:
    rendered: RenderedEdition
    pdf: Pdf
    seconds: float
    imposed: bytes | None = None  # the saddle-stitch print file, when the edition asks for one
    print_pack: dict[str, bytes] = field(default_factory=dict)  # a print-shop job sheet's files


@dataclass(frozen=True)
class Job:
    project: Project
    booklet: Booklet  # in the language of this copy
    edition: Edition
    clinic: Clinic | None = None
    country: str | None = None  # ISO 3166 code of the readers' country, if the copy has one
    numbered_edition: NumberedEdition | None = None  # the edition listing every reference

    @property
    def stem(self) -> str:
        """The output name:
        <booklet>-<edition>[-<lang>][-<clinic>|-<country>]-<paper>[-large-print][-print-shop]."""
        edition = self.edition
        language = f"-{self.booklet.translation}" if self.booklet.translation else ""
        if self.clinic:
            whose = f"-{self.clinic.id}"
        else:
            whose = f"-{self.country.lower()}" if self.country else ""
        return (f"{self.booklet.name}-{edition.name}{language}{whose}-{edition.page_paper}"
                f"{edition.variant}")

    @property
    def output_names(self) -> list[str]:
        """The files it writes in the output folder: its PDF, a folded copy's imposed sheets and
        a folded print-shop copy's job sheet (--html and --preview add the PDF's name with
        .html and .png)."""
        folded = [f"{self.stem}-booklet.pdf"] if self.edition.saddle_stitch else []
        if folded and self.edition.crop_marks:
            folded += [f"{self.stem}-job.pdf", f"{self.stem}-job.txt"]
        return [f"{self.stem}.pdf", *folded]

    @property
    def label(self) -> str:
        """How progress lines and summaries name the copy: booklet, edition, language, clinic."""
        parts = [self.booklet.name, self.edition.name, self.booklet.translation,
                 self.clinic.id if self.clinic else self.country]
        return " ".join(part for part in parts if part)

    def render(self, edition: Edition | None = None, last_page: int | None = None,
               web: str | None = None, blank_pages: int = 0,
               back_pages: int = 1) -> RenderedEdition:
        return render_edition(self.booklet, edition or self.edition, self.project.templates_dir,
                              self.clinic, last_page=last_page, country=self.country,
                              numbered_edition=self.numbered_edition, web=web,
                              blank_pages=blank_pages, back_pages=back_pages)

    def build(self, lay_out: LayOut = html_to_pdf, rendered: RenderedEdition | None = None
              ) -> Built:
        """The copy laid out in full (from `rendered`, its HTML, when it is already made)."""
        started = time.perf_counter()
        rendered = rendered or self.render()
        pdf = self.to_pdf(rendered, lay_out)
        imposed = None
        if self.edition.saddle_stitch:
            from booklet.impose import impose_saddle_stitch  # pypdf: only when folding

            rendered, pdf = self._pad_to_sheets(rendered, pdf, lay_out)
            imposed = impose_saddle_stitch(pdf.data)
        pack: dict[str, bytes] = {}
        if self.edition.crop_marks:
            from booklet.printpack import press_files  # pikepdf: only for print shops

            pdf, imposed, pack = press_files(self, pdf, imposed, lay_out)
        return Built(rendered, pdf, time.perf_counter() - started, imposed, pack)

    def _pad_to_sheets(self, rendered: RenderedEdition, pdf: Pdf, lay_out: LayOut
                       ) -> tuple[RenderedEdition, Pdf]:
        """A folded copy padded to a multiple of 4 pages, before the back pages: with notes
        pages, which are useful and fill one page each, then with blank pages for any page
        the notes could not make up. Raises a BookletError naming the options when even that
        cannot work."""
        edition = self.edition
        if pdf.pages % 4:
            edition = edition.model_copy(
                update={"notes_pages": edition.notes_pages + (-pdf.pages % 4)})
            rendered = self.render(edition)
            pdf = self.to_pdf(rendered, lay_out)
        if pdf.pages % 4:
            rendered = self.render(edition, blank_pages=-pdf.pages % 4)
            pdf = self.to_pdf(rendered, lay_out)
        if pdf.pages % 4:
            raise BookletError(
                _("%(options)s: %(pages)s pages even after padding with notes and blank "
                  "pages; a folded booklet needs a multiple of 4")
                % {"options": " ".join(self.print_options), "pages": pdf.pages},
                hint=_("build it without --fold, or change --paper or --large-print; "
                       "if it still fails, report this layout"))
        return rendered, pdf

    @property
    def print_options(self) -> list[str]:
        """The command-line options that give this copy's print layout, e.g. --fold --paper
        a4 --large-print."""
        edition = self.edition
        return (["--fold"] if edition.saddle_stitch else []) + ["--paper", edition.paper] + (
            ["--large-print"] if edition.large_print else []) + (
            ["--print-shop"] if edition.print_shop else [])

    @property
    def text_size(self) -> int:
        """Roughly how much text the copy lays out (its sections' Markdown, by the edition's
        type size), to hand out the longest first when no page count is known."""
        chars = sum(len(section.body) for section in select_sections(self.booklet, self.edition))
        return round(chars * (1.6 if self.edition.large_print else 1.0))

    @property
    def layout_key(self) -> tuple | None:
        """Clinic copies with the same key have the same pages between cover and back page."""
        if not self.clinic or self.edition.saddle_stitch or self.edition.crop_marks:
            return None  # padding to whole sheets depends on the back page; slugs name the file
        return (self.booklet.name, self.booklet.translation, self.edition.model_dump_json(),
                self.clinic.accent, self.country)

    def build_reusing(self, body: bytes, pages: int, lay_out: LayOut = html_to_pdf,
                      rendered: RenderedEdition | None = None) -> Built:
        """This clinic's copy from another clinic's copy with the same layout key: only the
        cover and back matter (`rendered`, when already made) are laid out; raises
        CannotSplice when that cannot work, and OtherBackPages when this clinic's back matter
        takes another number of pages."""
        from booklet.splice import back_pages, splice_clinic_pages  # pikepdf: only for batches

        started = time.perf_counter()
        rendered = rendered or self.render(last_page=pages, back_pages=back_pages(body))
        clinic_pages = self.to_pdf(rendered, lay_out)
        data = splice_clinic_pages(body, clinic_pages.data)
        # the clinic's pages are its cover, then its back matter: the body's last pages
        layout = tuple(replace(finding, page=pages - clinic_pages.pages + finding.page)
                       if finding.page > 1 else finding for finding in clinic_pages.layout)
        return Built(rendered, Pdf(data, pages, clinic_pages.warnings, clinic_pages.loaded,
                                   layout),
                     time.perf_counter() - started)

    def to_pdf(self, rendered: RenderedEdition, lay_out: LayOut = html_to_pdf) -> Pdf:
        """Lays out rendered HTML, loading only from the project (the clinic's folder is in it)
        and the font; `lay_out` is html_to_pdf, here or in a worker process (batch.Workers)."""
        return lay_out(rendered.html, rendered.stylesheets, self.booklet.root.as_uri() + "/",
                       (self.project.root, FONT_DIR), self.booklet.root)


def check_distinct_outputs(jobs: list[Job]) -> None:
    """No two copies write the same file, which would keep only the last: e.g. two clinic
    folders of the same name in different places."""
    seen: dict[str, Job] = {}
    for job in jobs:
        for name in job.output_names:
            other = seen.setdefault(name, job)
            if other is not job:
                raise BookletError(
                    _("two copies would be written to the same file %(file)s: %(first)s and "
                      "%(second)s") % {"file": name, "first": _whose(other),
                                       "second": _whose(job)},
                    hint=_("give the clinic folders different names, or build them into "
                           "different --out folders"))


def _whose(job: Job) -> str:
    """A copy as a collision names it: its clinic's folder, or its label."""
    return display_path(job.clinic.folder) if job.clinic and job.clinic.folder else job.label

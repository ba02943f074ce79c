"""Takes a booklet folder (booklet.toml, Markdown sections, references.yaml), gives a Booklet.

A section is one Markdown file with YAML front matter; nothing is rendered here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import frontmatter
from pydantic import Field, StrictInt

from booklet.config import (
    BookletConfig,
    BookletText,
    Edition,
    EditionText,
    Strict,
    TranslationConfig,
    line_of,
    parse_yaml,
    read_text,
    read_toml,
    validate,
)
from booklet.errors import BookletError, did_you_mean, display_path, map_all
from booklet.extensions import CONDITION, FENCE, SourceFile
from booklet.i18n import _, parse_tag, user_language
from booklet.references import Reference, load_references

CONFIG_FILE = "booklet.toml"
EDITORIAL_MARK = re.compile(r"\{(\+\+|--|~~|==|>>).*?(\+\+|--|~~|==|<<)\}", re.DOTALL)
REFERENCES_FILE = "references.yaml"


class SectionMeta(Strict):
    """A section's front matter."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Unique, lowercase-with-hyphens.")
    title: str = Field(min_length=1)
    order: StrictInt  # not `true`, which Python would read as 1
    audiences: list[str] | None = None
    summary: str = ""
    new_page: bool = Field(False, description="Start the section on a new page.")


class TranslatedSectionMeta(Strict):
    """A translated section's front matter: its id and words; the rest is the source's."""

    id: str
    title: str = Field(min_length=1)
    summary: str = ""
    order: StrictInt | None = None
    audiences: list[str] | None = None
    new_page: bool | None = None


@dataclass(frozen=True)
class Section:
    meta: SectionMeta
    body: str
    path: Path
    body_line: int  # file line number of the body's first line

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title

    def is_for(self, audience: str) -> bool:
        return self.meta.audiences is None or audience in self.meta.audiences

    @cached_property
    def editorial_marks(self) -> list[tuple[int, str]]:
        """(file line, mark) of each CriticMarkup mark left in the text: comments, highlights,
        insertions, deletions and substitutions still to resolve."""
        return [(self.body_line + self.body.count("\n", 0, mark.start()), mark[0])
                for mark in EDITORIAL_MARK.finditer(self.body)]

    @property
    def countries(self) -> list[str]:
        """The countries its `country=` blocks name (for --list), e.g. ['GB', 'US']."""
        found = set()
        for line in self.body.split("\n"):
            if fence := FENCE.match(line.rstrip()):
                for word in fence[1].split():
                    condition = CONDITION.match(word)
                    if condition and condition["key"] == "country":
                        found.update(condition["values"].split(","))
        return sorted(found)


@dataclass(frozen=True, eq=False)
class Booklet:
    """A booklet in one language: the source, or one of its translations (`translation` names
    its folder, e.g. 'es'; its sections not yet translated are the source's, listed in
    `untranslated`, and refused when an edition prints them)."""

    name: str
    root: Path
    config: BookletConfig
    sections: list[Section]
    references: dict[str, Reference] = field(default_factory=dict)
    translations: dict[str, Path] = field(default_factory=dict)  # folder name → folder
    translation: str | None = None
    untranslated: frozenset[str] = frozenset()
    source_language: str | None = None  # a translation's: the language it was translated from

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def edition_text(self, edition: Edition) -> EditionText:
        """What this booklet prints for `edition`: its label, cover line and notice."""
        own = self.config.editions.get(edition.name, EditionText())
        return EditionText(label=own.label or edition.label, subtitle=own.subtitle,
                           disclaimer=own.disclaimer or self.config.disclaimer)


REVIEW_NOTICE_DAYS = 90  # PIF TICK: plan the review before the information goes stale


@dataclass(frozen=True)
class ReviewReminder:
    """A booklet's next review date as a warning: due soon, or passed (an error under
    --strict)."""

    message: str
    passed: bool


def review_reminders(booklets: Iterable[Booklet], today: date) -> list[ReviewReminder]:
    """One reminder per booklet (its translations share its dates) whose review is due."""
    first: dict[str, Booklet] = {}
    for booklet in booklets:
        first.setdefault(booklet.name, booklet)
    return [reminder for booklet in first.values()
            if (reminder := review_reminder(booklet, today))]


def review_reminder(booklet: Booklet, today: date) -> ReviewReminder | None:
    """The warning for a review due within REVIEW_NOTICE_DAYS or passed; None when not yet."""
    days = (booklet.config.next_review - today).days
    if days > REVIEW_NOTICE_DAYS:
        return None
    path = (booklet.root.parent if booklet.translation else booklet.root) / CONFIG_FILE
    where = f"{display_path(path)}:{line_of(read_text(path), 'next_review')}"
    when = {"date": booklet.config.next_review.isoformat(), "days": abs(days)}
    if days < 0:
        return ReviewReminder(where + ": " + _(
            "next review date %(date)s has passed; review the content and update "
            "booklet.toml") % when, passed=True)
    return ReviewReminder(where + ": " + user_language().ngettext(
        "next review is due on %(date)s, in %(days)d day; plan the review with the "
        "booklet's reviewers", "next review is due on %(date)s, in %(days)d days; plan the "
        "review with the booklet's reviewers", days) % when, passed=False)


def find_booklets(content_dir: Path) -> list[Path]:
    """Every folder under content/ that holds a booklet.toml, by name."""
    if not content_dir.is_dir():
        raise BookletError(_("content folder not found"), content_dir,
                           hint=_("run from the project folder or pass --project"))
    found = sorted(p.parent for p in content_dir.glob(f"*/{CONFIG_FILE}"))
    if not found:
        raise BookletError(_("no booklets: no */%(file)s in the content folder")
                           % {"file": CONFIG_FILE}, content_dir,
                           hint=_("create content/<name>/%(file)s") % {"file": CONFIG_FILE})
    return found


def load_booklet(root: Path) -> Booklet:
    config_path = root / CONFIG_FILE
    data, text = read_toml(config_path)
    config = validate(BookletConfig, data, config_path, text)
    sections = map_all(lambda path: load_section(path, config.audiences),
                       [path for path in sorted(root.glob("*.md")) if not _is_doc(path)])
    if not sections:
        raise BookletError(_("no sections: the booklet folder has no Markdown files"), root,
                           hint=_("add one .md file per section with front matter"))
    seen: dict[str, Section] = {}
    for section in sections:
        if section.id in seen:
            raise BookletError(
                _("duplicate section id '%(id)s' (also in %(file)s)") % {
                    "id": section.id, "file": seen[section.id].path.name},
                section.path, 2, _("give each section its own id"))
        seen[section.id] = section
    sections.sort(key=lambda s: (s.meta.order, s.id))
    references = load_references(root / REFERENCES_FILE)
    translations = {path.parent.name: path.parent
                    for path in sorted(root.glob(f"*/{CONFIG_FILE}"))}
    return Booklet(root.name, root, config, sections, references, translations)


def load_translation(source: Booklet, name: str) -> Booklet:
    """The source booklet in the language of its folder `name` (e.g. content/ketamine/es/):
    its booklet.toml replaces the source's words, and its sections (same ids) the source's."""
    folder = source.translations[name]
    config_path = folder / CONFIG_FILE
    data, text = read_toml(config_path)
    translated = validate(TranslationConfig, data, config_path, text)
    try:
        folder_language = parse_tag(name).language
    except ValueError as error:
        raise BookletError(_("translation folder name: %(problem)s") % {"problem": error}, folder,
                           hint=_("name the folder with its language tag, e.g. es or fr-CA")
                           ) from None
    if parse_tag(translated.language).language != folder_language:
        raise BookletError(_("language '%(language)s' does not match the folder name "
                             "'%(folder)s'") % {"language": translated.language, "folder": name},
                           config_path, line_of(text, "language"),
                           _("use a '%(language)s' tag such as '%(language)s'")
                           % {"language": folder_language})
    for key in BookletText.model_fields:
        if getattr(source.config, key) and key not in translated.model_fields_set and key not in (
                "author", "publisher", "keywords", "editions"):
            raise BookletError(_("'%(key)s' is not translated") % {"key": key}, config_path, None,
                               _("add %(key)s = … in this language (the source booklet has "
                                 "one)") % {"key": key})
    config = source.config.model_copy(
        update={key: getattr(translated, key) for key in translated.model_fields_set})
    by_id = {section.id: section for section in source.sections}
    translated_sections = {section.id: section for section in map_all(
        lambda path: load_translated_section(path, by_id),
        [path for path in sorted(folder.glob("*.md")) if not _is_doc(path)])}
    sections = [translated_sections.get(section.id, section) for section in source.sections]
    untranslated = frozenset(by_id) - frozenset(translated_sections)
    return Booklet(source.name, folder, config, sections, source.references,
                   translation=name, untranslated=untranslated,
                   source_language=source.config.language)


def load_translated_section(path: Path, sources: dict[str, Section]) -> Section:
    """A translated section: its words from `path`, its place and audiences from the source
    section with the same id."""
    data, front, body, body_line = _split(path)
    meta = validate(TranslatedSectionMeta, data, path, front)
    source = sources.get(meta.id)
    if source is None:
        raise BookletError(_("no section with id '%(id)s' in the source booklet")
                           % {"id": meta.id}, path, line_of(front, "id"),
                           did_you_mean(meta.id, sources))
    for key in ("order", "audiences", "new_page"):
        value = getattr(meta, key)
        if value is not None and value != getattr(source.meta, key):
            raise BookletError(_("'%(key)s' differs from the source section (%(file)s)") % {
                                   "key": key, "file": display_path(source.path)},
                               path, line_of(front, key),
                               _("remove it: a translation takes %(key)s from its source")
                               % {"key": key})
    words = source.meta.model_copy(update={"title": meta.title,
                                           "summary": meta.summary or source.meta.summary})
    return Section(words, body, path, body_line)


def _is_doc(path: Path) -> bool:
    """Upper-case Markdown files (README.md, COVERAGE.md) document the folder; not sections."""
    return path.stem.isupper()


def _split(path: Path) -> tuple[dict, str, str, int]:
    """A section file's front matter (data and text, with file line numbers kept), body and
    the body's first line."""
    text = read_text(path)
    if not text.startswith("---\n"):
        raise BookletError(_("no front matter"), path, 1,
                           _("start the file with '---', then id, title and order, then '---'"))
    try:
        front, body = frontmatter.YAMLHandler().split(text)
    except ValueError:
        raise BookletError(_("front matter is not closed"), path, 1,
                           _("end the front matter with a line '---'")) from None
    front = "\n" * text.count("\n", 0, text.find(front)) + front  # keep file line numbers
    data = parse_yaml(front, path, _("front matter"), _("fix the YAML between the '---' lines"))
    if not isinstance(data, dict):
        raise BookletError(_("front matter must be 'key: value' lines"), path, 2,
                           _("write id:, title: and order: on their own lines"))
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    SourceFile(path, body_line, body).check_size()
    return data, front, body, body_line


def load_section(path: Path, audiences: list[str]) -> Section:
    data, front, body, body_line = _split(path)
    meta = validate(SectionMeta, data, path, front)
    for name in meta.audiences or []:
        if name not in audiences:
            raise BookletError(_("unknown audience '%(name)s' in audiences") % {"name": name}, path,
                               line_of(front, "audiences"), did_you_mean(name, audiences))
    return Section(meta, body, path, body_line)

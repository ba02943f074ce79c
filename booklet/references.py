"""Takes a booklet's references.yaml, gives Reference records and their Vancouver-style text
(its few words, such as 'Available from:', in the edition's language)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from booklet.config import parse_yaml, read_text, validate
from booklet.errors import BookletError, combined
from booklet.i18n import Language, _


class Reference(BaseModel):
    """One source, holding only identifiers that were checked; never guessed."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    type: Literal["article", "webpage", "label", "legislation", "guideline", "report"]
    authors: list[str] = []
    et_al: bool = False
    title: str
    container: str = ""
    year: str = ""
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    url: str = ""
    date: str = ""
    note: str = ""

    def vancouver(self, words: Language) -> str:
        """The reference as one line of Vancouver-style text, its words in `words`' language."""
        parts = []
        if self.authors:
            names = ", ".join(self.authors) + (words.gettext(", et al") if self.et_al else "")
            parts.append(names + ".")
        web = self.type != "article"
        medium = " " + words.gettext("[Internet]") if web and self.url else ""
        parts.append(self.title.rstrip(".") + medium + ".")
        source = self.container
        if self.type == "article":
            issue = f"({self.issue})" if self.issue else ""
            detail = f"{self.volume}{issue}" + (f":{self.pages}" if self.pages else "")
            when = ";".join(part for part in (self.year, detail) if part)
            source = f"{source}. {when}" if source and when else source or when
        else:
            when = self.date or self.year
            source = f"{source}; {when}" if source and when else source or when
        if source:
            parts.append(source.rstrip(".") + ".")
        if self.doi:
            parts.append(f"doi:{self.doi}.")
        if self.pmid:
            parts.append(f"PMID: {self.pmid}.")
        if self.pmcid:
            parts.append(f"{self.pmcid}.")
        if self.url and not (self.doi or self.pmid or self.pmcid):
            parts.append(words.gettext("Available from: %(url)s") % {"url": self.url})
        if self.note:
            parts.append(f"({self.note.rstrip('.')}.)")
        return " ".join(parts)


    def plain(self) -> str:
        """A short form for plain-language source lists: what it is, who made it, where it is."""
        parts = [self.title.rstrip(".") + ".", self.container.rstrip(".") + "." if self.container
                 else "", f"{self.date or self.year}." if self.date or self.year else "", self.url]
        return " ".join(part for part in parts if part)


def load_references(path: Path) -> dict[str, Reference]:
    """All references by key; a missing file means a booklet without references."""
    if not path.exists():
        return {}
    text = read_text(path)
    data = parse_yaml(text, path, _("references file"), _("fix the YAML (quote text with a colon)"))
    if data is None:
        return {}
    if not isinstance(data, list):
        raise BookletError(_("references must be a YAML list of entries"), path, 1,
                           _("start each entry with '- key: …'"))
    references: dict[str, Reference] = {}
    first_lines: dict[str, int] = {}  # key → the line of the entry that has it
    errors: list[BookletError] = []
    for entry, line in zip(data, data.item_lines, strict=True):
        if not isinstance(entry, dict):
            errors.append(BookletError(
                _("each reference must be a mapping with key, type and title"), path, line,
                _("start each entry with '- key: …'")))
            continue
        try:
            reference = validate(Reference, entry, path, text)
        except BookletError as error:
            errors.append(error)
            continue
        key_line = entry.key_lines["key"]
        if reference.key in references:
            errors.append(BookletError(
                _("duplicate reference key '%(key)s' (first on line %(line)d)")
                % {"key": reference.key, "line": first_lines[reference.key]},
                path, key_line, _("give each reference its own key")))
            continue
        references[reference.key] = reference
        first_lines[reference.key] = key_line
    if errors:
        raise combined(errors)
    return references

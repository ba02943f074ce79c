"""Takes a booklet folder (booklet.toml, Markdown sections, references.yaml), gives a Booklet.

A section is one Markdown file with YAML front matter; nothing is rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
from pydantic import Field

from booklet.config import (
    BookletConfig,
    Strict,
    line_of,
    parse_yaml,
    read_text,
    read_toml,
    validate,
)
from booklet.errors import BookletError, did_you_mean
from booklet.references import Reference, load_references

CONFIG_FILE = "booklet.toml"
REFERENCES_FILE = "references.yaml"


class SectionMeta(Strict):
    """A section's front matter."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Unique, lowercase-with-hyphens.")
    title: str = Field(min_length=1)
    order: int
    audiences: list[str] | None = None
    summary: str = ""
    new_page: bool = Field(False, description="Start the section on a new page.")


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


@dataclass(frozen=True)
class Booklet:
    name: str
    root: Path
    config: BookletConfig
    sections: list[Section]
    references: dict[str, Reference] = field(default_factory=dict)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


def find_booklets(content_dir: Path) -> list[Path]:
    """Every folder under content/ that holds a booklet.toml, by name."""
    if not content_dir.is_dir():
        raise BookletError("content folder not found", content_dir,
                           hint="run from the project folder or pass --project")
    found = sorted(p.parent for p in content_dir.glob(f"*/{CONFIG_FILE}"))
    if not found:
        raise BookletError(f"no booklets: no */{CONFIG_FILE} in the content folder", content_dir,
                           hint=f"create content/<name>/{CONFIG_FILE}")
    return found


def load_booklet(root: Path) -> Booklet:
    config_path = root / CONFIG_FILE
    data, text = read_toml(config_path)
    config = validate(BookletConfig, data, config_path, text)
    sections = [load_section(path, config.audiences) for path in sorted(root.glob("*.md"))
                if not _is_doc(path)]
    if not sections:
        raise BookletError("no sections: the booklet folder has no Markdown files", root,
                           hint="add one .md file per section with front matter")
    seen: dict[str, Section] = {}
    for section in sections:
        if section.id in seen:
            raise BookletError(
                f"duplicate section id '{section.id}' (also in {seen[section.id].path.name})",
                section.path, 2, "give each section its own id")
        seen[section.id] = section
    sections.sort(key=lambda s: (s.meta.order, s.id))
    references = load_references(root / REFERENCES_FILE)
    return Booklet(root.name, root, config, sections, references)


def _is_doc(path: Path) -> bool:
    """Upper-case Markdown files (README.md, COVERAGE.md) document the folder; not sections."""
    return path.stem.isupper()


def load_section(path: Path, audiences: list[str]) -> Section:
    text = read_text(path)
    if not text.startswith("---\n"):
        raise BookletError("no front matter", path, 1,
                           "start the file with '---', then id, title and order, then '---'")
    try:
        front, body = frontmatter.YAMLHandler().split(text)
    except ValueError:
        raise BookletError("front matter is not closed", path, 1,
                           "end the front matter with a line '---'") from None
    front = "\n" * text.count("\n", 0, text.find(front)) + front  # keep file line numbers
    data = parse_yaml(front, path, "front matter", "fix the YAML between the '---' lines")
    if not isinstance(data, dict):
        raise BookletError("front matter must be 'key: value' lines", path, 2,
                           "write id:, title: and order: on their own lines")
    meta = validate(SectionMeta, data, path, front)
    for name in meta.audiences or []:
        if name not in audiences:
            raise BookletError(f"unknown audience '{name}' in audiences", path,
                               line_of(front, "audiences"), did_you_mean(name, audiences))
    body_line = text.count("\n", 0, len(text) - len(body)) + 1
    return Section(meta, body, path, body_line)

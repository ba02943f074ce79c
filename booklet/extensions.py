"""Python-Markdown extensions for booklet sources: audience blocks and citations.

`::: patient` … `:::` (Pandoc fenced-div style) keeps a block only for the named audiences.
`[@key]` / `[@a; @b]` cites references: numbered marks, or none for a plain sources list.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path

from markdown import Extension, Markdown
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor

from booklet.errors import BookletError, did_you_mean
from booklet.references import Reference

FENCE = re.compile(r"^:::(.*)$")
CITATION = r"\s*\[(@[\w-]+(?:\s*;\s*@[\w-]+)*)\]"


@dataclass
class SourceFile:
    """Where Markdown text came from, so errors can name the file and line."""

    path: Path
    first_line: int
    text: str

    def line_of(self, needle: str) -> int | None:
        for number, line in enumerate(self.text.split("\n")):
            if needle in line:
                return self.first_line + number
        return None


class AudiencePreprocessor(Preprocessor):
    """Drops the lines of audience blocks that are not for this edition's audience."""

    def __init__(self, md: Markdown, audience: str, audiences: list[str], source: SourceFile):
        super().__init__(md)
        self.audience = audience
        self.audiences = audiences
        self.source = source

    def run(self, lines: list[str]) -> list[str]:
        kept: list[str] = []
        opened: tuple[int, str] | None = None  # (line, names) of the open block
        keep = True
        for index, line in enumerate(lines):
            match = FENCE.match(line.rstrip())
            if not match:
                if keep:
                    kept.append(line)
                continue
            number = self.source.first_line + index
            names = match[1].split()
            if not names:
                if opened is None:
                    raise BookletError("':::' closes no open block", self.source.path, number,
                                       "remove it, or open a block with '::: patient' above")
                opened, keep = None, True
            elif opened is not None:
                raise BookletError(
                    f"'::: {' '.join(names)}' opens a block inside the '::: {opened[1]}' block "
                    f"opened on line {opened[0]}; blocks cannot be nested",
                    self.source.path, number, "close the first block with ':::' before this line")
            else:
                for name in names:
                    if name not in self.audiences:
                        raise BookletError(f"unknown audience '{name}'", self.source.path, number,
                                           did_you_mean(name, self.audiences))
                opened, keep = (number, " ".join(names)), self.audience in names
            kept.append("")
        if opened is not None:
            raise BookletError(f"'::: {opened[1]}' block is never closed", self.source.path,
                               opened[0], "add a line ':::' where the block ends")
        return kept


@dataclass
class Citations:
    """The references an edition cites, numbered in order of first citation."""

    references: dict[str, Reference]
    numbered: bool
    order: list[str] = field(default_factory=list)

    def cite(self, key: str) -> int:
        if key not in self.order:
            self.order.append(key)
        return self.order.index(key) + 1

    @property
    def cited(self) -> list[Reference]:
        return [self.references[key] for key in self.order]


class CitationProcessor(InlineProcessor):
    def __init__(self, md: Markdown, citations: Citations, source: SourceFile):
        super().__init__(CITATION, md)
        self.citations = citations
        self.source = source

    def handleMatch(self, m: re.Match, data: str):
        keys = [key.strip().lstrip("@") for key in m[1].split(";")]
        for key in keys:
            if key not in self.citations.references:
                raise BookletError(
                    f"citation to unknown reference '@{key}'", self.source.path,
                    self.source.line_of(f"@{key}"),
                    did_you_mean(key, self.citations.references) if self.citations.references
                    else "add it to references.yaml")
        numbers = [self.citations.cite(key) for key in keys]
        if not self.citations.numbered:
            return "", m.start(0), m.end(0)
        mark = etree.Element("span", {"class": "cite"})
        mark.text = "\u00a0["
        for position, (key, number) in enumerate(zip(keys, numbers, strict=True)):
            link = etree.SubElement(mark, "a", {"href": f"#ref-{key}"})
            link.text = str(number)
            link.tail = "]" if position == len(keys) - 1 else ", "
        return mark, m.start(0), m.end(0)


class BookletExtension(Extension):
    """Registers the audience filter and the citation marks for one section of one edition."""

    def __init__(self, audience: str, audiences: list[str], citations: Citations,
                 source: SourceFile):
        super().__init__()
        self.audience, self.audiences = audience, audiences
        self.citations, self.source = citations, source

    def extendMarkdown(self, md: Markdown) -> None:
        # Priority 35 runs before whitespace normalisation, so line numbers match the file.
        md.preprocessors.register(
            AudiencePreprocessor(md, self.audience, self.audiences, self.source), "audience", 35)
        md.inlinePatterns.register(
            CitationProcessor(md, self.citations, self.source), "citation", 175)

"""Takes the TOML config files (a booklet's booklet.toml, editions/*.toml), gives validated models.

Every problem is reported as a BookletError naming the file, the line of the offending key
and the closest valid key or value.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from booklet.errors import BookletError, closest
from booklet.paper import FOLDED, SMALL_PAPERS, Paper

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FONT_SIZE = re.compile(r"^(\d+(?:\.\d+)?)pt$")
MIN_FONT_PT, MAX_FONT_PT, MIN_PLAIN_LANGUAGE_PT = 8.0, 28.0, 12.0
LARGE_PRINT_PT, MIN_LARGE_PRINT_PT = 18.0, 16.0  # UKAAF / RNIB large-print guidance
MM = re.compile(r"^(\d+(?:\.\d+)?)mm$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CrisisLine(Strict):
    region: str = Field(description="Where the line answers, e.g. 'US'.")
    name: str = Field(description="The service's name.")
    contact: str = Field(description="What to call or text, e.g. 'Call or text 988'.")
    note: str = Field("", description="When it is open, cost, website.")


class BookletConfig(Strict):
    """content/<booklet>/booklet.toml: what is true of the booklet in every edition."""

    title: str
    subtitle: str = ""
    version: str = Field(pattern=r"^\d+\.\d+(\.\d+)?$", description="Content version, e.g. 1.0")
    last_reviewed: date
    next_review: date
    language: str = Field(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", description="e.g. en-US")
    author: str
    publisher: str = ""
    reviewed_by: str = ""
    keywords: list[str] = []
    audiences: list[str] = Field(min_length=1)
    disclaimer: str
    emergency: str
    crisis_lines: list[CrisisLine] = Field(min_length=1)

    @model_validator(mode="after")
    def _review_after_last(self) -> BookletConfig:
        if self.next_review <= self.last_reviewed:
            raise ValueError("next_review must be after last_reviewed")
        return self


class Edition(Strict):
    """editions/<name>.toml: one printed version of a booklet for one audience."""

    name: str = Field("", description="Set from the file name; not written in the file.")
    path: Path | None = Field(None, exclude=True, description="Set to the file it came from.")
    label: str = Field(description="Shown on the cover, e.g. 'Patient edition'.")
    audience: str = Field(description="Which audience blocks the edition shows.")
    subtitle: str = Field("", description="Line under the title on the cover.")
    sections: Literal["all"] | list[str] = Field(
        "all", description="'all' sections for this audience, or section ids in order."
    )
    paper: Paper = Field("letter", description="letter, a4, a5 or half-letter.")
    font_size: str = Field("11pt", description="Body text size in points, e.g. '12pt'.")
    plain_language: bool = Field(False, description="Check readability; body at least 12pt.")
    citations: Literal["numbered", "sources"] = Field(
        "numbered", description="Numbered citations and references, or a plain sources list."
    )
    toc: bool = Field(True, description="Print a table of contents.")
    notes_pages: int = Field(0, ge=0, le=4, description="Blank lined pages for notes.")
    booklet: str | None = Field(None, description="Only build for this booklet.")
    large_print: bool = Field(False, description="Body 18pt (at least 16pt), nothing under 14pt.")
    saddle_stitch: bool = Field(
        False, description="Also write a folded booklet: half-size pages imposed 2-up.")
    bleed: str = Field("0mm", description="Print-shop bleed around each page, e.g. '3mm'.")
    crop_marks: bool = Field(False, description="Print crop marks in the bleed.")

    @field_validator("font_size")
    @classmethod
    def _font_size(cls, value: str) -> str:
        match = FONT_SIZE.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a size in points such as '12pt'")
        points = float(match[1])
        if not MIN_FONT_PT <= points <= MAX_FONT_PT:
            raise ValueError(f"{value} is outside {MIN_FONT_PT:g}pt to {MAX_FONT_PT:g}pt")
        return value

    @field_validator("bleed")
    @classmethod
    def _bleed(cls, value: str) -> str:
        match = MM.match(value)
        if not match or float(match[1]) > 10:
            raise ValueError(f"'{value}' is not a bleed in millimetres from 0mm to 10mm")
        return value

    @model_validator(mode="before")
    @classmethod
    def _large_print_size(cls, data: Any) -> Any:
        """Large print raises a smaller body size to 18pt; 16pt or more is kept."""
        if isinstance(data, dict) and data.get("large_print") is True:
            size = data.get("font_size")
            match = FONT_SIZE.match(str(size))
            if size is None or (match and float(match[1]) < MIN_LARGE_PRINT_PT):
                data = {**data, "font_size": f"{LARGE_PRINT_PT:g}pt"}
        return data

    @model_validator(mode="after")
    def _plain_language_size(self) -> Edition:
        if self.plain_language and self.font_points < MIN_PLAIN_LANGUAGE_PT:
            raise ValueError(
                f"font_size {self.font_size} is too small for a plain-language edition "
                f"(at least {MIN_PLAIN_LANGUAGE_PT:g}pt)"
            )
        return self

    @property
    def font_points(self) -> float:
        return float(FONT_SIZE.match(self.font_size)[1])  # type: ignore[index]

    @property
    def page_paper(self) -> str:
        """The paper each page is laid out on: half size when folded into a booklet."""
        return FOLDED[self.paper] if self.saddle_stitch else self.paper

    @property
    def small_paper(self) -> bool:
        """Pages of A5 or half-letter size, which get tighter margins, cover and back page."""
        return self.page_paper in SMALL_PAPERS

    @property
    def variant(self) -> str:
        """The part of the output name after the paper: '', '-large-print', '-print-shop'."""
        return ("-large-print" if self.large_print else "") + (
            "-print-shop" if self.bleed != "0mm" or self.crop_marks else "")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML and its text; syntax errors become BookletErrors with the line."""
    text = read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise BookletError(
            f"TOML syntax error: {message}",
            path,
            int(found[1]) if found else None,
            "fix the syntax (strings need quotes, tables need [brackets])",
        ) from None


def read_text(path: Path, limit: int = 1_000_000) -> str:
    """A UTF-8 text file, refusing binary, huge or wrongly encoded files with a clear error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BookletError("file not found", path) from None
    except OSError as error:
        raise BookletError(f"cannot read file: {error.strerror}", path) from None
    if len(data) > limit:
        raise BookletError(
            f"file is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB",
            path,
            hint="split it into smaller files",
        )
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BookletError(
            f"not valid UTF-8 (byte offset {error.start})",
            path,
            line,
            "save the file as UTF-8",
        ) from None


def parse_yaml(text: str, path: Path, what: str, hint: str) -> Any:
    """YAML text → data, with libyaml's fast loader; syntax errors name the file line."""
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "syntax error"
        raise BookletError(f"{what} is not valid YAML: {problem}", path,
                           mark.line + 1 if mark else None, hint) from None


def validate(model: type[BaseModel], data: dict[str, Any], path: Path, text: str, **extra: Any):
    """Build `model` from `data`; the first problem becomes a BookletError at its line."""
    try:
        return model(**data, **extra)
    except ValidationError as error:
        raise _to_booklet_error(error, model, path, text) from None


def _to_booklet_error(
    error: ValidationError, model: type[BaseModel], path: Path, text: str
) -> BookletError:
    problems = error.errors()
    first = problems[0]
    keys = [str(part) for part in first["loc"] if isinstance(part, str)]
    key = keys[-1] if keys else ""
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    if first["type"] == "extra_forbidden":
        fields = _fields_at(model, keys[:-1])
        guess = closest(key, fields)
        hint = f"did you mean '{guess}'?" if guess else "valid keys: " + ", ".join(sorted(fields))
        return BookletError(f"unknown key '{key}'{more}", path, line_of(text, key), hint)
    if first["type"] == "missing":
        return BookletError(f"missing required key '{key}'{more}", path, 1, f"add {key} = …")
    message = first["msg"].removeprefix("Value error, ")
    shown = f"'{key}': " if key else ""
    return BookletError(f"{shown}{message}{more}", path, line_of(text, key) if key else None)


def _fields_at(model: type[BaseModel], keys: list[str]) -> list[str]:
    for key in keys:
        annotation = model.model_fields[key].annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return list(model.model_fields)


def line_of(text: str, key: str) -> int | None:
    """The first line where `key` is assigned (TOML `key =` or YAML `key:`)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*[=:]")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def load_edition(path: Path, overrides: dict[str, Any] | None = None) -> Edition:
    """An edition from its TOML file, with optional field overrides (--set key=value)."""
    data, text = read_toml(path)
    data = {**data, "name": path.stem, "path": path}
    edition = validate(Edition, data, path, text)
    if not overrides:
        return edition
    try:
        return validate(Edition, {**data, **overrides}, path, text)
    except BookletError as error:  # the file was fine: the command line is to blame
        raise BookletError(f"--set {error.message}", hint=error.hint) from None


def find_editions(editions_dir: Path) -> dict[str, Path]:
    """Edition name → file, for every editions/*.toml."""
    if not editions_dir.is_dir():
        raise BookletError("editions folder not found", editions_dir,
                           hint="create editions/<name>.toml")
    return {path.stem: path for path in sorted(editions_dir.glob("*.toml"))}

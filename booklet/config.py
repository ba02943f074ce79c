"""Takes the TOML config files (a booklet's booklet.toml, editions/*.toml), gives validated models.

Every problem is reported as a BookletError naming the file, the line of the offending key
and the closest valid key or value.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from booklet.errors import BookletError, closest, combined
from booklet.i18n import _, is_country, parse_tag
from booklet.paper import FOLDED, PAPER_SIZES, SMALL_PAPERS, Paper
from booklet.sandbox import checked

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
NEWLINE = re.compile(r"\r\n?")
FONT_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)pt$")  # ASCII digits: CSS reads no others
MIN_FONT_PT, MAX_FONT_PT, MIN_PLAIN_LANGUAGE_PT = 8.0, 28.0, 12.0
LARGE_PRINT_PT, MIN_LARGE_PRINT_PT = 18.0, 16.0  # UKAAF / RNIB large-print guidance
MM = re.compile(r"^([0-9]+(?:\.[0-9]+)?)mm$")
VERSION = r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"
FROM_THE_FILE = ("name", "path")  # Edition fields that the file's name and place decide


MAX_TEXT = 2_000  # characters in any one text value; the longest real one has 230


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True,
                              str_max_length=MAX_TEXT)


def _tag(value: str) -> str:
    parse_tag(value)  # raises ValueError with what is wrong
    return value


def _country(code: str) -> str:
    if not is_country(code):
        raise ValueError(_("'%(code)s' is not an ISO 3166 country code such as 'GB' or 'US'")
                         % {"code": code})
    return code


VARIANT_OPTIONS = ("large-print", "fold", "print-shop")
DEFAULT_BLEED = "3mm"  # --print-shop's


def _print_variant(value: str) -> str:
    """A print variant as `check_variants` lists it: an optional paper, then options."""
    words = value.split()
    for word in words:
        if word not in PAPER_SIZES and word not in VARIANT_OPTIONS:
            raise ValueError(_("'%(word)s' in '%(value)s' is neither a paper (%(papers)s) nor "
                               "an option (%(options)s)") % {
                "word": word, "value": value, "papers": ", ".join(PAPER_SIZES),
                "options": ", ".join(VARIANT_OPTIONS)})
    if len(set(words)) < len(words) or sum(word in PAPER_SIZES for word in words) > 1:
        raise ValueError(_("'%(value)s' names a paper or an option twice") % {"value": value})
    if not words:
        raise ValueError(_("a print variant is empty; write e.g. 'a5 large-print fold'"))
    return " ".join(words)


LanguageTag = Annotated[str, AfterValidator(_tag)]
PrintVariant = Annotated[str, AfterValidator(_print_variant)]
Country = Annotated[str, AfterValidator(_country)]
Countries = list[Country]


class CrisisLine(Strict):
    region: str = Field(description="Where the line answers, as printed, e.g. 'US'.")
    name: str = Field(description="The service's name.")
    contact: str = Field(description="What to call or text, e.g. 'Call or text 988'.")
    note: str = Field("", description="When it is open, cost, website.")
    countries: Countries = Field([], description="ISO 3166 codes of the countries it serves.")


class EmergencyNumber(Strict):
    region: str = Field(description="Where the number works, as printed, e.g. 'UK'.")
    number: str = Field(description="What to dial, e.g. '999'.")
    countries: Countries = Field(description="ISO 3166 codes of the countries it serves.")

    @property
    def shown(self) -> str:
        """'999 (UK)', as the emergency line lists it."""
        return f"{self.number} ({self.region})"


class EditionText(Strict):
    """What a booklet prints for one of its editions: the cover's label and audience line,
    and a notice worded for that edition's readers."""

    label: str = Field("", description="Replaces the edition file's label, e.g. 'Quick guide'.")
    subtitle: str = Field("", description="The cover's audience line for this edition.")
    disclaimer: str = Field("", description="The notice for this edition's readers.")


class Change(Strict):
    version: str = Field(pattern=VERSION)
    date: datetime.date
    changes: str = Field(min_length=1, description="What changed, in a short sentence.")


class TranslatedEditionText(EditionText):
    label: str = Field(min_length=1, description="The edition's label in this language.")


# Readability formulas (textstat 0.7.8 names, offline) per language, with the default limit
# for each plain-language section; a booklet may set its own under [readability.<language>].
READABILITY: dict[str, dict[str, float]] = {
    "en": {"flesch_kincaid_grade": 7.0, "smog_index": 8.0},
    "es": {"fernandez_huerta": 70.0, "szigriszt_pazos": 65.0},
}
EASE_SCORES = frozenset({"fernandez_huerta", "szigriszt_pazos"})  # higher reads easier
FORMULAS = frozenset(name for limits in READABILITY.values() for name in limits)


def _readability(value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    for language, limits in value.items():
        for name in limits:
            if name not in FORMULAS:
                guess = closest(name, FORMULAS)
                message = _("unknown readability formula '%(name)s' for '%(language)s'") % {
                    "name": name, "language": language}
                if guess:
                    message += "; " + _("did you mean '%(guess)s'?") % {"guess": guess}
                raise ValueError(message)
    return value


class BookletText(Strict):
    """What a booklet says in its own words: shared by the booklet and its translations."""

    title: str
    subtitle: str = ""
    language: LanguageTag = Field(description="BCP 47 tag, e.g. en-US, es-419.")
    author: str = ""
    publisher: str = ""
    reviewed_by: str = Field("", description="Who reviewed it, printed in the imprint.")
    keywords: list[str] = []
    disclaimer: str = Field(min_length=1, description="The 'not medical advice' notice.")
    crisis_heading: str = Field("", description="The crisis box's heading.")
    crisis_intro: str = Field("", description="A line under the crisis box's heading.")
    crisis_lines: list[CrisisLine] = []
    emergency_numbers: list[EmergencyNumber] = []
    editions: dict[str, EditionText] = Field(
        {}, description="Per edition name: its label, cover line and notice in this booklet.")
    feedback: str = Field("", description="Where readers send comments, on the last page.")
    history: list[Change] = Field([], description="Versions, newest first, in the imprint.")

    @model_validator(mode="after")
    def _crisis_box(self) -> BookletText:
        if self.crisis_lines and not self.crisis_heading:
            raise ValueError(_("crisis_lines need a crisis_heading, e.g. "
                               "'If you are thinking about suicide or feel unsafe'"))
        return self


class Reviewer(Strict):
    name: str = Field(min_length=1, description="The reviewer's name, as printed.")
    role: str = Field(min_length=1, description="e.g. 'Consultant psychiatrist'.")
    date: datetime.date = Field(description="The day they signed the content off.")


class BookletConfig(BookletText):
    """content/<booklet>/booklet.toml: what is true of the booklet in every edition."""

    version: str = Field(pattern=VERSION, description="Content version, e.g. 1.0")
    last_reviewed: date
    next_review: date
    author: str
    audiences: list[str] = Field(min_length=1)
    readability: Annotated[dict[str, dict[str, float]], AfterValidator(_readability)] = Field(
        {}, description="Limits per language and formula, e.g. es = { fernandez_huerta = 75 }.")
    translated_from: str = Field("", description="Set for translations: the source's version.")
    translation_reviewed: bool = Field(
        False, description="A qualified medical translator has reviewed this translation.")
    status: Literal["draft", "in-review", "approved"] = Field(
        "draft", description="Only an approved booklet prints without the draft mark.")
    reviewers: list[Reviewer] = Field([], description="Who signed the content off, and when.")

    @model_validator(mode="after")
    def _review_after_last(self) -> BookletConfig:
        if self.next_review <= self.last_reviewed:
            raise ValueError(_("next_review must be after last_reviewed"))
        return self

    @model_validator(mode="after")
    def _approved_by_a_reviewer(self) -> BookletConfig:
        if self.status == "approved" and not any(
                reviewer.date >= self.last_reviewed for reviewer in self.reviewers):
            raise ValueError(_("status 'approved' needs a [[reviewers]] entry (name, role, "
                               "date) dated on or after last_reviewed; until then use "
                               "'in-review'"))
        return self

    @property
    def draft(self) -> bool:
        """Not approved: every page says it is not for use with patients."""
        return self.status != "approved"

    def readability_limits(self) -> dict[str, float]:
        """The formulas and limits for this booklet's language ({} when none is known)."""
        language = parse_tag(self.language).language
        return {**READABILITY.get(language, {}), **self.readability.get(language, {})}


class TranslationConfig(BookletText):
    """content/<booklet>/<lang>/booklet.toml: a translation's own words. Dates, version and
    audiences are the source booklet's."""

    translated_from: str = Field(pattern=VERSION,
                                 description="The source booklet's version it translates.")
    translation_reviewed: bool = False
    editions: dict[str, TranslatedEditionText] = Field(
        description="The editions translated, each with its label in this language.")


class Edition(Strict):
    """editions/<name>.toml: one printed version of a booklet for one audience."""

    name: str = Field("", description="Set from the file name; not written in the file.")
    path: Path | None = Field(None, exclude=True, description="Set to the file it came from.")
    label: str = Field(description="Shown on the cover, e.g. 'Patient edition'.")
    audience: str = Field(description="Which audience blocks the edition shows.")
    language: LanguageTag | None = Field(
        None, description="Build only in this language, e.g. 'es' (the booklet's or a "
        "translation's).")
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
    notes_pages: StrictInt = Field(0, ge=0, le=4, description="Blank lined pages for notes.")
    booklet: str | None = Field(None, min_length=1, description="Only build for this booklet.")
    large_print: bool = Field(False, description="Body 18pt (at least 16pt), nothing under 14pt.")
    saddle_stitch: bool = Field(
        False, description="Also write a folded booklet: half-size pages imposed 2-up.")
    bleed: str = Field("0mm", description="Print-shop bleed around each page, e.g. '3mm'.")
    crop_marks: bool = Field(False, description="Crop marks and a slug line, outside the bleed.")
    check_variants: list[PrintVariant] = Field(
        [], description="Print variants that --check --strict also lays out, e.g. "
        "'a5 large-print fold'.")

    @field_validator("font_size")
    @classmethod
    def _font_size(cls, value: str) -> str:
        match = FONT_SIZE.match(value)
        if not match:
            raise ValueError(_("'%(value)s' is not a size in points such as '12pt'")
                             % {"value": value})
        points = float(match[1])
        if not MIN_FONT_PT <= points <= MAX_FONT_PT:
            raise ValueError(_("%(value)s is outside %(minimum)spt to %(maximum)spt") % {
                "value": value, "minimum": f"{MIN_FONT_PT:g}", "maximum": f"{MAX_FONT_PT:g}"})
        return value

    @field_validator("bleed")
    @classmethod
    def _bleed(cls, value: str) -> str:
        match = MM.match(value)
        if not match or float(match[1]) > 10:
            raise ValueError(_("'%(value)s' is not a bleed in millimetres from 0mm to 10mm")
                             % {"value": value})
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
                _("font_size %(size)s is too small for a plain-language edition (at least "
                  "%(minimum)spt)") % {"size": self.font_size,
                                       "minimum": f"{MIN_PLAIN_LANGUAGE_PT:g}"})
        return self

    def applies_to(self, booklet: str, audiences: list[str]) -> bool:
        """Built for a booklet it names, or (naming none) for every booklet that declares its
        audience."""
        return self.booklet == booklet if self.booklet else self.audience in audiences

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
    def print_variant(self) -> str:
        """How the layout check names the print variant, e.g. 'a4 large-print fold': the
        paper and the options, as `check_variants` spells them."""
        return " ".join([self.paper] + ["large-print"] * self.large_print
                        + ["fold"] * self.saddle_stitch + ["print-shop"] * self.print_shop)

    @property
    def print_shop(self) -> bool:
        return self.bleed != "0mm" or self.crop_marks

    def in_variant(self, variant: str) -> Edition:
        """This edition printed as `variant` (one of check_variants): on its paper, or the one
        named, with exactly the options named."""
        words = variant.split()
        shop = "print-shop" in words
        return Edition.model_validate({
            **self.model_dump(), "path": self.path,
            "paper": next((word for word in words if word in PAPER_SIZES), self.paper),
            "large_print": "large-print" in words, "saddle_stitch": "fold" in words,
            "bleed": (self.bleed if self.print_shop else DEFAULT_BLEED) if shop else "0mm",
            "crop_marks": shop})

    @property
    def variant(self) -> str:
        """The part of the output name after the paper: '', '-large-print', '-print-shop'."""
        return ("-large-print" if self.large_print else "") + (
            "-print-shop" if self.print_shop else "")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """The parsed TOML and its text; syntax errors become BookletErrors with the line."""
    text = read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column \d+\)", str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise BookletError(
            _("TOML syntax error: %(problem)s") % {"problem": message},
            path,
            int(found[1]) if found else None,
            _("fix the syntax (strings need quotes, tables need [brackets])"),
        ) from None


def read_text(path: Path, limit: int = 1_000_000) -> str:
    """A UTF-8 text file of the project, refusing one that leads outside it and binary, huge
    or wrongly encoded files, with a clear error."""
    try:
        data = checked(path).read_bytes()
    except FileNotFoundError:
        raise BookletError(_("file not found"), path) from None
    except OSError as error:
        raise BookletError(_("cannot read file: %(reason)s") % {"reason": error.strerror},
                           path) from None
    if len(data) > limit:
        raise BookletError(
            _("file is %(size)s MB; the limit is %(limit)s MB") % {
                "size": f"{len(data) / 1e6:.1f}", "limit": f"{limit / 1e6:.0f}"},
            path,
            hint=_("split it into smaller files"),
        )
    try:  # a byte-order mark is dropped; Windows (CR LF) and old Mac (CR) lines become LF
        return NEWLINE.sub("\n", data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BookletError(
            _("not valid UTF-8 (byte offset %(offset)d)") % {"offset": error.start},
            path,
            line,
            _("save the file as UTF-8"),
        ) from None


class YamlMapping(dict):
    """A YAML mapping that knows its file lines: where it starts and where each key is."""

    line: int = 1
    key_lines: dict[str, int]


class YamlList(list):
    """A YAML list that knows the file line of each item."""

    item_lines: list[int]


class _YamlProblem(Exception):
    """Well-formed YAML that booklet cannot use (a key that is not text, a key given twice)."""

    def __init__(self, message: str, line: int, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


class _LineLoader(YAML_LOADER):  # type: ignore[misc, valid-type]
    """libyaml's fast safe loader, whose mappings and lists keep their file lines."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> YamlMapping:
    loader.flatten_mapping(node)
    mapping = YamlMapping()
    mapping.line, mapping.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key, line = loader.construct_object(key_node, deep=True), key_node.start_mark.line + 1
        if not isinstance(key, str):
            written = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key)
            raise _YamlProblem(_("key '%(key)s' is not text") % {"key": written}, line,
                               _("keys are words such as 'title'; put a key that is a number "
                                 "in quotes"))
        if key in mapping:
            raise _YamlProblem(_("key '%(key)s' is given twice (also on line %(line)d)")
                               % {"key": key, "line": mapping.key_lines[key]}, line,
                               _("keep one of them"))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _list(loader: yaml.SafeLoader, node: yaml.SequenceNode) -> YamlList:
    items = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _list)


def parse_yaml(text: str, path: Path, what: str, hint: str) -> Any:
    """YAML text → data, with libyaml's fast loader; mappings and lists keep their file lines
    (YamlMapping, YamlList). Syntax errors, keys that are not text and keys given twice name
    the file line."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or _("syntax error")
        raise BookletError(_("%(what)s is not valid YAML: %(problem)s") % {
                               "what": what, "problem": problem}, path,
                           mark.line + 1 if mark else None, hint) from None
    except _YamlProblem as problem:
        raise BookletError(problem.message, path, problem.line, problem.hint) from None


def validate(model: type[BaseModel], data: dict[str, Any], path: Path, text: str, **extra: Any):
    """Build `model` from `data`; every problem becomes a BookletError at its line (raised
    together, see BookletErrors). Lines come from a YamlMapping's own, else from `text`."""
    try:
        return model(**data, **extra)
    except ValidationError as error:
        raise combined([_to_booklet_error(problem, model, path, text, data)
                        for problem in error.errors()]) from None


def _to_booklet_error(problem: ErrorDetails, model: type[BaseModel], path: Path, text: str,
                      data: dict[str, Any]) -> BookletError:
    keys = [str(part) for part in problem["loc"] if isinstance(part, str)]
    key = keys[-1] if keys else ""
    yaml_lines = data.key_lines if isinstance(data, YamlMapping) else None

    def line(name: str) -> int | None:
        if yaml_lines is not None and problem["loc"] and problem["loc"][0] in yaml_lines:
            return yaml_lines[problem["loc"][0]]  # type: ignore[index]
        return line_of(text, name)

    if problem["type"] == "extra_forbidden":
        fields = _fields_at(model, keys[:-1])
        guess = closest(key, fields)
        hint = (_("did you mean '%(guess)s'?") % {"guess": guess} if guess
                else _("valid keys: %(keys)s") % {"keys": ", ".join(sorted(fields))})
        return BookletError(_("unknown key '%(key)s'") % {"key": key}, path, line(key), hint)
    if problem["type"] == "missing":
        if isinstance(data, YamlMapping):
            return BookletError(_("missing required key '%(key)s'") % {"key": key}, path,
                                data.line, _("add %(key)s: …") % {"key": key})
        return BookletError(_("missing required key '%(key)s'") % {"key": key}, path, 1,
                            _("add %(key)s = …") % {"key": key})
    message = problem["msg"].removeprefix("Value error, ")
    if key:
        return BookletError(f"'{key}': {message}", path, line(key))
    # a rule across fields: the line of the first field the message names
    lines = [line_of(text, word) for word in re.findall(r"\w+", message)
             if word in model.model_fields]
    return BookletError(message, path, next((n for n in lines if n), None))


def _fields_at(model: type[BaseModel], keys: list[str]) -> list[str]:
    for key in keys:
        annotation = model.model_fields[key].annotation
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return list(model.model_fields)


def line_of(text: str, key: str) -> int | None:
    """The first line where `key` is assigned (TOML `key =`, YAML `key:`) or its TOML table
    begins (`[key]`, `[[key]]`, `[key.name]`)."""
    pattern = re.compile(rf"^\s*([\"']?{re.escape(key)}[\"']?\s*[=:]|\[\[?{re.escape(key)}[\].])")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def load_edition(path: Path, overrides: dict[str, Any] | None = None) -> Edition:
    """An edition from its TOML file, with optional field overrides (--set key=value)."""
    data, text = read_toml(path)
    if "subtitle" in data:
        raise BookletError(_("an edition's subtitle belongs to each booklet"), path,
                           line_of(text, "subtitle"),
                           _("move it to content/<booklet>/booklet.toml as "
                             "[editions.%(edition)s] subtitle = …") % {"edition": path.stem})
    for key in FROM_THE_FILE:
        if key in data or key in (overrides or {}):
            raise BookletError(
                _("'%(key)s' cannot be set: an edition's name and path come from its file")
                % {"key": key}, path, line_of(text, key) if key in data else None,
                _("rename the file to editions/<name>.toml to change the edition's name"))
    data = {**data, "name": path.stem, "path": path}
    edition = validate(Edition, data, path, text)
    if not overrides:
        return edition
    try:
        return validate(Edition, {**data, **overrides}, path, text)
    except BookletError as error:  # the file was fine: the command line is to blame
        raise combined([BookletError(f"--set {single.message}", hint=single.hint)
                        for single in error.each()]) from None


def find_editions(editions_dir: Path) -> dict[str, Path]:
    """Edition name → file, for every editions/*.toml."""
    if not editions_dir.is_dir():
        raise BookletError(_("editions folder not found"), editions_dir,
                           hint=_("create editions/<name>.toml"))
    return {path.stem: path for path in sorted(editions_dir.glob("*.toml"))}

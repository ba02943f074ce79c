"""Takes a BCP 47 language tag, gives what a build needs to print in that language: the Babel
locale, the message catalog (booklet/locales/<lang>/LC_MESSAGES/booklet.po, compiled to .mo
by `make`), dates, lists, language and country names, quotation marks and the CSS form of
messages with counters ("Page {page} of {pages}")."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

from booklet.errors import BookletError
from booklet.sandbox import inside

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "booklet"
SOURCE_LANGUAGE = "en"  # the language of the msgids in the templates and the engine
TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")
# Two-letter CLDR territories that are not ISO 3166-1 countries (reserved or grouping codes).
NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN",
                           "XA", "XB", "XK", "ZZ"})
COUNTER = re.compile(r"\{(\w+)\}")
PO_LINE = re.compile(r'^(#.*|(msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?)\s+"(\\.|[^"\\])*"|'
                     r'"(\\.|[^"\\])*")\s*$')


def parse_tag(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag such as es, es-419, en-GB or zh-Hant; ValueError if
    the tag is malformed or names no language CLDR knows."""
    if not TAG.match(tag):
        raise ValueError(_("'%(tag)s' is not a language tag such as 'en-US', 'es' or 'es-419'")
                         % {"tag": tag})
    locale = _locale(tag)
    if locale is None:
        raise ValueError(_("'%(tag)s' is not a language that booklet knows (use a BCP 47 tag "
                           "such as 'en-GB', 'es-US' or 'fr-CA')") % {"tag": tag})
    return locale


def _locale(tag: str) -> Locale | None:
    """The locale of a well-formed tag, None if CLDR does not know it; raises nothing, so
    user_language can use it before the user's catalog (and so its messages) is known."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return None


def is_country(code: str) -> bool:
    """An ISO 3166-1 alpha-2 country code, e.g. GB or US."""
    return (len(code) == 2 and code.isascii() and code.isupper() and code not in NOT_COUNTRIES
            and code in Locale(SOURCE_LANGUAGE).territories)


def catalog_languages() -> list[str]:
    """The languages that have a message catalog, e.g. ['en', 'es']."""
    found = LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    return sorted(path.parent.parent.name for path in found)


def catalog_for(tag: str) -> str | None:
    """The catalog that serves `tag`: the same language, region or script first (es-US →
    es_US, then es)."""
    return _catalog_of(parse_tag(tag))


def _catalog_of(locale: Locale) -> str | None:
    available = catalog_languages()
    for candidate in (str(locale), f"{locale.language}_{locale.script}" if locale.script
                      else None, locale.language):
        if candidate in available:
            return candidate
    return None


def po_path(catalog: str) -> Path:
    return LOCALES_DIR / catalog / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(catalog: str) -> NullTranslations:
    """The compiled catalog: the .mo `make` wrote when it is newer than the .po, else the .po
    compiled here, so an edited catalog is never ignored. Syntax errors name the .po line."""
    po = po_path(catalog)
    mo = po.with_suffix(".mo")
    for path in (po, mo):
        # The messages of this function stay English: they say that a catalog, the source of
        # every translated message, cannot be loaded, so none could be looked up in it.
        if not inside(path, [LOCALES_DIR]):  # plain words: this catalog is what failed
            raise BookletError(f"message catalog leads outside booklet's folder, to "
                               f"{path.resolve()}", path, hint="reinstall booklet")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as file:
            return Translations(file, domain=DOMAIN)
    from babel.messages.mofile import write_mo  # only when a catalog is not compiled yet
    from babel.messages.pofile import PoFileError, read_po

    hint = "fix the .po file: each msgid needs a msgstr, in double quotes"
    try:
        text = po.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BookletError(f"message catalog cannot be read: {error}", po,
                           hint="save it as UTF-8") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not PO_LINE.match(line):  # Babel's reader would guess silently
            raise BookletError("message catalog cannot be compiled: a line is not "
                               "'keyword \"text\"', a quoted string or a comment", po, number, hint)
    try:
        parsed = read_po(io.BytesIO(text.encode()), locale=catalog, domain=DOMAIN,
                         abort_invalid=True)
    except PoFileError as error:
        raise BookletError(f"message catalog cannot be compiled: {error}", po,
                           getattr(error, "lineno", None), hint) from None
    for message, problems in parsed.check():
        raise BookletError(f"message catalog cannot be compiled: {problems[0]}", po,
                           message.lineno, "keep every %(name)s of the msgid in the msgstr")
    compiled = io.BytesIO()
    write_mo(compiled, parsed)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Language:
    """One language's words and formats, for templates (`_`, `lang.date(...)`) and messages."""

    tag: str
    catalog: str

    @cached_property
    def locale(self) -> Locale:
        return parse_tag(self.tag)

    @cached_property
    def translations(self) -> NullTranslations:
        return translations(self.catalog)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    def date(self, value: date) -> str:
        """A date written out in full: 'November 23, 2026', '23 de noviembre de 2026'."""
        from babel.dates import format_date  # loads CLDR's calendars: only when rendering

        return format_date(value, "long", locale=self.locale)

    def either(self, items: list[str]) -> str:
        """'a, b or c' in this language."""
        from babel.lists import format_list

        return format_list(items, style="or", locale=self.locale) if items else ""

    def name_of(self, tag: str) -> str:
        """A language's name in this language, e.g. 'inglés' for en-US in Spanish."""
        return parse_tag(tag).get_language_name(self.locale) or tag

    @property
    def quotes(self) -> dict[str, str]:
        """Typographic quotation marks for Python-Markdown's smarty extension."""
        marks = {"left-double-quote": self.pgettext("opening quotation mark", "\u201c"),
                 "right-double-quote": self.pgettext("closing quotation mark", "\u201d")}
        return {key: _html(value) for key, value in marks.items()}


def _html(text: str) -> str:
    return "".join(f"&#{ord(char)};" if ord(char) > 127 else char for char in text)


def css_content(message: str, target: bool = False, **values: object) -> str:
    """A message with {counters} as a CSS content value: 'Page {page} of {pages}' →
    "Page " counter(page) " of " counter(pages); with `target`, the counters of the link's
    target ('see page {page}' → target-counter(attr(href), page)); a counter given in
    `values` is printed as that value instead."""
    parts = []
    for index, piece in enumerate(COUNTER.split(message)):
        if index % 2:
            counter = f"target-counter(attr(href), {piece})" if target else f"counter({piece})"
            parts.append(_css_string(str(values[piece])) if piece in values else counter)
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts) or '""'


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@cache
def language(tag: str, blame: Path | None = None) -> Language:
    """The Language for a booklet's tag; a tag with no catalog is an error naming `blame`."""
    catalog = catalog_for(tag)
    if catalog is None:
        raise BookletError(
            _("no message catalog for language '%(tag)s' (catalogs: %(catalogs)s)") % {
                "tag": tag, "catalogs": ", ".join(catalog_languages())}, blame,
            hint=_("add %(file)s (README: Translate a booklet)") % {
                "file": f"booklet/locales/{parse_tag(tag).language}/LC_MESSAGES/{DOMAIN}.po"})
    return Language(tag, catalog)


@cache
def user_language() -> Language:
    """The language of the person at the terminal (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), for
    the engine's own messages; English when no catalog matches."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "").split(":")[0].split(".")[0].replace("_", "-")
        if value and value not in ("C", "POSIX"):
            locale = _locale(value) if TAG.match(value) else None
            if locale is None:
                continue
            catalog = _catalog_of(locale)
            if catalog:
                return Language(value, catalog)
            break
    return Language(SOURCE_LANGUAGE, SOURCE_LANGUAGE)


def _(message: str) -> str:
    """The engine's messages in the user's language (extracted by pybabel like the templates)."""
    return user_language().gettext(message)

"""Takes an edition's print HTML, gives tagged PDF bytes (WeasyPrint), loading only jailed files;
every PDF carries an sRGB output intent (WeasyPrint's own sRGB profile)."""

from __future__ import annotations

import atexit
import logging
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from booklet.errors import BookletError, display_path
from booklet.fonts import printed_text, use_shipped_fonts_only
from booklet.i18n import _
from booklet.layout import Finding, check_layout
from booklet.sandbox import inside

MAX_DATA_URL_BYTES = 1_000_000
MAX_FILE_BYTES = 5_000_000
NOTDEF = ".notdef glyph rendered"  # WeasyPrint's warning for a character no font has


@dataclass(frozen=True)
class Pdf:
    data: bytes
    pages: int
    warnings: list[str]
    loaded: tuple[str, ...] = ()  # the files the HTML loaded (images, logos), by path
    layout: tuple[Finding, ...] = ()  # what the layout check found (booklet.layout)


def jailed_fetcher(roots: Iterable[Path], loaded: set[str] | None = None):
    """A WeasyPrint URL fetcher that reads files under `roots` and nothing else: no network;
    it adds the path of each file it reads to `loaded`."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    roots = tuple(roots)

    class JailedFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                if len(url) > MAX_DATA_URL_BYTES:
                    raise FatalURLFetchingError(_("data: URL larger than %(limit)d bytes")
                                                % {"limit": MAX_DATA_URL_BYTES})
                return super().fetch(url, headers)
            if parts.scheme != "file":
                raise FatalURLFetchingError(_("refused to load %(url)s: only local project "
                                              "files can be used (no network)") % {"url": url})
            path = Path(unquote(parts.path))
            resolved = path.resolve()
            if not inside(resolved, roots):
                raise FatalURLFetchingError(_("refused to load %(url)s: it is outside the "
                                              "project") % {"url": path})
            if not resolved.is_file():
                raise FatalURLFetchingError(_("file not found: %(file)s") % {"file": path})
            if resolved.stat().st_size > MAX_FILE_BYTES:
                raise FatalURLFetchingError(_("file larger than %(limit)d MB: %(file)s") % {
                    "limit": MAX_FILE_BYTES // 1_000_000, "file": path})
            kind = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
            if loaded is not None:
                loaded.add(str(resolved))
            return URLFetcherResponse(resolved.as_uri(), resolved.read_bytes(),
                                      headers={"Content-Type": kind})

    return JailedFetcher()


def _full_bleed_box(document, pdf) -> None:
    """WeasyPrint caps the BleedBox at 10pt outside the TrimBox; a print shop wants all of it."""
    for item in pdf.objects:
        if isinstance(item, dict) and item.get("Type") == "/Page" and "BleedBox" in item:
            item["BleedBox"] = item["MediaBox"]


class _Collect(logging.Handler):
    """WeasyPrint's warnings; a character that no font has is kept apart."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.boxes: list[str] = []  # characters printed as a box (.notdef)

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(NOTDEF):
            self.boxes.append(record.args[0])  # type: ignore[index]
        else:
            self.messages.append(record.getMessage())


@cache
def font_configuration():
    """One font configuration per process, which sees the shipped fonts and no others: each
    @font-face font is loaded once."""
    use_shipped_fonts_only()  # before fontconfig reads its configuration
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_release_fonts)  # its temporary font folder goes while Python still runs
    return FontConfiguration()


def _release_fonts() -> None:
    stylesheet.cache_clear()
    font_configuration.cache_clear()


@cache
def stylesheet(text: str, base_url: str, roots: tuple[Path, ...]):
    """A parsed stylesheet, kept for the run: clinic copies of an edition share their CSS, so
    its selectors are compiled once, not once per copy."""
    from weasyprint import CSS

    return CSS(string=text, base_url=base_url, url_fetcher=jailed_fetcher(roots),
               font_config=font_configuration())


def html_to_pdf(html: str, stylesheets: Iterable[str], base_url: str, roots: Iterable[Path],
                source: Path) -> Pdf:
    """Lays out, checks the layout of (booklet.layout) and writes the PDF; `source` names
    the file blamed for a refused resource."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    roots, stylesheets = tuple(roots), tuple(stylesheets)

    logger = logging.getLogger("weasyprint")
    collect = _Collect()
    logger.addHandler(collect)
    logger.propagate = False
    try:
        css = [stylesheet(text, base_url, roots) for text in stylesheets]
        loaded: set[str] = set()
        document = HTML(string=html, base_url=base_url,
                        url_fetcher=jailed_fetcher(roots, loaded)).render(
            stylesheets=css, font_config=font_configuration())
        layout = tuple(check_layout(document.pages))
        data = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True,
                                  output_intent="srgb", finisher=_full_bleed_box)
    except FatalURLFetchingError as error:
        raise BookletError(str(error.__cause__ or error), source,
                           hint=_("use a file inside the project folder")) from None
    finally:
        logger.removeHandler(collect)
    written = printed_text(html, stylesheets) if collect.boxes else ""
    generated = [_("%(where)s: character '%(char)s' (U+%(code)s) that a stylesheet generates "
                   "(a list marker?) is in no shipped font and printed as a box; use another "
                   "in templates/") % {"where": display_path(source), "char": char,
                                       "code": f"{ord(char):04X}"}
                 for char in dict.fromkeys(collect.boxes) if char not in written]
    # the characters that are written have a warning naming their file and line (render.py)
    return Pdf(data, len(document.pages), collect.messages + generated, tuple(sorted(loaded)),
               layout)

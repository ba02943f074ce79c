"""Takes an image path from content or a clinic profile, gives it back checked: inside the
allowed folders, present, a real PNG, JPEG, GIF, WebP or SVG, and not too large; an SVG also
within bounds that keep drawing it cheap (no DTD, elements, nesting and <use> copies)."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as etree
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as parse_xml

from booklet.errors import BookletError, map_all
from booklet.extensions import SourceFile
from booklet.i18n import _
from booklet.sandbox import inside

MAX_IMAGE_BYTES = 5_000_000
MAX_IMAGE_PIXELS = 40_000_000  # a full A3 page at 300 dpi is 17.4 million
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WebP", "SVG")
# A logo or figure draws a few hundred elements; a "billion laughs" of nested <use> copies
# would draw billions, and deep nesting makes drawing recurse.
MAX_SVG_ELEMENTS = 20_000  # counting every copy a <use> draws
MAX_SVG_DEPTH = 32  # nesting of elements and of <use> references
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            values = dict(attrs)
            self.found.append((values.get("src") or "", values.get("alt") or ""))


def images_in(html: str) -> list[tuple[str, str]]:
    """(src, alt) of every <img> in an HTML fragment."""
    parser = _Images()
    parser.feed(html)
    parser.close()
    return parser.found


def check_images(html: str, source: SourceFile) -> None:
    """Every image in a section's HTML has alt text and is a real image file in its folder."""
    folder = source.path.parent

    def check(image: tuple[str, str]) -> None:
        src, alt = image
        line = source.line_of(src)
        if not alt.strip():
            raise BookletError(_("image '%(image)s' has no alt text") % {"image": src},
                               source.path, line,
                               _("describe it: ![what the picture shows](file.png)"))
        resolve_image(src, folder, [folder], source.path, line)

    map_all(check, images_in(html))


def resolve_image(reference: str, base: Path, allowed: list[Path], blame: Path,
                  line: int | None, formats: tuple[str, ...] = IMAGE_FORMATS) -> Path:
    """The file an image reference points to, refusing URLs and anything outside `allowed`."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or reference.startswith("/"):
        raise BookletError(_("image '%(image)s' must be a relative path to a file in the "
                             "project") % {"image": reference},
                           blame, line, _("copy the image into the folder and link it by name"))
    path = (base / unquote(parts.path)).resolve()
    if not inside(path, allowed):
        raise BookletError(_("image '%(image)s' is outside the project") % {"image": reference},
                           blame, line, _("copy the image into the folder and link it by name"))
    check_image(path, blame, line, reference, formats)
    return path


def check_image(path: Path, blame: Path, line: int | None, shown: str,
                formats: tuple[str, ...] = IMAGE_FORMATS) -> None:
    if not path.is_file():
        raise BookletError(_("image '%(image)s' not found") % {"image": shown}, blame, line,
                           _("check the file name and that the image is in the folder"))
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise BookletError(_("image '%(image)s' is %(size)s MB; the limit is %(limit)s MB") % {
                               "image": shown, "size": f"{size / 1e6:.1f}",
                               "limit": f"{MAX_IMAGE_BYTES / 1e6:.0f}"}, blame, line,
                           _("make it smaller (a 300 dpi PNG or JPEG is plenty for print)"))
    if path.suffix.lower() == ".svg" and "SVG" in formats:
        check_svg(path, blame, line, shown)
        return
    from PIL import Image, UnidentifiedImageError  # only when there is a picture to check

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                kind, (width, height) = image.format, image.size
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        width = height = MAX_IMAGE_PIXELS  # Pillow refuses to open it: far too many pixels
    except (UnidentifiedImageError, OSError, SyntaxError):
        kind, width, height = None, 0, 0
    if width * height > MAX_IMAGE_PIXELS:
        raise BookletError(_("image '%(image)s' has more than %(limit)d million pixels")
                           % {"image": shown, "limit": MAX_IMAGE_PIXELS // 1_000_000},
                           blame, line, _("scale it down: 300 dpi at the printed size is plenty"))
    if kind is None or kind.upper() not in {name.upper() for name in formats}:
        names = (_("%(others)s or %(last)s") % {"others": ", ".join(formats[:-1]),
                                                 "last": formats[-1]}
                 if len(formats) > 1 else formats[0])
        raise BookletError(_("image '%(image)s' is not a %(formats)s image") % {
                               "image": shown, "formats": names}, blame, line,
                           _("export it again as PNG"))


def check_svg(path: Path, blame: Path, line: int | None, shown: str) -> None:
    """A real SVG file with no DTD, no reference to another file (nor another SVG inside it as
    a data: URL, which would escape these bounds), and bounded elements, nesting and <use>
    copies."""
    simpler = _("simplify it, or export it as PNG")
    try:
        root = parse_xml(path, forbid_dtd=True).getroot()
    except DefusedXmlException:
        raise BookletError(_("image '%(image)s' has a DTD or entities, which booklet does not "
                             "read") % {"image": shown}, blame, line,
                           _("export it again as plain SVG, or use PNG")) from None
    except (etree.ParseError, OSError):
        root = None
    if root is None or root.tag not in ("svg", "{http://www.w3.org/2000/svg}svg"):
        raise BookletError(_("image '%(image)s' is not a valid SVG file") % {"image": shown},
                           blame, line, _("export it again as SVG, or use PNG"))
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    for element in root.iter():
        href = element.get("href") or element.get(XLINK_HREF) or ""
        if href and (not href.startswith(("#", "data:"))
                     or href.replace(" ", "").lower().startswith("data:image/svg")):
            raise BookletError(_("image '%(image)s' refers to another file or SVG (%(href)s)")
                               % {"image": shown, "href": href[:80]}, blame, line,
                               _("put everything in the one SVG file, or export it as PNG"))
    measured: dict[etree.Element, tuple[int, int]] = {}  # element: (drawn, depth below)

    def measure(element: etree.Element, depth: int) -> tuple[int, int]:
        """How many elements drawing `element` draws, its <use> copies included, and how
        deep they nest below it; refused when too many or too deep (a <use> that refers to
        itself nests forever)."""
        if element not in measured and depth <= MAX_SVG_DEPTH:
            parts = [measure(child, depth + 1) for child in element]
            href = element.get("href") or element.get(XLINK_HREF) or ""
            if element.tag.rpartition("}")[2] == "use" and href[1:] in by_id:
                parts.append(measure(by_id[href[1:]], depth + 1))
            measured[element] = (1 + sum(drawn for drawn, _below in parts),
                                 1 + max((below for _drawn, below in parts), default=0))
        drawn, below = measured.get(element, (0, MAX_SVG_DEPTH + 1))
        if depth + below - 1 > MAX_SVG_DEPTH:
            raise BookletError(_("image '%(image)s' nests elements or <use> references more "
                                 "than %(limit)d deep") % {"image": shown, "limit": MAX_SVG_DEPTH},
                               blame, line, simpler)
        if drawn > MAX_SVG_ELEMENTS:
            raise BookletError(_("image '%(image)s' draws more than %(limit)d SVG elements "
                                 "(counting each <use> copy)")
                               % {"image": shown, "limit": MAX_SVG_ELEMENTS}, blame, line, simpler)
        return drawn, below

    measure(root, 1)

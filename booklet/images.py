"""Takes an image path from content or a clinic profile, gives it back checked: inside the
allowed folders, present, a real PNG, JPEG, GIF, WebP or SVG, and not too large."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as etree
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from booklet.errors import BookletError, map_all
from booklet.extensions import SourceFile
from booklet.i18n import _
from booklet.sandbox import inside

MAX_IMAGE_BYTES = 5_000_000
MAX_IMAGE_PIXELS = 40_000_000  # a full A3 page at 300 dpi is 17.4 million
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WebP", "SVG")


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
            raise BookletError(f"image '{src}' has no alt text", source.path, line,
                               "describe it: ![what the picture shows](file.png)")
        resolve_image(src, folder, [folder], source.path, line)

    map_all(check, images_in(html))


def resolve_image(reference: str, base: Path, allowed: list[Path], blame: Path,
                  line: int | None, formats: tuple[str, ...] = IMAGE_FORMATS) -> Path:
    """The file an image reference points to, refusing URLs and anything outside `allowed`."""
    parts = urlsplit(reference)
    if parts.scheme or parts.netloc or reference.startswith("/"):
        raise BookletError(f"image '{reference}' must be a relative path to a file in the project",
                           blame, line, "copy the image into the folder and link it by name")
    path = (base / unquote(parts.path)).resolve()
    if not inside(path, allowed):
        raise BookletError(f"image '{reference}' is outside the project", blame, line,
                           "copy the image into the folder and link it by name")
    check_image(path, blame, line, reference, formats)
    return path


def check_image(path: Path, blame: Path, line: int | None, shown: str,
                formats: tuple[str, ...] = IMAGE_FORMATS) -> None:
    if not path.is_file():
        raise BookletError(f"image '{shown}' not found", blame, line,
                           "check the file name and that the image is in the folder")
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise BookletError(f"image '{shown}' is {size / 1e6:.1f} MB; the limit is "
                           f"{MAX_IMAGE_BYTES / 1e6:.0f} MB", blame, line,
                           "make it smaller (a 300 dpi PNG or JPEG is plenty for print)")
    if path.suffix.lower() == ".svg" and "SVG" in formats:
        if not _is_svg(path):
            raise BookletError(f"image '{shown}' is not a valid SVG file", blame, line,
                               "export it again as SVG, or use PNG")
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
        names = ", ".join(formats[:-1]) + f" or {formats[-1]}" if len(formats) > 1 else formats[0]
        raise BookletError(f"image '{shown}' is not a {names} image", blame, line,
                           "export it again as PNG")


def _is_svg(path: Path) -> bool:
    try:
        root = etree.parse(path).getroot()
    except (etree.ParseError, OSError):
        return False
    return root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")

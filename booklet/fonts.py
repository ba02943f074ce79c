"""The shipped fonts: their files, the characters they have, and a fontconfig setup that shows
WeasyPrint these fonts and no others, so a PDF never depends on the fonts of the machine that
built it."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from functools import cache
from html import escape, unescape
from pathlib import Path

import fontpkg_atkinson_hyperlegible as body_font

FONT_FILES = {  # (weight, style): file in the font package
    (400, "normal"): "AtkinsonHyperlegible-Regular.ttf",
    (400, "italic"): "AtkinsonHyperlegible-Italic.ttf",
    (700, "normal"): "AtkinsonHyperlegible-Bold.ttf",
    (700, "italic"): "AtkinsonHyperlegible-BoldItalic.ttf",
}
FONT_DIR = body_font.ROOT / "files"
# Controls, invisible format characters and spaces need no glyph: HarfBuzz draws a space the
# font lacks (thin, narrow no-break …) from the font's own space.
NO_GLYPH_NEEDED = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
TAG = re.compile(r"<[^>]*>")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


@cache
def use_shipped_fonts_only() -> None:
    """Points fontconfig at the shipped fonts' folder and nothing else (no system fonts, no
    fallback to them), for the font configurations made after this call in this process.
    The configuration file is in a temporary folder that goes when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="booklet-fontconfig-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    config = folder / "fonts.conf"
    config.write_text(FONTCONFIG.format(fonts=escape(str(FONT_DIR), quote=False),
                                        cache=escape(str(folder / "cache"), quote=False)),
                      encoding="utf-8")
    os.environ["FONTCONFIG_FILE"] = str(config)


@cache
def font_characters() -> frozenset[int]:
    """The code points that every shipped face has (bold and italic included), read once from
    their character maps."""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency; only when text is checked

    return frozenset.intersection(*(frozenset(TTFont(FONT_DIR / name, lazy=True).getBestCmap())
                                    for name in FONT_FILES.values()))


def missing_characters(text: str) -> list[str]:
    """The characters of `text` that the shipped fonts do not have, in code point order."""
    have = font_characters()
    return sorted(char for char in set(text) if ord(char) not in have
                  and unicodedata.category(char) not in NO_GLYPH_NEEDED)


def printed_text(html: str, stylesheets: Iterable[str]) -> str:
    """The characters a document prints: its body's text (not tags, attributes or metadata)
    and the strings its stylesheets print."""
    body = TAG.sub("", html[max(html.find("<body"), 0):])
    return unescape(body) + "".join(CSS_COMMENT.sub("", css) for css in stylesheets)

"""The shipped fonts: the files of the body font, from its Python package."""

from __future__ import annotations

import fontpkg_atkinson_hyperlegible as body_font

FONT_FILES = {  # (weight, style): file in the font package
    (400, "normal"): "AtkinsonHyperlegible-Regular.ttf",
    (400, "italic"): "AtkinsonHyperlegible-Italic.ttf",
    (700, "normal"): "AtkinsonHyperlegible-Bold.ttf",
    (700, "italic"): "AtkinsonHyperlegible-BoldItalic.ttf",
}
FONT_DIR = body_font.ROOT / "files"

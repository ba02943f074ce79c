"""Paper sizes booklet prints on: names, millimetres, and which sheet a folded booklet uses.

Kept apart from the config models so the command line can offer the names without loading
pydantic."""

from __future__ import annotations

from typing import Literal

PAPER_SIZES: dict[str, tuple[float, float]] = {
    # name: (width, height) in millimetres
    "letter": (215.9, 279.4),
    "a4": (210.0, 297.0),
    "a5": (148.0, 210.0),
    "half-letter": (139.7, 215.9),
}
Paper = Literal["letter", "a4", "a5", "half-letter"]
SMALL_PAPERS = {"a5", "half-letter"}
FOLDED = {"letter": "half-letter", "a4": "a5", "half-letter": "half-letter", "a5": "a5"}

"""Takes a clinic folder (clinic.toml and its logo), gives a validated Clinic profile.

A profile comes from many hands, so everything is checked: unknown keys, colour, phone and
web address shapes, and a logo that must be a real PNG or SVG inside the clinic's own folder.
"""

from __future__ import annotations

import colorsys
import re
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator

from booklet.config import Country, CrisisLine, Strict, line_of, read_toml, validate
from booklet.errors import BookletError
from booklet.i18n import _
from booklet.images import resolve_image
from booklet.paper import Paper

CLINIC_FILE = "clinic.toml"
MIN_CONTRAST = 4.5
PHONE = re.compile(r"^\+?[0-9(][0-9 ().-]{2,24}[0-9]( ?(ext\.?|x) ?[0-9]{1,6})?$")
URL = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:[0-9]{1,5})?(/\S*)?$")
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_NAME = 120


class Phone(Strict):
    label: str = Field(max_length=MAX_NAME,
                       description="What the number is for, e.g. 'Front desk'.")
    number: str = Field(description="The number as it should be dialled, e.g. '(555) 010-2000'.")

    @field_validator("number")
    @classmethod
    def _shape(cls, value: str) -> str:
        if not PHONE.match(value.strip()):
            raise ValueError(_("'%(value)s' does not look like a phone number") % {"value": value})
        return value.strip()


class Clinic(Strict):
    """clinics/<id>/clinic.toml: a clinic's own details, printed on its copies."""

    id: str = Field("", description="Set from the folder name.")
    folder: Path | None = Field(None, exclude=True, description="Set to the clinic's folder.")
    # a name of thousands of letters took minutes to lay out on the cover
    name: str = Field(min_length=1, max_length=MAX_NAME,
                      description="The clinic's name, printed on the cover.")
    address: str = Field("", description="Street address, one line.")
    phones: list[Phone] = Field(min_length=1, description="Phone numbers with labels.")
    website: str = Field("", description="https://… address; also the QR code's target.")
    web_url: str = Field("", description="https://… address where the clinic publishes its "
                         "web edition (build.py --web); the QR code then points there.")
    email: str = Field("", description="Contact email address.")
    opening_hours: str = Field("", description="When the clinic is open.")
    logo: str = Field("", description="PNG or SVG file in the clinic's folder.")
    logo_alt: str = Field("", description="What the logo shows, for screen readers.")
    accent_colour: str = Field("#0b5d66", description="Headings and cover colour, #rrggbb.")
    paper: Paper | None = Field(None, description="Default paper for this clinic's copies.")
    country: Country | None = Field(
        None, description="ISO 3166 code: its crisis lines and emergency number come first.")
    care_team_note: str = Field("", description="A short note in the 'your care team' panel.")
    feedback: str = Field("", description="Where readers send comments; replaces the booklet's.")
    crisis_line: CrisisLine | None = Field(
        None, description="A local crisis or after-hours line, printed with the national ones.")
    qr_code: bool = Field(True, description="Print a QR code of the website (or web_url) on "
                          "the back page.")

    @field_validator("website", "web_url")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and not URL.match(value):
            raise ValueError(_("'%(value)s' is not a web address such as https://clinic.example")
                             % {"value": value})
        return value

    @property
    def qr_target(self) -> str:
        """Where the back page's QR code leads: the published web edition, else the website."""
        return self.web_url or self.website

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL.match(value):
            raise ValueError(_("'%(value)s' is not an email address") % {"value": value})
        return value

    @field_validator("accent_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not COLOUR.match(value):
            raise ValueError(_("'%(value)s' is not a colour such as '#1d4e89'") % {"value": value})
        return value.lower()

    @property
    def logo_path(self) -> Path | None:
        return (self.folder / self.logo).resolve() if self.logo and self.folder else None

    @cached_property
    def accent(self) -> str:
        """The accent colour, darkened if needed so text in it reads at 4.5:1 on white."""
        return readable_colour(self.accent_colour)

    @property
    def colour_note(self) -> str | None:
        """Why the printed accent differs from the profile's, if it does."""
        if self.accent == self.accent_colour:
            return None
        return _("accent_colour %(colour)s has too little contrast with white (%(contrast)s:1, "
                 "needs %(minimum)s:1); printing the darker %(darker)s instead") % {
            "colour": self.accent_colour, "darker": self.accent, "minimum": MIN_CONTRAST,
            "contrast": f"{contrast(self.accent_colour, '#ffffff'):.1f}"}

    @property
    def accent_tint(self) -> str:
        """A very light version of the accent for box backgrounds."""
        return mix(self.accent, "#ffffff", 0.9)


def load_clinic(folder: Path) -> Clinic:
    path = folder / CLINIC_FILE
    if not path.is_file():
        raise BookletError(_("no %(file)s in the clinic folder") % {"file": CLINIC_FILE}, folder,
                           hint=_("pass the folder that holds clinic.toml, e.g. "
                                  "clinics/riverside"))
    data, text = read_toml(path)
    clinic = validate(Clinic, {**data, "id": folder.resolve().name, "folder": folder.resolve()},
                      path, text)
    if clinic.logo:
        if not clinic.logo_alt.strip():
            raise BookletError(_("logo has no logo_alt text"), path, line_of(text, "logo"),
                               _("add logo_alt = \"what the logo shows\""))
        resolve_image(clinic.logo, clinic.folder, [clinic.folder], path, line_of(text, "logo"),
                      formats=("PNG", "SVG"))
    return clinic


def find_clinics(clinics_dir: Path) -> list[Path]:
    """Every clinics/<id>/ folder that holds a clinic.toml."""
    found = sorted(p.parent for p in clinics_dir.glob(f"*/{CLINIC_FILE}"))
    if not found:
        raise BookletError(_("no clinics: no */%(file)s in the clinics folder")
                           % {"file": CLINIC_FILE}, clinics_dir)
    return found


def rgb(colour: str) -> tuple[int, int, int]:
    """The red, green and blue of a #rrggbb colour, 0 to 255."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    channels = [c / 255 for c in rgb(colour)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_colour(colour: str) -> str:
    """`colour`, or the closest darker shade of it that has 4.5:1 contrast with white."""
    red, green, blue = (c / 255 for c in rgb(colour))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    while contrast(colour, "#ffffff") < MIN_CONTRAST:
        lightness = max(0.0, lightness - 0.01)
        shade = colorsys.hls_to_rgb(hue, lightness, saturation)
        colour = "#" + "".join(f"{round(c * 255):02x}" for c in shade)
    return colour


def mix(colour: str, other: str, share: float) -> str:
    """`colour` mixed with `other`, `share` of the way towards `other`."""
    pairs = zip(rgb(colour), rgb(other), strict=True)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in pairs)

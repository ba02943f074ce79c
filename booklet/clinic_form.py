"""Takes the fields of the browser app's clinic form, gives a clinic folder (clinic.toml and its
logo) checked by the same models as any clinic.toml, with every problem tied to its field.

The form never needs TOML: what was typed becomes clinic.toml here, so a saved clinic is
rebuilt later by `build.py --clinic all`.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from booklet.clinic import CLINIC_FILE, Clinic
from booklet.errors import BookletError
from booklet.i18n import _
from booklet.images import MAX_IMAGE_BYTES, check_image

LOGO_FORMATS = ("PNG", "JPEG", "SVG")
LOGO_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}
# CLDR's paperSize: the countries that print on US Letter; every other country uses A4.
LETTER_COUNTRIES = frozenset({"BZ", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR",
                              "SV", "US", "VE"})
TEXT_FIELDS = ("name", "address", "website", "email", "opening_hours", "accent_colour",
               "logo_alt", "crisis_name", "crisis_contact", "crisis_region", "country",
               "paper", "edition")
DEFAULT_COLOUR = str(Clinic.model_fields["accent_colour"].default)


@dataclass(frozen=True)
class Logo:
    """An uploaded logo, checked: its file name in the clinic folder and its bytes."""

    name: str
    data: bytes


@dataclass
class ClinicForm:
    """The form as typed: text fields, phone rows, the logo, and a message per bad field."""

    values: dict[str, str] = field(default_factory=dict)
    phones: list[tuple[str, str]] = field(default_factory=lambda: [("", "")])  # (label, number)
    large_print: bool = False
    fold: bool = False
    logo: Logo | None = None
    errors: dict[str, str] = field(default_factory=dict)  # field id: message

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def clinic_id(self) -> str:
        """The clinic's folder name, made from its name: 'Harbour View' → 'harbour-view'."""
        ascii_name = unicodedata.normalize("NFKD", self.value("name")).encode("ascii", "ignore")
        slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.decode().lower()).strip("-")[:60].strip("-")
        return slug or "clinic"

    def paper(self) -> str | None:
        """The paper chosen, else the clinic country's usual one, else the edition's."""
        if self.value("paper"):
            return self.value("paper")
        country = self.value("country")
        if country:
            return "letter" if country in LETTER_COUNTRIES else "a4"
        return None

    def data(self) -> dict[str, object]:
        """The clinic.toml fields the form gives (empty ones left out)."""
        values = self.values
        data: dict[str, object] = {
            "name": values.get("name", "").strip(),
            "phones": [{"label": label.strip() or _("Phone"), "number": number}
                       for label, number in self.phones if number.strip() or label.strip()],
        }
        for key in ("address", "website", "email", "opening_hours", "country"):
            if values.get(key, "").strip():
                data[key] = values[key].strip()
        if values.get("accent_colour") not in ("", None, DEFAULT_COLOUR):
            data["accent_colour"] = values["accent_colour"]
        if self.paper():
            data["paper"] = self.paper()
        if self.logo:
            data["logo"] = self.logo.name
            data["logo_alt"] = values.get("logo_alt", "").strip() or _("Logo of %(name)s") % {
                "name": data["name"]}
        crisis = {key: values.get(f"crisis_{key}", "").strip()
                  for key in ("name", "contact", "region")}
        if crisis["name"] or crisis["contact"]:
            crisis["region"] = crisis["region"] or str(data["name"])
            data["crisis_line"] = crisis
        return data

    def validate(self) -> None:
        """Checks every field with the clinic.toml models; each problem goes to its field."""
        try:
            Clinic(**self.data())
        except ValidationError as error:
            for problem in error.errors():
                self.errors.setdefault(field_of(problem), message_of(problem))


def read_form(form, uploaded: Logo | None) -> ClinicForm:
    """The ClinicForm of a submitted form (Starlette's FormData); `uploaded` is a logo kept
    from an earlier submission, used when no new file was chosen."""
    clinic = ClinicForm(values={name: str(form.get(name, "")) for name in TEXT_FIELDS})
    labels, numbers = form.getlist("phone_label"), form.getlist("phone_number")
    clinic.phones = [(str(label), str(number)) for label, number in zip(labels, numbers,
                                                                        strict=False)] or [("", "")]
    clinic.large_print, clinic.fold = bool(form.get("large_print")), bool(form.get("fold"))
    upload = form.get("logo")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        try:
            clinic.logo = check_logo(upload.filename, upload.file.read(MAX_IMAGE_BYTES + 1))
        except BookletError as error:
            clinic.errors["logo"] = plain(error)
    else:
        clinic.logo = uploaded
    return clinic


def check_logo(filename: str, data: bytes) -> Logo:
    """A logo upload checked by content as a clinic folder's logo is (PNG, JPEG or SVG, SVG
    within bounds, not too large); a JPEG is converted to PNG, which clinic.toml takes."""
    kind = LOGO_SUFFIXES.get(Path(filename).suffix.lower())
    if kind is None:
        raise BookletError(_("a logo must be a PNG, JPEG or SVG file"),
                           hint=_("export it again as PNG"))
    with tempfile.TemporaryDirectory(prefix="booklet-logo-") as folder:
        path = Path(folder) / f"logo.{kind}"
        path.write_bytes(data)
        check_image(path, Path(filename), None, filename, LOGO_FORMATS)
    if kind != "jpeg":
        return Logo(f"logo.{kind}", data)
    from PIL import Image

    png = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.convert("RGB").save(png, "PNG")
    return Logo("logo.png", png.getvalue())


def plain(error: BookletError) -> str:
    """An error's message and fix, without the file it names (the form's field is shown)."""
    return f"{error.message}; {error.hint}" if error.hint else error.message


def field_of(problem: ErrorDetails) -> str:
    """The form field a model problem is about: ('phones', 0, 'number') → 'phone-number-0'."""
    loc = problem["loc"]
    if loc[0] == "phones":
        row = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        part = loc[2] if len(loc) > 2 else "number"
        return f"phone-{part}-{row}"
    if loc[0] == "crisis_line":
        return f"crisis_{loc[1]}" if len(loc) > 1 else "crisis_name"
    return str(loc[0]) if loc[0] in TEXT_FIELDS else "logo"


def message_of(problem: ErrorDetails) -> str:
    """A model problem in plain words."""
    kind, context = problem["type"], problem.get("ctx", {})
    if problem["loc"][0] == "paper":
        return _("choose Letter, A4, A5 or half-letter")
    if kind == "value_error":  # a validator's own message, already in the user's language
        return str(context["error"])
    if kind in ("missing", "string_too_short", "too_short"):
        return _("this is needed")
    if kind == "string_too_long":
        return _("at most %(count)d characters") % {"count": context.get("max_length", 0)}
    return _("this is not a value booklet can use")


def clinic_toml(data: dict[str, object]) -> str:
    """clinic.toml for the form's fields (a TOML string is written as a JSON string)."""
    def pairs(values: dict) -> list[str]:
        return [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]

    lines, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            tables += ["", f"[{key}]", *pairs(value)]
        elif isinstance(value, list):
            rows = ", ".join("{ " + ", ".join(pairs(row)) + " }" for row in value)
            lines.append(f"{key} = [{rows}]")
        else:
            lines += pairs({key: value})
    return "\n".join(lines + tables) + "\n"


def write_clinic(folder: Path, clinic: ClinicForm) -> Path:
    """Writes the clinic's folder (clinic.toml and its logo) into `folder`/<id>/."""
    target = folder / clinic.clinic_id
    target.mkdir(parents=True)
    (target / CLINIC_FILE).write_text(clinic_toml(clinic.data()), encoding="utf-8")
    if clinic.logo:
        (target / clinic.logo.name).write_bytes(clinic.logo.data)
    return target

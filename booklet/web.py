"""The web edition: a copy's page for screens (patient portals, clinic websites, screen
readers) with every file it needs beside it under relative paths, and the PDF to download.

    web/<stem>/index.html, style.css, fonts/…, images/…, <stem>.pdf
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from booklet.errors import BookletError
from booklet.i18n import _
from booklet.render import FONT_DIR, FONT_FILES, WEB_FONTS, WEB_IMAGES
from booklet.sandbox import checked

if TYPE_CHECKING:
    from booklet.project import Job

WEB_FOLDER = "web"
IMAGE = re.compile(r'<img\b[^>]*?\bsrc="(?!data:)(?P<src>[^"]+)"')


def web_files(job: Job, pdf: bytes) -> dict[str, bytes]:
    """The web edition of `job`, as {path in the output folder: bytes}."""
    pdf_name = f"{job.stem}.pdf"
    rendered = job.render(web=pdf_name)
    html = rendered.html
    files = {"style.css": rendered.stylesheets[0].encode("utf-8"), pdf_name: pdf}
    for name in FONT_FILES.values():
        files[f"{WEB_FONTS}/{name}"] = (FONT_DIR / name).read_bytes()
    if job.clinic and job.clinic.logo_path:
        files[f"{WEB_IMAGES}/{job.clinic.logo_path.name}"] = checked(
            job.clinic.logo_path).read_bytes()
    for match in IMAGE.finditer(html):  # a section's own pictures, named from its folder
        src = match["src"]
        if src.startswith(f"{WEB_IMAGES}/"):
            continue
        source = (job.booklet.root / src).resolve()
        if ":" in src or not source.is_file():
            raise BookletError(_("image '%(image)s' cannot go into the web edition")
                               % {"image": src}, job.booklet.root,
                               hint=_("link pictures by their file name in the booklet folder"))
        files[f"{WEB_IMAGES}/{src}"] = checked(source).read_bytes()
        html = html.replace(f'src="{src}"', f'src="{WEB_IMAGES}/{src}"')
    files["index.html"] = html.encode("utf-8")
    return {f"{WEB_FOLDER}/{job.stem}/{name}": data for name, data in files.items()}

"""Takes a print-shop copy's laid-out files, gives what goes to the print shop: the files with
their slug and marks (booklet/printshop.py) and, for a folded booklet, a one-page job sheet
(PDF and plain text) saying what to print on what, how to finish it and which file is which.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING

from booklet.fonts import FONT_DIR
from booklet.i18n import _, user_language
from booklet.paper import PAPER_SIZES
from booklet.pdf import Pdf, html_to_pdf
from booklet.printshop import SLUG_MM, add_slug_and_marks
from booklet.render import font_faces, render_template

if TYPE_CHECKING:
    from booklet.project import Job, LayOut

MM_PER_IN = 25.4
# Press sheets a printer stocks, (short, long) side in mm: the job sheet names the smallest
# metric and the smallest US one the imposed sheet fits on.
PRESS_SHEETS = {"metric": [("SRA4", 225.0, 320.0), ("SRA3", 320.0, 450.0),
                           ("SRA2", 450.0, 640.0)],
                "us": [("12 \u00d7 18 in", 304.8, 457.2), ("13 \u00d7 19 in", 330.2, 482.6)]}


def press_files(job: Job, pdf: Pdf, imposed: bytes | None, lay_out: LayOut = html_to_pdf
                ) -> tuple[Pdf, bytes | None, dict[str, bytes]]:
    """The copy's reading-order PDF and imposed sheets with their slug and marks, and the job
    sheet's files (name → bytes) when the copy is folded."""
    dated = job.booklet.config.last_reviewed.isoformat()  # the date the PDF itself carries

    def slug_line(name: str):
        return lambda page, pages: " · ".join((name, _("page %(page)d of %(pages)d") % {
            "page": page, "pages": pages}, dated))

    reading = add_slug_and_marks(pdf.data, slug_line(f"{job.stem}.pdf"))
    pdf = dataclasses.replace(pdf, data=reading)
    if imposed is None:
        return pdf, None, {}
    imposed = add_slug_and_marks(imposed, slug_line(f"{job.stem}-booklet.pdf"), folded=True)
    return pdf, imposed, job_sheet(job, pdf, imposed, lay_out)


def _size(width_mm: float, height_mm: float) -> str:
    return _("%(width)s \u00d7 %(height)s mm (%(width_in)s \u00d7 %(height_in)s in)") % {
        "width": f"{width_mm:.1f}", "height": f"{height_mm:.1f}",
        "width_in": f"{width_mm / MM_PER_IN:.2f}", "height_in": f"{height_mm / MM_PER_IN:.2f}"}


def press_sheets(width_mm: float, height_mm: float) -> list[str | None]:
    """The smallest metric and US press sheets a sheet of this size fits on."""
    short, long = sorted((width_mm, height_mm))
    return [next((name for name, w, h in sheets if short <= w and long <= h), None)
            for sheets in PRESS_SHEETS.values()]


def job_sheet(job: Job, pdf: Pdf, imposed: bytes, lay_out: LayOut = html_to_pdf
              ) -> dict[str, bytes]:
    """The job sheet of a folded print-shop copy, `<stem>-job.txt` and `<stem>-job.pdf`, in
    the language of the person building it (who hands it to the printer)."""
    edition, booklet = job.edition, job.booklet.config
    width, height = PAPER_SIZES[edition.page_paper]
    bleed = float(edition.bleed.removesuffix("mm"))
    margin = bleed + SLUG_MM
    sheet_width, sheet_height = 2 * width + 2 * margin, height + 2 * margin
    fits = " / ".join(name for name in press_sheets(sheet_width, sheet_height) if name)
    files = {f"{job.stem}-booklet.pdf": (_("imposed sheets, for the press"), imposed),
             f"{job.stem}.pdf": (_("pages in reading order, for proofing"), pdf.data)}
    rows = [
        (_("Finished size (trim)"), f"{edition.page_paper}, {_size(width, height)}"),
        (_("Pages"), str(pdf.pages)),
        (_("Sheets"), _("%(sheets)d, printed on both sides: the imposed file has %(sides)d "
                        "pages, the front and back of each sheet in turn")
         % {"sheets": pdf.pages // 4, "sides": pdf.pages // 2}),
        (_("Sheet size"), _("%(size)s: the trim spread, %(bleed)s mm bleed and %(slug)s mm "
                            "slug on each side") % {"size": _size(sheet_width, sheet_height),
                                                    "bleed": f"{bleed:g}",
                                                    "slug": f"{SLUG_MM:g}"}
         + (" " + _("(fits on %(sheets)s)") % {"sheets": fits} if fits else "")),
        (_("Bleed"), _("%(bleed)s mm on the outer edges of each sheet, none at the spine")
         % {"bleed": f"{bleed:g}"}),
        (_("Fold and staple"), _("fold each sheet on the fold marks, nest the sheets in "
                                 "order, saddle stitch with 2 staples on the fold, trim to "
                                 "the crop marks")),
        (_("Paper"), _("suggested: uncoated or silk 100 to 120 g/m² (70 to 80 lb text) for "
                       "every sheet, cover included")),
        (_("Colour"), _("full colour on both sides (4/4): sRGB artwork with an sRGB output "
                        "intent, to convert to the press's CMYK; marks in registration "
                        "colour")),
    ]
    title = _("Print job: %(title)s, %(edition)s, version %(version)s (%(date)s)") % {
        "title": booklet.title, "edition": job.booklet.edition_text(edition).label,
        "version": booklet.version, "date": booklet.last_reviewed.isoformat()}
    listed = [(name, role, "sha256 " + hashlib.sha256(data).hexdigest())
              for name, (role, data) in files.items()]
    text = "\n".join([title, "", *(f"{label}: {value}" for label, value in rows), "",
                      _("Files") + ":",
                      *(f"  {name}\n    {role}\n    {digest}"
                        for name, role, digest in listed)]) + "\n"
    words = user_language()
    paper_width, paper_height = PAPER_SIZES[edition.paper]
    html = render_template(job.project.templates_dir, words.catalog, "jobsheet.html", {
        "lang": words.tag, "title": title, "dated": booklet.last_reviewed.isoformat(),
        "rows": rows, "files": listed, "files_heading": _("Files"),
        "page_width": f"{paper_width}mm", "page_height": f"{paper_height}mm",
        "fonts": font_faces()})
    sheet = lay_out(html, (), job.project.templates_dir.as_uri() + "/",
                    (job.project.root, FONT_DIR), job.project.templates_dir / "jobsheet.html")
    return {f"{job.stem}-job.txt": text.encode("utf-8"), f"{job.stem}-job.pdf": sheet.data}

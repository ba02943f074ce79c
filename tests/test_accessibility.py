"""Accessible PDFs, proven by real clients: veraPDF's PDF/UA-1 rules, poppler's reading of
the tag tree, and link annotations a reader can follow."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from build import main
from tests.conftest import REPO
from tests.pdfread import outline
from tests.verapdf import failed_rules

EDITIONS = ["ketamine-patient-letter.pdf", "ketamine-clinician-letter.pdf",
            "ketamine-policymaker-letter.pdf", "ketamine-quick-guide-letter.pdf",
            "ketamine-patient-es-letter.pdf", "ketamine-quick-guide-es-letter.pdf"]
VARIANTS = {  # file: the options that make it
    "ketamine-patient-a5-large-print.pdf": ["patient", "--lang", "en", "--paper", "a5",
                                            "--large-print"],
    "ketamine-patient-riverside-letter.pdf": ["patient", "--lang", "en", "--clinic",
                                              str(REPO / "clinics/riverside")],
    "ketamine-quick-guide-half-letter.pdf": ["quick-guide", "--lang", "en", "--fold"],
}
SPLICED = {  # clinic copies a batch made from another clinic's copy: file, clinic
    "ketamine-patient-big-letter.pdf": "big",  # a taller care team panel than the first copy's
    "ketamine-patient-notes1-letter.pdf": "notes1",  # a panel split over two pages
    "ketamine-patient-mini2-letter.pdf": "mini2",  # back matter on one page
}


@pytest.fixture(scope="session")
def variant_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large-print copy, a clinic copy and a folded booklet (its reading-order file)."""
    out = tmp_path_factory.mktemp("variants")
    for options in VARIANTS.values():
        assert main(["--project", str(REPO), "--out", str(out), "--quiet", *options]) == 0
    return out


def copy_path(name: str, ketamine_build: Path, variant_build: Path) -> Path:
    return (variant_build if name in VARIANTS else ketamine_build) / name


@pytest.fixture(scope="session")
def pdf_ua_failures(ketamine_build: Path, variant_build: Path, ketamine_clinic_batch,
                    tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """veraPDF's findings for every copy, in one JVM; 'control' is a tagged PDF whose first
    heading is an H2, so the run shows the validator can fail (rule 7.4.2-1)."""
    from weasyprint import HTML

    control = tmp_path_factory.mktemp("control") / "h2-first.pdf"
    HTML(string='<html lang="en"><head><title>T</title></head><body><h2>Second</h2>'
                "<p>Text.</p><h1>First</h1></body></html>").write_pdf(
        control, pdf_variant="pdf/ua-1")
    paths = {name: copy_path(name, ketamine_build, variant_build)
             for name in EDITIONS + list(VARIANTS)} | {"control": control}
    batch, reused = ketamine_clinic_batch[1:]
    assert all(reused[clinic] for clinic in SPLICED.values())  # spliced, not built in full
    paths |= {name: batch / name for name in SPLICED}
    found = failed_rules(list(paths.values()))
    return {name: found[path] for name, path in paths.items()}


@pytest.mark.parametrize("name", EDITIONS + list(VARIANTS) + list(SPLICED))
def test_every_copy_passes_every_pdf_ua_1_rule(name: str, pdf_ua_failures) -> None:
    assert pdf_ua_failures[name] == {}


def test_the_validator_finds_a_broken_heading_order(pdf_ua_failures) -> None:
    assert "7.4.2-1" in pdf_ua_failures["control"]


def tag_text(path: Path) -> str:
    """The text of the tag tree in its order, as a screen reader meets it (poppler)."""
    tree = subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(" ".join(re.findall(r'^\s*"(.*)"$', tree, re.M)).split())


@pytest.mark.parametrize("name", ["ketamine-patient-letter.pdf", "ketamine-clinician-letter.pdf",
                                  "ketamine-quick-guide-letter.pdf",
                                  "ketamine-patient-riverside-letter.pdf",
                                  "ketamine-patient-notes1-letter.pdf"])
def test_tags_read_in_the_order_the_pages_show(name: str, ketamine_build: Path,
                                                variant_build: Path,
                                                ketamine_clinic_batch) -> None:
    path = ketamine_clinic_batch[1] / name if name in SPLICED else copy_path(
        name, ketamine_build, variant_build)
    bookmarks = outline(path)
    assert [page for _, page in bookmarks] == sorted(page for _, page in bookmarks)
    text = tag_text(path)
    titles = [title for title, _ in bookmarks]
    assert titles[-1] == "Getting help now"
    landmarks = ["Ketamine and esketamine", *titles, "Not medical advice."]
    places = []
    for landmark in landmarks:
        place = text.find(landmark, places[-1] + 1 if places else 0)
        assert place >= 0, (name, landmark, "missing or out of order")
        places.append(place)
    assert text.startswith("Draft") and text.index("Ketamine and esketamine") < 100


def web_links(path: Path) -> list[str]:
    return [str(annot.get_object()["/A"]["/URI"])
            for page in PdfReader(path).pages for annot in page.get("/Annots", []) or []
            if "/URI" in (annot.get_object().get("/A") or {})]


def test_addresses_are_real_links(ketamine_build: Path, variant_build: Path) -> None:
    patient = web_links(ketamine_build / "ketamine-patient-letter.pdf")
    for target in ("https://988lifeline.org", "https://spravatorems.com",
                   "https://my.clevelandclinic.org/health/drugs/21451-esketamine-nasal-spray",
                   "https://www.samaritans.org/how-we-can-help/contact-samaritan/"):
        assert target in patient, target
    assert not [link for link in patient if link.startswith("tel:")]  # paper: no phone links
    clinician = web_links(ketamine_build / "ketamine-clinician-letter.pdf")
    assert any(link.startswith("https://doi.org/10.") for link in clinician)
    assert any(link.startswith("https://pubmed.ncbi.nlm.nih.gov/") for link in clinician)
    clinic = web_links(variant_build / "ketamine-patient-riverside-letter.pdf")
    assert "https://riverside-clinic.example.org" in clinic
    assert "mailto:care@riverside-clinic.example.org" in clinic
    # a link reads as its address to assistive technology (PDF/UA: alternate text)
    for annot in (a.get_object() for page in PdfReader(
            variant_build / "ketamine-patient-riverside-letter.pdf").pages
            for a in page.get("/Annots", []) or []):
        assert annot.get("/Contents"), annot


def test_links_in_text_keep_their_words() -> None:
    from booklet.render import links

    assert str(links("Chat at 988lifeline.org. doi:10.1001/jama.2020.1. PMID: 12345. <b>")) == (
        'Chat at <a href="https://988lifeline.org">988lifeline.org</a>. '
        '<a href="https://doi.org/10.1001/jama.2020.1">doi:10.1001/jama.2020.1</a>. '
        '<a href="https://pubmed.ncbi.nlm.nih.gov/12345/">PMID: 12345</a>. &lt;b&gt;')
    assert str(links("Write to care@x.org, or see https://x.org/a.")) == (
        'Write to <a href="mailto:care@x.org">care@x.org</a>, or see '
        '<a href="https://x.org/a">https://x.org/a</a>.')

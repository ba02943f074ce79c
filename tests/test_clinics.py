"""Clinic copies: a clinic's name, logo, contacts, crisis line and colour; safe profiles;
batch builds that survive a bad clinic, run in parallel and split into shards."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from booklet.clinic import contrast
from build import main
from tests.conftest import PNG, REPO, SMALL_PROJECT, add_clinics, build_batch, make_project
from tests.pdfread import (
    all_stream_text,
    alt_texts,
    destinations,
    links,
    outline,
    page_texts,
    structure_types,
    toc_entries,
)

RIVERSIDE = "demo-patient-riverside-letter.pdf"


@pytest.fixture
def clinic_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics", root / "clinics")
    return root


def run(root: Path, *args: str) -> int:
    return main(["--project", str(root), "--out", str(root / "out"), "--quiet", *args])


def test_clinic_copy_carries_the_clinics_details(clinic_project: Path) -> None:
    assert run(clinic_project, "patient", "--clinic",
               str(clinic_project / "clinics/riverside")) == 0
    path = clinic_project / "out" / RIVERSIDE
    pages = [" ".join(text.split()) for text in page_texts(path)]
    assert "From Riverside Community Clinic" in pages[0]
    assert "Your care team: Riverside Community Clinic" in pages[-1]
    assert "Front desk: (555) 010-2000" in pages[-1]
    assert "Riverside: Riverside after-hours line. Call (555) 010-2999." in pages[-1]
    assert "Samaritans" in pages[-1]  # the national lines stay
    assert "Clinic name" not in pages[-1]  # no fill-in panel
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages[0].curves) >= 3  # the SVG logo's river and sun, drawn as vectors
        assert not any(page.curves for page in pdf.pages[1:-1])
    alts = dict((alt, kind) for kind, alt in alt_texts(path))
    assert "Riverside Community Clinic logo: a river under a yellow sun" in alts
    assert "QR code for https://riverside-clinic.example.org" in alts
    meta = PdfReader(path).metadata
    assert meta.title == ("Test booklet: Patient edition (Riverside Community Clinic) · Draft — "
                          "not for use with patients")
    assert "Riverside Community Clinic" in meta["/Keywords"]


def test_generic_copy_has_a_panel_to_fill_in(small_build: Path) -> None:
    last = " ".join(page_texts(small_build / "demo-patient-letter.pdf")[-1].split())
    for blank in ("Your care team", "Clinic name", "Phone", "Next appointment"):
        assert blank in last


def test_clinic_paper_and_colour(clinic_project: Path, capsys) -> None:
    assert run(clinic_project, "clinician", "--clinic",
               str(clinic_project / "clinics/harbour-view")) == 0
    assert ("accent_colour #d678b0 has too little contrast with white (2.9:1, needs 4.5:1); "
            "printing the darker #c54190 instead") in capsys.readouterr().err
    path = clinic_project / "out" / "demo-clinician-harbour-view-a4.pdf"
    assert float(PdfReader(path).pages[0].mediabox.height) == pytest.approx(841.9, abs=0.5)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages[0].images) == 1  # the PNG logo on the cover
        heading = next(c for c in pdf.pages[2].chars if c["size"] > 15)
    printed = "#" + "".join(f"{round(v * 255):02x}" for v in heading["non_stroking_color"])
    assert printed == "#c54190"
    assert contrast(printed, "#ffffff") >= 4.5


def test_paper_on_the_command_line_beats_the_clinic_default(clinic_project: Path) -> None:
    assert run(clinic_project, "patient", "--paper", "letter", "--clinic",
               str(clinic_project / "clinics/harbour-view")) == 0
    assert (clinic_project / "out" / "demo-patient-harbour-view-letter.pdf").exists()


LOGO_TOML = 'name = "Test Clinic"\nphones = [{ label = "Desk", number = "555-0100" }]\n'


@pytest.mark.parametrize(("extra", "files", "expected"), [
    ('colour = "#123456"\n', {}, "clinic.toml:3: unknown key 'colour'; did you mean "
                                 "'accent_colour'?"),
    ('accent_colour = "teal"\n', {}, "clinic.toml:3: 'accent_colour': 'teal' is not a colour"),
    ('website = "www.clinic"\n', {}, "clinic.toml:3: 'website': 'www.clinic' is not a web address"),
    ('email = "nobody"\n', {}, "clinic.toml:3: 'email': 'nobody' is not an email address"),
    ('paper = "a3"\n', {}, "clinic.toml:3: 'paper': Input should be"),
    ('logo = "logo.png"\nlogo_alt = "Logo"\n', {}, "clinic.toml:3: image 'logo.png' not found"),
    ('logo = "logo.png"\n', {"logo.png": PNG}, "clinic.toml:3: logo has no logo_alt text"),
    ('logo = "logo.png"\nlogo_alt = "Logo"\n', {"logo.png": b"not a png"},
     "clinic.toml:3: image 'logo.png' is not a PNG or SVG image"),
    ('logo = "logo.svg"\nlogo_alt = "Logo"\n', {"logo.svg": b"<html>no</html>"},
     "clinic.toml:3: image 'logo.svg' is not a valid SVG file"),
    ('logo = "logo.png"\nlogo_alt = "Logo"\n', {"logo.png": PNG + b"\0" * 5_000_001},
     "clinic.toml:3: image 'logo.png' is 5.0 MB; the limit is 5 MB"),
    ('logo = "../../../../etc/passwd"\nlogo_alt = "Logo"\n', {},
     "clinic.toml:3: image '../../../../etc/passwd' is outside the project"),
    ('logo = "/etc/hostname"\nlogo_alt = "Logo"\n', {},
     "clinic.toml:3: image '/etc/hostname' must be a relative path"),
    ('logo = "https://example.org/logo.png"\nlogo_alt = "Logo"\n', {},
     "clinic.toml:3: image 'https://example.org/logo.png' must be a relative path"),
    ('logo = "link.png"\nlogo_alt = "Logo"\n', {"link.png": "SYMLINK"},
     "clinic.toml:3: image 'link.png' is outside the project"),
])
def test_bad_clinic_profiles(clinic_project: Path, tmp_path: Path, capsys, monkeypatch,
                             extra: str, files: dict, expected: str) -> None:
    folder = clinic_project / "clinics" / "bad"
    folder.mkdir()
    (folder / "clinic.toml").write_text(LOGO_TOML + extra)
    for name, data in files.items():
        if data == "SYMLINK":
            outside = tmp_path / "outside.png"
            outside.write_bytes(PNG)
            (folder / name).symlink_to(outside)
        else:
            (folder / name).write_bytes(data)
    monkeypatch.chdir(clinic_project)
    assert main(["--out", "out", "patient", "--clinic", "clinics/bad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: clinics/bad/") and expected in err, err
    assert not list((clinic_project / "out").glob("*.pdf"))


def test_bad_phone_number(clinic_project: Path, capsys) -> None:
    folder = clinic_project / "clinics" / "bad"
    folder.mkdir()
    (folder / "clinic.toml").write_text('name = "X"\nphones = [{ label = "Desk", '
                                        'number = "call us" }]\n')
    assert run(clinic_project, "patient", "--clinic", str(folder)) == 2
    assert "'number': 'call us' does not look like a phone number" in capsys.readouterr().err


def test_one_bad_clinic_does_not_stop_the_batch(clinic_project: Path, capsys) -> None:
    bad = clinic_project / "clinics" / "broken"
    bad.mkdir()
    (bad / "clinic.toml").write_text('name = "Broken"\nphones = []\n')
    assert main(["--project", str(clinic_project), "--out", str(clinic_project / "out"),
                 "patient", "--clinic", "all"]) == 2
    captured = capsys.readouterr()
    assert "clinics/broken/clinic.toml" in captured.err
    assert "2 built, 1 failed (1 clinic profile could not be read)" in captured.out
    built = sorted(p.name for p in (clinic_project / "out").glob("*.pdf"))
    assert built == ["demo-patient-harbour-view-a4.pdf", RIVERSIDE]


def test_batch_in_processes_equals_single_builds(clinic_project: Path, tmp_path: Path,
                                                monkeypatch) -> None:
    from booklet import batch

    monkeypatch.setattr(batch, "RECYCLE_AFTER", 1)  # fresh workers after every two copies
    assert run(clinic_project, "--clinic", "all", "--jobs", "2") == 0
    manifest = json.loads((clinic_project / "out" / "manifest.json").read_text())
    assert len(manifest["files"]) == 6  # 2 clinics x 3 editions
    single = tmp_path / "single"
    assert main(["--project", str(clinic_project), "--out", str(single), "--quiet", "patient",
                 "--clinic", str(clinic_project / "clinics/riverside")]) == 0
    assert (single / RIVERSIDE).read_bytes() == (clinic_project / "out" / RIVERSIDE).read_bytes()


def test_shards_partition_the_batch_exactly(clinic_project: Path, tmp_path: Path) -> None:
    everything = set()
    for index in (1, 2, 3):
        out = tmp_path / f"shard{index}"
        assert main(["--project", str(clinic_project), "--out", str(out), "--quiet",
                     "--clinic", "all", "--shard", f"{index}/3", "--jobs", "1"]) == 0
        files = {p.name for p in out.glob("*.pdf")}
        assert len(files) == 2
        assert not files & everything
        everything |= files
    assert len(everything) == 6


@pytest.mark.parametrize("spec", ["0/3", "4/3", "x/3", "1-3"])
def test_bad_shard(clinic_project: Path, capsys, spec: str) -> None:
    assert run(clinic_project, "--clinic", "all", "--shard", spec) == 2
    assert capsys.readouterr().err.startswith(f"error: --shard {spec}: ")


def test_custom_edition_needs_no_code(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["--project", str(REPO), "--out", str(out), "--quiet", "quick-guide",
                 "--lang", "en-US"]) == 0
    text = " ".join(" ".join(page_texts(out / "ketamine-quick-guide-letter.pdf")).split())
    assert "Quick guide" in text and "Questions to ask your care team" in text
    assert "Contents" not in text and "Who should not have it" not in text


def assert_same_as_full_build(root: Path, clinic: str, fast: Path, tmp_path: Path) -> None:
    """A copy made in a batch has the pages, text, bookmarks, links, tags and metadata of the
    same copy built on its own."""
    single = tmp_path / f"single-{clinic}"
    assert main(["--project", str(root), "--out", str(single), "--quiet", "patient", "--lang",
                 "en", "--clinic", str(root / "clinics" / clinic)]) == 0
    full = single / fast.name
    assert len(PdfReader(fast).pages) == len(PdfReader(full).pages), clinic
    assert page_texts(fast) == page_texts(full), clinic
    assert outline(fast, heights=True) == outline(full, heights=True), clinic
    assert toc_entries(fast) == toc_entries(full), clinic
    assert destinations(fast) == destinations(full), clinic
    assert links(fast) == links(full), clinic
    assert structure_types(fast) == structure_types(full), clinic
    assert alt_texts(fast) == alt_texts(full), clinic
    assert PdfReader(fast).metadata == PdfReader(full).metadata, clinic
    assert subprocess.run(["qpdf", "--check", str(fast)], capture_output=True).returncode == 0


def page_counts(out: Path, prefix: str, clinics: list[str]) -> dict[str, int]:
    return {clinic: len(PdfReader(out / f"{prefix}-{clinic}-letter.pdf").pages)
            for clinic in clinics}


def first_of_each_length(counts: dict[str, int]) -> dict[int, str]:
    """For each page count, the first clinic (in build order) whose copy has it: the copies a
    batch must build in full, all others reusing one of them."""
    first: dict[int, str] = {}
    for clinic, pages in counts.items():
        first.setdefault(pages, clinic)
    return first


def test_a_clinic_batch_reuses_shared_pages_yet_equals_full_builds(tmp_path: Path) -> None:
    """Clinics whose care team panels differ in height: each copy but the first of each page
    count is spliced, and equals the copy built on its own, bookmarks and links included."""
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    clinics = add_clinics(root)
    batch = tmp_path / "batch"
    reused = build_batch(root, "patient", clinics, batch)
    first = first_of_each_length(page_counts(batch, "demo-patient", clinics))
    assert len(first) == 2  # the long notes need a page more
    assert reused == {clinic: clinic not in first.values() for clinic in clinics}
    for clinic in clinics:
        if reused[clinic]:
            assert_same_as_full_build(root, clinic, batch / f"demo-patient-{clinic}-letter.pdf",
                                      tmp_path)
    assert PdfReader(batch / "demo-patient-big-letter.pdf").trailer["/Root"]["/Lang"] == "en-GB"
    # no stream of a spliced copy (its XMP metadata included) names the copy it was made
    # from; page text is glyph-encoded, and is compared above
    notes2 = all_stream_text(batch / "demo-patient-notes2-letter.pdf")
    assert b"Second Notes Clinic" in notes2 and b"First Notes Clinic" not in notes2
    big = all_stream_text(batch / "demo-patient-big-letter.pdf")
    assert b"Big Regional" in big and b"Riverside Community" not in big


def test_a_ketamine_clinic_batch_reuses_shared_pages(ketamine_clinic_batch, tmp_path: Path
                                                      ) -> None:
    """The real booklet: back matter of one and two pages (a long note splits the care team
    panel over two), each spliced from the first copy like it, with its links and bookmarks
    where a full build has them."""
    root, batch, reused = ketamine_clinic_batch
    counts = page_counts(batch, "ketamine-patient", list(reused))
    first = first_of_each_length({clinic: counts[clinic] for clinic in
                                  sorted(counts, key=list(reused).index)})
    assert len(first) >= 2, counts  # the small clinics' back matter fits one page
    assert reused == {clinic: clinic not in first.values() for clinic in reused}
    for clinic in ("notes1", "mini2"):  # a taller panel than the first copy's; a lower one
        assert_same_as_full_build(root, clinic, batch / f"ketamine-patient-{clinic}-letter.pdf",
                                  tmp_path)


def test_a_copy_that_cannot_be_spliced_is_built_in_full_with_a_warning(
        clinic_project: Path, monkeypatch, capsys) -> None:
    from booklet import splice

    def refuse(body: bytes, clinic_pages: bytes) -> bytes:
        raise splice.CannotSplice("a shape splicing does not know")

    monkeypatch.setattr(splice, "splice_clinic_pages", refuse)
    riverside = (clinic_project / "clinics/riverside/clinic.toml").read_text()
    branch = clinic_project / "clinics" / "branch"
    shutil.copytree(clinic_project / "clinics/riverside", branch)
    (branch / "clinic.toml").write_text(riverside.replace("Riverside Community Clinic",
                                                          "Branch Clinic"))
    assert run(clinic_project, "patient", "--clinic", "all", "--jobs", "1") == 0
    err = capsys.readouterr().err
    assert err.count("could not reuse") == 1, err
    assert "warning: demo patient riverside: could not reuse the pages laid out for another " \
           "clinic's copy, so built this copy in full" in err
    text = " ".join(page_texts(clinic_project / "out" / RIVERSIDE))
    assert "Riverside Community Clinic" in text and "Branch Clinic" not in text


def test_files_splicing_does_not_expect_are_refused_not_a_crash(small_build: Path) -> None:
    from booklet.splice import CannotSplice, back_pages, splice_clinic_pages

    path = small_build / "demo-patient-letter.pdf"
    body = path.read_bytes()
    assert 1 <= back_pages(body) < len(PdfReader(path).pages)
    for clinic_pages in (b"not a PDF", body):  # the second: more than a cover and back matter
        with pytest.raises(CannotSplice):
            splice_clinic_pages(body, clinic_pages)
    with pytest.raises(CannotSplice):
        back_pages(b"%PDF-1.7 truncated")


def test_a_copy_whose_back_page_runs_over_is_built_in_full(clinic_project: Path,
                                                          tmp_path: Path, capsys) -> None:
    """The first copy of a layout has a long note, so its care team panel fills a page of its
    own: the next clinic's copy cannot reuse those pages and must not show that clinic."""
    riverside = (clinic_project / "clinics/riverside/clinic.toml").read_text()
    long_note = "Please call us about anything in this booklet. " * 40
    (clinic_project / "clinics/riverside/clinic.toml").write_text(riverside.replace(
        'care_team_note = "', f'care_team_note = "{long_note}'))
    follower = clinic_project / "clinics" / "zeta"
    shutil.copytree(REPO / "clinics/riverside", follower)
    (follower / "clinic.toml").write_text(riverside.replace("Riverside Community Clinic",
                                                            "Zeta Clinic"))
    batch = tmp_path / "batch"
    assert main(["--project", str(clinic_project), "--out", str(batch), "--quiet", "patient",
                 "--clinic", str(clinic_project / "clinics/riverside"),
                 "--clinic", str(follower), "--jobs", "1"]) == 0
    zeta = " ".join(page_texts(batch / "demo-patient-zeta-letter.pdf"))
    assert "Zeta Clinic" in zeta and "Riverside Community Clinic" not in zeta
    assert len(PdfReader(batch / "demo-patient-riverside-letter.pdf").pages) == \
        len(PdfReader(batch / "demo-patient-zeta-letter.pdf").pages) + 1
    assert "could not reuse" not in capsys.readouterr().err  # it was not a failure

"""booklet as a general generator: a second booklet with other audiences, in British English
and without a crisis box, builds beside ketamine and shares nothing of it; clinic copies put
their own country first."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from build import main
from tests.conftest import REPO, make_project
from tests.pdfread import full_text, page_texts

FOOT_CARE = {
    "content/foot-care/booklet.toml": """\
title = "Looking after your feet"
subtitle = "Foot care when you have diabetes"
version = "1.0"
last_reviewed = 2026-03-02
next_review = 2099-03-02
language = "en-GB"
author = "Test Author"
audiences = ["patient", "caregiver"]
disclaimer = "General information only; ask your own nurse or doctor."

[editions.patient]
subtitle = "For people with diabetes"

[editions.caregiver]
subtitle = "For family members who help with foot checks"

[[emergency_numbers]]
region = "UK"
number = "999"
countries = ["GB"]
""",
    "content/foot-care/10-checks.md": """\
---
id: checks
title: Check your feet every day
order: 10
---

Look at both feet every day, also between the toes [@footguide].

::: caregiver
Helpers: use a mirror or a phone camera to see the soles.
:::

::: patient country=GB
Your practice nurse can check your feet once a year.
:::
""",
    "content/foot-care/references.yaml": """\
- key: footguide
  type: guideline
  title: A plain foot care guide
  container: Test Charity
  year: 2024
- key: footstudy
  type: article
  authors: [Doe J]
  title: A foot study
  container: J Feet
  year: 2023
""",
    "content/foot-care/20-shoes.md": """\
---
id: shoes
title: Choosing shoes
order: 20
---

Wear shoes that fit well and do not rub [@footstudy].
""",
    "editions/caregiver.toml": """\
label = "Caregiver edition"
audience = "caregiver"
font_size = "12.5pt"
plain_language = true
citations = "sources"
""",
}
KETAMINE_WORDS = ["ketamine", "esketamine", "988", "Samaritans", "Suicide", "suicide",
                  "clinician edition", "Clinician edition", "thinking about suicide"]


@pytest.fixture(scope="session")
def two_booklets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project plus the foot-care booklet, built with no arguments."""
    root = tmp_path_factory.mktemp("topics") / "project"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "clinics", root / "clinics")
    make_project(root, {**FOOT_CARE, "content/ketamine/booklet.toml":
                        (REPO / "content/ketamine/booklet.toml").read_text()})
    assert main(["--project", str(root), "--out", str(root / "output"), "--quiet"]) == 0
    return root / "output"


def test_every_booklet_builds_exactly_its_editions(two_booklets: Path) -> None:
    built = sorted(path.name for path in two_booklets.glob("*.pdf"))
    foot = [name for name in built if name.startswith("foot-care-")]
    assert foot == ["foot-care-caregiver-letter.pdf", "foot-care-patient-letter.pdf"]
    for edition in ("clinician", "patient", "policymaker", "quick-guide"):
        assert f"ketamine-{edition}-letter.pdf" in built
    assert not any(name.startswith("ketamine-caregiver") for name in built)


def test_nothing_of_ketamine_reaches_the_other_booklet(two_booklets: Path) -> None:
    for edition in ("patient", "caregiver"):
        text = full_text(two_booklets / f"foot-care-{edition}-letter.pdf")
        assert "Looking after your feet" in text
        for word in KETAMINE_WORDS:
            assert word not in text, (edition, word)
    patient = full_text(two_booklets / "foot-care-patient-letter.pdf")
    assert "For people with diabetes" in patient
    assert "Helpers: use a mirror" not in patient
    caregiver = full_text(two_booklets / "foot-care-caregiver-letter.pdf")
    assert "Helpers: use a mirror or a phone camera" in caregiver
    # no edition of this booklet lists the studies, so the sources page points nowhere
    assert "We also used 1 research study." in caregiver
    assert "of this booklet lists" not in caregiver


def test_a_booklet_without_crisis_lines_has_no_crisis_box(two_booklets: Path) -> None:
    pages = page_texts(two_booklets / "foot-care-patient-letter.pdf")
    text = " ".join(" ".join(pages).split())
    assert "In a crisis?" not in text and "Crisis" not in text
    assert "Getting help now In an emergency, call 999 (UK). Not medical advice." in text
    assert "Not medical advice. General information only" in " ".join(pages[-1].split())
    assert "2 March 2026" in pages[0]  # British dates for en-GB


def test_country_blocks_show_only_in_that_country(two_booklets: Path, tmp_path: Path) -> None:
    generic = full_text(two_booklets / "foot-care-patient-letter.pdf")
    assert "practice nurse" not in generic
    root = two_booklets.parent
    out = tmp_path / "out"
    assert main(["--project", str(root), "--out", str(out), "--quiet", "foot-care", "patient",
                 "--country", "GB"]) == 0
    assert "Your practice nurse can check your feet" in full_text(
        out / "foot-care-patient-gb-letter.pdf")


def test_a_gb_clinic_copy_puts_its_country_first(two_booklets: Path, tmp_path: Path) -> None:
    root = two_booklets.parent
    out = tmp_path / "out"
    assert main(["--project", str(root), "--out", str(out), "--quiet", "ketamine", "patient",
                 "--lang", "en-US", "--clinic", str(root / "clinics/harbour-view")]) == 0
    pages = page_texts(out / "ketamine-patient-harbour-view-a4.pdf")
    cover, back = " ".join(pages[0].split()), " ".join(" ".join(pages[-2:]).split())
    for text in (cover, back):
        assert text.index("116 123") < text.index("988")
    assert back.index("999 (UK)") < back.index("911 (US)")
    body = full_text(out / "ketamine-patient-harbour-view-a4.pdf")
    assert "insurance" not in body and "emergency room" not in body
    assert "Can I have it on the NHS?" in body and "A&E" in body


def test_a_new_booklet_changes_nothing_in_another(two_booklets: Path,
                                                  ketamine_build: Path) -> None:
    for edition in ("patient", "clinician"):
        name = f"ketamine-{edition}-letter.pdf"
        assert (two_booklets / name).read_bytes() == (ketamine_build / name).read_bytes()


def test_list_and_progress_name_the_booklet(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", FOOT_CARE)
    assert main(["--project", str(root), "--list"]) == 0
    out = capsys.readouterr().out
    assert "foot-care caregiver: Caregiver edition (en-GB, caregiver" in out
    assert "checks" in out and "[country blocks: GB]" in out
    assert main(["--project", str(root), "--out", str(root / "o"), "foot-care"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["foot-care", "caregiver"],
                                                    ["foot-care", "patient"]]


def test_every_page_of_a_booklet_not_yet_approved_says_draft(ketamine_build: Path) -> None:
    from pypdf import PdfReader

    for name in ("ketamine-patient-letter.pdf", "ketamine-patient-es-letter.pdf"):
        reader = PdfReader(ketamine_build / name)
        mark = ("Borrador: no es para usar con pacientes" if "-es-" in name
                else "Draft — not for use with patients")
        for number, page in enumerate(reader.pages, start=1):
            assert mark in " ".join(page.extract_text().split()), (name, number)
        assert mark in reader.metadata.title


def test_an_approved_booklet_prints_its_reviewer_and_no_draft_mark(tmp_path: Path) -> None:
    files = dict(FOOT_CARE)
    files["content/foot-care/booklet.toml"] = FOOT_CARE["content/foot-care/booklet.toml"].replace(
        'audiences = ["patient", "caregiver"]',
        'audiences = ["patient", "caregiver"]\nstatus = "approved"') + (
        '\n[[reviewers]]\nname = "Dr Test Reviewer"\nrole = "Podiatrist"\ndate = 2026-03-10\n')
    root = make_project(tmp_path / "p", files)
    assert main(["--project", str(root), "--out", str(root / "o"), "--quiet", "patient"]) == 0
    text = full_text(root / "o" / "foot-care-patient-letter.pdf")
    assert "Draft" not in text
    assert "Reviewed by Dr Test Reviewer (Podiatrist) on 10 March 2026." in text
    files["content/foot-care/booklet.toml"] = files["content/foot-care/booklet.toml"].replace(
        "date = 2026-03-10", "date = 2026-03-01")  # before last_reviewed
    root = make_project(tmp_path / "q", files)
    assert main(["--project", str(root), "--out", str(root / "o"), "--quiet"]) == 2


def test_feedback_contact_and_version_history_are_printed(tmp_path: Path) -> None:
    toml = FOOT_CARE["content/foot-care/booklet.toml"].replace(
        'audiences = ["patient", "caregiver"]', 'audiences = ["patient", "caregiver"]\n'
        'feedback = "Write to feet@example.org."\n'
        'history = [{ version = "1.0", date = 2026-03-02, changes = "first edition." }]')
    clinic = ('name = "Test Clinic"\nphones = [{ label = "Desk", number = "01632 960 001" }]\n'
              'feedback = "Ask at reception for a comments card."\n')
    root = make_project(tmp_path / "p", {**FOOT_CARE, "content/foot-care/booklet.toml": toml,
                                         "clinics/test/clinic.toml": clinic})
    out = root / "o"
    assert main(["--project", str(root), "--out", str(out), "--quiet", "patient"]) == 0
    text = full_text(out / "foot-care-patient-letter.pdf")
    assert "Changes: version 1.0 (2 March 2026): first edition." in text
    assert "Tell us what you think of this booklet: Write to feet@example.org." in text
    assert main(["--project", str(root), "--out", str(out), "--quiet", "patient",
                 "--clinic", str(root / "clinics/test")]) == 0
    text = full_text(out / "foot-care-patient-test-letter.pdf")
    assert "Tell us what you think of this booklet: Ask at reception for a comments card." in text
    assert "feet@example.org" not in text

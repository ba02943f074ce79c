"""The sandbox: a build reads only project files, fetches nothing from the network, and raw HTML
in Markdown cannot run, hide text or embed files."""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path
from urllib.parse import urljoin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from booklet.pdf import MAX_DATA_URL_BYTES, jailed_fetcher
from build import main
from tests.conftest import REPO, SECTION_ONE, SECTION_TWO, SMALL_PROJECT, make_project
from tests.pdfread import full_text


@pytest.fixture
def jail(tmp_path: Path) -> Path:
    (tmp_path / "inside.css").write_text("p { color: black }")
    return tmp_path


def test_fetcher_reads_files_inside_the_jail(jail: Path) -> None:
    response = jailed_fetcher([jail]).fetch((jail / "inside.css").as_uri())
    assert response.read() == b"p { color: black }"
    assert response.headers.get_content_type() == "text/css"


@pytest.mark.parametrize(("url", "message"), [
    ("https://example.org/style.css", "only local project files can be used (no network)"),
    ("http://127.0.0.1/x.png", "only local project files can be used (no network)"),
    ("ftp://example.org/x", "only local project files can be used (no network)"),
    ("file:///etc/passwd", "it is outside the project"),
    ("file:///{jail}/../outside.txt", "it is outside the project"),
    ("file:///{jail}/missing.png", "file not found"),
    ("data:text/plain," + "x" * (MAX_DATA_URL_BYTES + 1), "data: URL larger than"),
])
def test_fetcher_refuses_everything_else(jail: Path, url: str, message: str) -> None:
    with pytest.raises(FatalURLFetchingError) as refused:
        jailed_fetcher([jail]).fetch(url.replace("/{jail}", str(jail)))
    assert message in str(refused.value)


def test_symlink_leading_outside_is_refused(jail: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text("secret")
    (jail / "link.txt").symlink_to(outside)
    with pytest.raises(FatalURLFetchingError, match="outside the project"):
        jailed_fetcher([jail]).fetch((jail / "link.txt").as_uri())


def test_template_loading_a_file_outside_the_project_fails_the_build(tmp_path: Path,
                                                                     capsys) -> None:
    root = make_project(tmp_path / "p", SMALL_PROJECT)
    back = root / "templates" / "back.html"
    back.write_text(back.read_text() + '<img src="file:///etc/hostname" alt="x">\n')
    assert main(["--project", str(root), "--out", str(root / "out"), "patient"]) == 2
    err = capsys.readouterr().err
    assert "refused to load /etc/hostname: it is outside the project" in err
    assert not (root / "out" / "demo-patient-letter.pdf").exists()


def test_template_loading_from_the_network_fails_the_build(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", SMALL_PROJECT)
    base = root / "templates" / "base.html"
    base.write_text(base.read_text().replace(
        "</head>", '<link rel="stylesheet" href="https://example.org/x.css">\n</head>'))
    assert main(["--project", str(root), "--out", str(root / "out"), "patient"]) == 2
    assert "refused to load https://example.org/x.css" in capsys.readouterr().err


def test_raw_html_cannot_run_hide_text_or_attach_files(tmp_path: Path, capsys) -> None:
    section = (
        "---\nid: details\ntitle: D\norder: 20\n---\n\n"
        'Safe text. <script>alert("x")</script>\n\n'
        '<p style="display:none">Hidden words</p>\n\n'
        '<a rel="attachment" href="../../../../../etc/hostname">attached</a>\n\n'
        '<iframe src="https://example.org"></iframe>\n\n'
        '<a href="javascript:alert(1)">bad link</a> <img src="x.png" onerror="alert(1)">\n')
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/20-details.md": section})
    code = main(["--project", str(root), "--out", str(root / "out"), "--html", "clinician"])
    err = capsys.readouterr().err
    assert code == 2  # the <img> has no alt text and no file: refused before rendering
    assert "image 'x.png' has no alt text" in err
    section = section.replace(' <img src="x.png" onerror="alert(1)">', "")
    (root / "content/demo/20-details.md").write_text(section)
    assert main(["--project", str(root), "--out", str(root / "out"), "clinician"]) == 2
    assert "link '../../../../../etc/hostname' goes to a file" in capsys.readouterr().err
    (root / "content/demo/20-details.md").write_text(
        section.replace("../../../../../etc/hostname", "https://example.org/hostname"))
    assert main(["--project", str(root), "--out", str(root / "out"), "--html",
                 "clinician"]) == 0
    err = capsys.readouterr().err
    assert "raw HTML removed for safety: <script>, style= on <p>, rel= on <a>, <iframe>, " \
           "javascript: link on <a>" in err
    html = (root / "out" / "demo-clinician-letter.html").read_text()
    for gone in ("<script", "alert", "display:none", "iframe", "javascript:", 'rel="attachment"'):
        assert gone not in html
    path = root / "out" / "demo-clinician-letter.pdf"
    text = full_text(path)
    assert "Safe text." in text and "Hidden words" in text  # shown, not hidden
    catalog = PdfReader(path).trailer["/Root"]
    assert "/EmbeddedFiles" not in catalog.get("/Names", {})
    assert b"/EmbeddedFile" not in path.read_bytes()


OUTSIDE_SECTION = SECTION_ONE.replace("Shared words for every reader", "Outside secret words")


def _symlink_outside(root: Path, outside: Path, link: str, target: str) -> None:
    """Replaces the project's `link` by a symlink to `target` in the folder `outside`."""
    path = root / link
    if path.is_dir():
        shutil.copytree(path, outside / target, dirs_exist_ok=True)
        shutil.rmtree(path)
    else:
        shutil.copy(path, outside / target)
        path.unlink()
    path.symlink_to(outside / target)


@pytest.mark.parametrize(("link", "target", "args", "blamed"), [
    ("content/demo/10-intro.md", "intro.md", [], "content/demo/10-intro.md"),
    ("content/demo", "demo", [], "content/demo/booklet.toml"),
    ("content/demo/references.yaml", "refs.yaml", [], "content/demo/references.yaml"),
    ("templates/cover.html", "cover.html", [], "templates/cover.html"),
    ("templates/print.css", "print.css", [], "templates/print.css"),
    ("editions/patient.toml", "patient.toml", [], "editions/patient.toml"),
    ("clinics/riverside", "riverside", ["--clinic", "clinics/riverside"],
     "clinics/riverside/clinic.toml"),
])
def test_a_symlink_leading_outside_the_project_is_refused(
        tmp_path: Path, capsys, monkeypatch, link: str, target: str, args: list[str],
        blamed: str) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT,
                                         "content/demo/10-intro.md": OUTSIDE_SECTION})
    shutil.copytree(REPO / "clinics", root / "clinics")
    outside = tmp_path / "outside"
    outside.mkdir()
    _symlink_outside(root, outside, link, target)
    monkeypatch.chdir(root)
    assert main(["--out", "out", "patient", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: {blamed}: file leads outside the project, to "
                          f"{(outside / target).resolve()}"), err
    assert not (root / "out").exists() or not any((root / "out").iterdir())


def test_check_and_list_refuse_a_symlinked_section_too(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", SMALL_PROJECT)
    secret = tmp_path / "secret.md"
    secret.write_text(OUTSIDE_SECTION)
    (root / "content/demo/10-intro.md").unlink()
    (root / "content/demo/10-intro.md").symlink_to(secret)
    for mode in ("--check", "--list"):
        assert main(["--project", str(root), mode]) == 2
        captured = capsys.readouterr()
        assert "file leads outside the project" in captured.err
        assert "Outside secret words" not in captured.out + captured.err


def test_a_symlink_inside_the_project_is_followed(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", SMALL_PROJECT)
    shared = root / "shared-sections"
    shared.mkdir()
    (root / "content/demo/10-intro.md").rename(shared / "intro.md")
    (root / "content/demo/10-intro.md").symlink_to(shared / "intro.md")
    assert main(["--project", str(root), "--out", str(root / "out"), "--quiet", "patient"]) == 0
    assert "Shared words for every reader" in full_text(root / "out" / "demo-patient-letter.pdf")


def link_targets(path: Path) -> list[str]:
    """The URI of every link annotation in a PDF."""
    return [str(annotation.get_object()["/A"].get("/URI")) for page in PdfReader(path).pages
            for annotation in page.get("/Annots") or []
            if "/A" in annotation.get_object() and "/URI" in annotation.get_object()["/A"]]


@pytest.mark.parametrize("link", ["other.md", "../x.pdf", "/etc/hostname", "//example.org/x",
                                  "", "#", "?page=2", "./"])
def test_a_link_to_a_file_is_refused_naming_its_line(tmp_path: Path, capsys, link: str) -> None:
    section = SECTION_TWO + f"\nSee [the other page]({link}) for more.\n"
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/20-details.md": section})
    assert main(["--project", str(root), "--out", str(root / "out"), "clinician"]) == 2
    err = capsys.readouterr().err
    line = section.count("\n")
    assert err == (f"error: {root / 'content/demo/20-details.md'}:{line}: link '{link}' goes to "
                   "a file, not a web address or a section; link to a web address (https://…) "
                   "or to a section id (#section-id); a printed booklet cannot open files\n")
    assert not (root / "out").exists() or not list((root / "out").glob("*.pdf"))


def test_web_email_phone_and_section_links_are_kept_and_print_no_path_of_this_computer(
        tmp_path: Path, capsys) -> None:
    kept = ("\nSee [the guide](https://example.org/guide), [write](mailto:team@example.org), "
            "[call](tel:+15550102000) or [the introduction](#intro).\n")
    section = SECTION_TWO + kept + "\nOr [the leaflet](leaflet.pdf).\n"
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, "content/demo/20-details.md": section})
    assert main(["--project", str(root), "--out", str(root / "out"), "clinician"]) == 2
    assert "link 'leaflet.pdf' goes to a file" in capsys.readouterr().err  # only that one
    (root / "content/demo/20-details.md").write_text(SECTION_TWO + kept)
    assert main(["--project", str(root), "--out", str(root / "out"), "--quiet",
                 "clinician"]) == 0
    targets = link_targets(root / "out" / "demo-clinician-letter.pdf")
    assert {"https://example.org/guide", "mailto:team@example.org",
            "tel:+15550102000"} <= set(targets)
    assert not [target for target in targets if target.startswith("file:")]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30),
                 st.builds("".join, st.lists(st.sampled_from(
                     ["..", "/", ".", "x", "#", "?", ":", "//", "http", "https", "file", "mailto",
                      "tel", "a.md", "%2e", "\\", " ", "@"]), max_size=8))))
def test_no_link_a_section_may_keep_leads_to_a_file(href: str) -> None:
    """Whatever a writer puts in a link, a kept link goes to a place in the booklet (#id) or
    to an address that is not a file."""
    from booklet.errors import BookletError
    from booklet.extensions import SourceFile
    from booklet.render import check_link_targets

    html = f'<p><a href="{escape(href, quote=True)}">x</a></p>'
    try:
        check_link_targets(html, SourceFile(Path("content/demo/10-intro.md"), 1, href))
    except BookletError:
        return
    resolved = urljoin("file:///project/content/demo/", href)
    assert href.startswith("#") or not resolved.startswith("file:"), (href, resolved)

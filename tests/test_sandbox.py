"""The sandbox: a build reads only project files, fetches nothing from the network, and raw HTML
in Markdown cannot run, hide text or embed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint.urls import FatalURLFetchingError

from booklet.pdf import MAX_DATA_URL_BYTES, jailed_fetcher
from build import main
from tests.conftest import SMALL_PROJECT, make_project
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
    (root / "content/demo/20-details.md").write_text(section.replace(' <img src="x.png" '
                                                                     'onerror="alert(1)">', ""))
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

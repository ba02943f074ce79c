"""The web edition: files beside each other under relative paths, web furniture instead of
print furniture, and axe-core's WCAG 2.1 A and AA rules in a real browser (Debian chromium)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest

from build import main
from tests.conftest import REPO

COPIES = {  # web edition folder: the options that make it
    "ketamine-patient-letter": ["patient", "--lang", "en"],
    "ketamine-patient-es-letter": ["patient", "--lang", "es"],
    "ketamine-patient-riverside-letter": ["patient", "--lang", "en", "--clinic",
                                          str(REPO / "clinics/riverside")],
    "ketamine-clinician-letter": ["clinician"],
    "ketamine-quick-guide-half-letter": ["quick-guide", "--lang", "en", "--fold"],
}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def web_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("web")
    for options in COPIES.values():
        assert main(["--project", str(REPO), "--out", str(out), "--quiet", "--web",
                     *options]) == 0
    return out / "web"


class Page(HTMLParser):
    """What a check needs from a page: tags in order with their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.mark.parametrize("name", list(COPIES))
def test_a_web_edition_is_a_folder_that_needs_nothing_else(web_build: Path, name: str) -> None:
    folder = web_build / name
    html = (folder / "index.html").read_text(encoding="utf-8")
    css = (folder / "style.css").read_text(encoding="utf-8")
    assert "file:" not in html and "file:" not in css
    page = Page(html)
    local = [attrs.get("href") or attrs.get("src") for tag, attrs in page.tags
             if tag in ("a", "img", "link")]
    local += re.findall(r'url\("([^"]+)"\)', css)
    for target in local:
        assert target, name
        if not re.match(r"(https?:|mailto:|tel:|data:|#)", target):
            assert (folder / target).is_file(), (name, target)
    assert (folder / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert any(attrs.get("href") == f"{name}.pdf" for attrs in page.all("a"))


@pytest.mark.parametrize("name", list(COPIES))
def test_web_furniture_replaces_print_furniture(web_build: Path, name: str) -> None:
    html = (web_build / name / "index.html").read_text(encoding="utf-8")
    page = Page(html)
    assert page.all("html")[0].get("lang")
    assert len(page.all("main")) == 1 and len(page.all("nav")) == 1
    links = page.all("a")
    assert links[0] == {"class": "skip-link", "href": "#content"}
    assert 'id="content"' in html
    levels = [int(tag[1]) for tag, _ in page.tags if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in pairwise(levels))
    assert "notes-line" not in html and "fill-in" not in html
    calls = {attrs.get("href") for attrs in links if (attrs.get("href") or "").startswith("tel:")}
    assert {"tel:988", "tel:116123", "tel:131114", "tel:911", "tel:999"} <= calls, calls
    if "riverside" in name:
        assert "tel:5550102000" in calls  # the clinic's own numbers


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright; skipped, saying how to get it, when missing."""
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed: run 'make test' as root, or "
                    "'sudo apt-get install chromium', to check the web editions in a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.mark.parametrize("name", list(COPIES))
def test_axe_finds_no_wcag_21_aa_violation_and_nothing_leaves_the_folder(
        web_build: Path, browser, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": 375, "height": 800})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((web_build / name / "index.html").as_uri())
    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    found = [(v["id"], v["nodes"][0]["html"][:120]) for v in results.response["violations"]]
    assert found == []
    assert results.response["passes"], "axe ran no rule"
    assert all(url.startswith("file:") or url.startswith("data:") for url in requests), requests
    page.close()


@pytest.mark.parametrize("width", [320, 375, 1280])
@pytest.mark.parametrize("name", ["ketamine-patient-letter", "ketamine-clinician-letter"])
def test_the_page_fits_a_phone_and_a_desktop(web_build: Path, browser, name: str,
                                             width: int, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto((web_build / name / "index.html").as_uri())
    page.screenshot(path=tmp_path / f"{name}-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_tab_reaches_the_skip_link_then_the_contents(web_build: Path, browser) -> None:
    page = browser.new_page()
    page.goto((web_build / "ketamine-patient-letter" / "index.html").as_uri())
    contents = page.inner_text("nav")
    assert "Key points" in contents and not re.search(r"\d", contents)  # no page numbers
    focused = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(
            "[document.activeElement.className, document.activeElement.closest('nav') !== null,"
            " document.activeElement.getAttribute('href')]"))
    assert focused[0] == ["skip-link", False, "#content"]
    assert focused[1][1] and focused[2][1], focused  # then the contents links
    page.keyboard.press("Enter")  # the contents link goes to its section
    assert page.evaluate("location.hash") == focused[2][2]
    page.close()


def test_a_clinics_web_url_is_where_its_qr_code_points(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from tests.conftest import SMALL_PROJECT, make_project
    from tests.pdfread import alt_texts, page_texts

    root = make_project(tmp_path / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics", root / "clinics")
    toml = root / "clinics/riverside/clinic.toml"
    address = "https://riverside-clinic.example.org/booklets/ketamine/"
    toml.write_text(f'web_url = "{address}"\n' + toml.read_text())  # before any [table]
    assert main(["--project", str(root), "--out", str(tmp_path / "out"), "--quiet", "patient",
                 "--clinic", str(root / "clinics/riverside")]) == 0
    pdf = tmp_path / "out" / "demo-patient-riverside-letter.pdf"
    assert f"QR code for {address}" in [alt for _, alt in alt_texts(pdf)]
    assert f"This booklet online: {address}" in " ".join(page_texts(pdf)[-1].split())
    links = [str(a.get_object()["/A"]["/URI"]) for page in PdfReader(pdf).pages
             for a in page.get("/Annots", []) or [] if "/URI" in (a.get_object().get("/A") or {})]
    assert address.rstrip("/") in [link.rstrip("/") for link in links]
    toml.write_text(toml.read_text().replace(address, "riverside.example/booklet"))
    assert main(["--project", str(root), "--out", str(tmp_path / "out"), "--quiet", "patient",
                 "--clinic", str(root / "clinics/riverside")]) == 2

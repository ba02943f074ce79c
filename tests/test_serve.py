"""The browser app (build.py serve): one real server on a free port, started as its own process
with uvicorn, driven by Playwright in Debian's chromium; PDFs read back with pypdf."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PNG, REPO, SMALL_PROJECT, make_project
from tests.pdfread import page_texts

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None,
                                reason="chromium is not installed: run 'make test' as root, or "
                                       "'sudo apt-get install chromium'")
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO = "demo/patient/en-GB"  # the first booklet's patient edition: the form's default
BUILD_TIMEOUT = 240_000  # milliseconds: a real booklet on a busy machine


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small test booklet and the real ketamine booklet, with an empty clinics folder."""
    root = make_project(tmp_path_factory.mktemp("serve") / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "content/ketamine", root / "content/ketamine")
    shutil.copy(REPO / "editions/quick-guide.toml", root / "editions")
    (root / "clinics").mkdir()
    return root


@pytest.fixture(scope="module")
def server(project: Path, tmp_path_factory: pytest.TempPathFactory):
    """The app's address; the server runs in its own process, as `build.py serve` does."""
    log = (tmp_path_factory.mktemp("serve-log") / "stderr.txt").open("w+")
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "serve", "--port", "0", "--jobs", "2",
         "--project", str(project)], cwd=project, stdout=subprocess.PIPE, stderr=log,
        text=True, env={**os.environ, "LANGUAGE": "en"})
    line = process.stdout.readline()
    found = re.search(r"running at (http://127\.0\.0\.1:\d+/)", line)
    assert found, (line, log.seek(0) or log.read())
    url = found[1].rstrip("/")
    for _attempt in range(600):  # the address is printed before the workers have started
        try:
            with urllib.request.urlopen(url + "/version", timeout=5):
                break
        except OSError:
            time.sleep(0.1)
    yield url
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.seek(0)
    errors = log.read()
    assert "Traceback" not in errors, errors
    assert not list(project.glob(".booklet-serve-*")), "the private folders are removed"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    opened = browser.new_page(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


def fill_clinic(page, name: str, phone: str) -> None:
    page.get_by_label("Clinic name").fill(name)
    page.get_by_label("Phone number", exact=True).fill(phone)


def csrf_token(url: str) -> str:
    with urllib.request.urlopen(url + "/") as answer:
        return re.search(r'name="csrf" value="([^"]+)"', answer.read().decode())[1]


def test_the_form_gives_the_clinics_own_copy(server: str, page, tmp_path: Path) -> None:
    page.goto(server + "/")
    fill_clinic(page, "Harbour Test Clinic", "01632 960 123")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Edition").select_option("ketamine/patient/en-US")
    page.get_by_label("Logo", exact=True).set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": PNG}])
    with page.expect_download(timeout=BUILD_TIMEOUT) as download:
        page.get_by_role("button", name="Download PDF").click()
    # the name the command line gives: the clinic's folder name, the UK's A4
    assert download.value.suggested_filename == "ketamine-patient-harbour-test-clinic-a4.pdf"
    path = tmp_path / "copy.pdf"
    download.value.save_as(path)
    texts = page_texts(path)
    assert "Harbour Test Clinic" in texts[0]
    assert "Harbour Test Clinic" in texts[-1] and "01632 960 123" in texts[-1]


def test_every_mistake_is_shown_at_once_next_to_its_field(server: str, page) -> None:
    page.goto(server + "/")
    fill_clinic(page, "Riverside Test", "(555) 010-2000")
    page.get_by_label("Website").fill("www.clinic")
    # what a hand-edited form (or another client) could send: the server must check it
    page.evaluate("""() => {
        const paper = document.getElementById('paper');
        paper.add(new Option('A4 ', 'A4 ', true, true));
        const colour = document.getElementById('accent_colour');
        colour.type = 'text';
        colour.value = 'teal';
    }""")
    page.get_by_role("button", name="Preview").click()
    summary = page.get_by_role("alert")
    assert summary.locator("li").count() == 3
    expected = {"paper": "choose Letter, A4, A5 or half-letter",
                "accent_colour": "'teal' is not a colour",
                "website": "'www.clinic' is not a web address"}
    for field, message in expected.items():
        element = page.locator(f"#{field}")
        assert element.get_attribute("aria-invalid") == "true"
        described = element.get_attribute("aria-describedby").split()
        assert f"{field}-error" in described
        assert message in page.locator(f"#{field}-error").inner_text()
        assert message in summary.inner_text()
    assert page.get_by_label("Clinic name").input_value() == "Riverside Test"
    assert page.get_by_label("Phone number", exact=True).input_value() == "(555) 010-2000"
    assert page.get_by_label("Website").input_value() == "www.clinic"
    assert page.get_by_label("Clinic name").get_attribute("aria-invalid") is None


def test_a_logo_that_is_not_an_image_is_refused_next_to_the_field(server: str, page) -> None:
    page.goto(server + "/")
    fill_clinic(page, "Riverside Test", "(555) 010-2000")
    page.get_by_label("Logo", exact=True).set_input_files(files=[{
        "name": "logo.png", "mimeType": "image/png",
        "buffer": b"<html><script>alert(1)</script></html>"}])
    page.get_by_role("button", name="Preview").click()
    logo = page.locator("#logo")
    assert logo.get_attribute("aria-invalid") == "true"
    assert "logo-error" in logo.get_attribute("aria-describedby").split()
    assert "is not a PNG, JPEG or SVG image" in page.locator("#logo-error").inner_text()
    assert page.get_by_role("alert").locator("li").count() == 1


def raw_status(url: str, path: str) -> int:
    """The status of GET `path` sent exactly as written (no client tidies its dots)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def test_no_path_reaches_a_file_outside_the_assets_and_builds(server: str, project: Path) -> None:
    assert raw_status(server, "/static/app.css") == 200
    for path in ("/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "/static/../../../../etc/passwd", "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
                 "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/./app.css",
                 "/static/..\\..\\serve.py", "/static/app.css/../../serve.py",
                 "/%2e%2e/%2e%2e/etc/passwd", "/files/nothing/etc/passwd",
                 "/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        assert raw_status(server, path) == 404, path
    # an editor build's web edition is served, but nothing that leads out of its folder
    with urllib.request.urlopen(f"{server}/editor?booklet=demo&edition=patient&view=web",
                                timeout=BUILD_TIMEOUT / 1000) as answer:
        src = re.search(r'<iframe src="(/files/([^/"]+)/[^"]+)"', answer.read().decode())
    assert raw_status(server, src[1]) == 200
    folder = next(project.glob(f".booklet-serve-*/{src[2]}"))
    (folder / "passwd").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    for path in ("passwd", "etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "../../etc/passwd"):
        assert raw_status(server, f"/files/{src[2]}/{path}") == 404, path


def test_two_downloads_at_once_give_two_right_pdfs(server: str) -> None:
    token = csrf_token(server)
    clinics = {"Alpha Clinic": "01632 960 001", "Beta Clinic": "01632 960 002"}
    results: dict[str, tuple[str, bytes]] = {}
    start = threading.Barrier(len(clinics))

    def download(name: str, phone: str) -> None:
        body = urllib.parse.urlencode({"csrf": token, "name": name, "phone_number": phone,
                                       "phone_label": "", "edition": DEMO, "country": "GB",
                                       "action": "download"}).encode()
        start.wait()
        with urllib.request.urlopen(server + "/", data=body,
                                    timeout=BUILD_TIMEOUT / 1000) as answer:
            results[name] = (answer.headers["content-disposition"], answer.read())

    threads = [threading.Thread(target=download, args=item) for item in clinics.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == set(clinics)
    for name, phone in clinics.items():
        disposition, pdf = results[name]
        slug = name.lower().replace(" ", "-")
        assert disposition == f'attachment; filename="demo-patient-{slug}-a4.pdf"'
        texts = page_texts_of(pdf)
        other = next(n for n in clinics if n != name)
        assert name in texts[0] and name in texts[-1] and phone in texts[-1]
        assert other not in "".join(texts)


def page_texts_of(pdf: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_post_without_the_csrf_token_is_refused(server: str) -> None:
    body = urllib.parse.urlencode({"name": "X", "phone_number": "01632 960 001",
                                   "action": "save"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(server + "/", data=body, timeout=60)
    assert refused.value.code == 403


def test_save_writes_the_clinic_folder_and_asks_before_replacing_it(
        server: str, page, project: Path) -> None:
    from booklet.clinic import load_clinic
    from booklet.sandbox import enter_project

    enter_project(project)  # the folder load_clinic may read
    page.goto(server + "/")
    fill_clinic(page, "Saved Clinic", "01632 960 010")
    page.get_by_label("Logo", exact=True).set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="Save this clinic").click()
    assert "clinics/saved-clinic/" in page.get_by_role("status").inner_text()
    folder = project / "clinics/saved-clinic"
    clinic = load_clinic(folder)
    assert (clinic.name, clinic.phones[0].number, clinic.logo) == (
        "Saved Clinic", "01632 960 010", "logo.png")
    saved = (folder / "clinic.toml").read_text()
    page.get_by_label("Phone number", exact=True).fill("01632 960 011")
    page.get_by_role("button", name="Save this clinic").click()
    assert "already saved" in page.get_by_role("alert").inner_text()
    assert (folder / "clinic.toml").read_text() == saved
    page.get_by_label("Replace the saved clinic").check()
    page.get_by_role("button", name="Save this clinic").click()
    assert load_clinic(folder).phones[0].number == "01632 960 011"
    assert (folder / "logo.png").read_bytes() == PNG  # the logo was kept between the posts


def test_the_editor_preview_follows_the_files_and_shows_content_errors(
        server: str, page, project: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    section = project / "content/demo/10-intro.md"
    original = section.read_text()
    page.goto(f"{server}/editor?booklet=demo&edition=patient&language=en-GB&view=web")
    edition = page.frame_locator("iframe").locator("body")
    expect(edition).to_contain_text("Patient words", timeout=BUILD_TIMEOUT)
    expect(page.locator("#preview")).to_contain_text("checked 1 edition(s)")
    try:
        section.write_text(original.replace("drink water", "drink water, freshly edited"))
        expect(edition).to_contain_text("freshly edited", timeout=BUILD_TIMEOUT)
        section.write_text(original + "\n::: patient\n\nNever closed.\n")
        cli = subprocess.run([sys.executable, str(REPO / "build.py"), "patient", "--out",
                              str(tmp_path)], cwd=project,
                             capture_output=True, text=True, env={**os.environ,
                                                                  "LANGUAGE": "en"})
        errors = [line for line in cli.stderr.splitlines() if line.startswith("error: ")]
        message = errors[0].removeprefix("error: ")
        assert "is never closed" in message
        expect(page.get_by_role("alert")).to_contain_text(message, timeout=BUILD_TIMEOUT)
    finally:
        section.write_text(original)
    expect(page.get_by_role("alert")).to_have_count(0, timeout=BUILD_TIMEOUT)
    expect(edition).to_contain_text("Patient words", timeout=BUILD_TIMEOUT)


def pages_to_check(server: str, page):
    """Each page of the app in each state, as (name, a function that opens it)."""
    def form() -> None:
        page.goto(server + "/")

    def mistakes() -> None:
        page.goto(server + "/")
        page.get_by_label("Website").fill("www.clinic")
        page.get_by_role("button", name="Preview").click()

    def preview() -> None:
        page.goto(server + "/")
        fill_clinic(page, "Preview Clinic", "01632 960 020")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("heading", name="Preview").wait_for(timeout=BUILD_TIMEOUT)

    def editor() -> None:
        page.goto(f"{server}/editor?booklet=demo&edition=patient")

    return [("form", form), ("mistakes", mistakes), ("preview", preview), ("editor", editor)]


def test_every_page_has_no_wcag_21_aa_violation(server: str, page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for name, open_page in pages_to_check(server, page):
        open_page()
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
        found = [(v["id"], v["nodes"][0]["html"][:120]) for v in results.response["violations"]]
        assert found == [], name
        assert results.response["passes"], name


def test_every_page_fits_a_phone_and_a_desktop(server: str, browser, tmp_path: Path) -> None:
    for width in (375, 1280):
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name, open_page in pages_to_check(server, page):
            open_page()
            page.screenshot(path=tmp_path / f"{name}-{width}.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        page.close()


def test_the_keyboard_alone_reaches_every_field_and_button_in_order(server: str, page) -> None:
    page.goto(server + "/")
    controls = page.evaluate("""() => Array.from(document.querySelectorAll(
        'a[href], input:not([type=hidden]), select, button:not([hidden])'
    )).map(element => element.id || element.textContent.trim())""")
    assert "Download PDF" in controls and "logo" in controls and "fold" in controls
    reached = []
    for _control in controls:
        page.keyboard.press("Tab")
        reached.append(page.evaluate(
            "() => document.activeElement.id || document.activeElement.textContent.trim()"))
    assert reached == controls
    # and the keyboard alone makes a copy: type the two fields, then Enter on Download PDF
    page.goto(server + "/")
    tab_to(page, "name")
    page.keyboard.type("Keyboard Clinic")
    page.keyboard.press("Tab")
    page.keyboard.type("01632 960 030")
    tab_to(page, "Download PDF")
    with page.expect_download(timeout=BUILD_TIMEOUT) as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename == "demo-patient-keyboard-clinic-letter.pdf"


def tab_to(page, control: str) -> None:
    """Presses Tab until `control` (an id or a button's text) has the focus."""
    for _press in range(100):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id || "
                         "document.activeElement.textContent.trim()") == control:
            return
    raise AssertionError(f"Tab never reaches {control}")


def test_serve_documents_its_options_and_refuses_a_bad_port(capsys) -> None:
    from booklet.serve import main, make_parser

    readme = (REPO / "README.md").read_text()
    for action in make_parser()._actions:
        for option in action.option_strings:
            if option not in ("-h", "--help"):
                assert action.help and re.search(rf"[\s`]{re.escape(option)}(?![\w-])",
                                                 readme), option
    assert main(["--port", "70000"]) == 2
    assert "expected a port number from 0 to 65535, not '70000'" in capsys.readouterr().err


def test_a_jpeg_logo_becomes_a_png_and_a_hostile_svg_is_refused() -> None:
    import io

    from PIL import Image

    from booklet.clinic_form import check_logo
    from booklet.errors import BookletError

    jpeg = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(jpeg, "JPEG")
    logo = check_logo("Our Logo.JPG", jpeg.getvalue())
    assert logo.name == "logo.png" and logo.data.startswith(b"\x89PNG\r\n\x1a\n")
    entities = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')
    for name, data, message in (("logo.svg", entities, "has a DTD or entities"),
                                ("logo.gif", PNG, "a logo must be a PNG, JPEG or SVG file"),
                                ("logo.jpg", b"<html></html>", "is not a PNG, JPEG or SVG image")):
        with pytest.raises(BookletError, match=message):
            check_logo(name, data)

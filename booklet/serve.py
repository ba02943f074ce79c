"""booklet in the browser (`python build.py serve`): a clinic's own copy made from a form, and
an editor's preview that refreshes itself when a project file is saved.

A Starlette app on uvicorn, for one machine: it binds to 127.0.0.1 unless told otherwise,
checks a CSRF token on every form post and the Host header on every request, takes uploads
of limited size and type, and serves files only from its own assets and its private build
folders. Every build goes through booklet.build.build() in the server's worker pool, into a
private temporary folder; a mistake in the content or the form is shown on the page, never
stops the server.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hmac
import io
import ipaddress
import secrets
import shutil
import socket
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from booklet.build import Options, build, check
from booklet.clinic_form import ClinicForm, Logo, read_form, write_clinic
from booklet.errors import BookletError
from booklet.i18n import _, is_country, user_language
from booklet.images import MAX_IMAGE_BYTES
from booklet.paper import PAPER_SIZES
from booklet.report import Reporter

APP_DIR = Path(__file__).resolve().parent / "app"
STATIC_DIR = APP_DIR / "static"
MAX_BODY = MAX_IMAGE_BYTES + 1_000_000  # a logo and the form's fields
KEPT_LOGOS = 100  # uploads kept for the next post of the same form
KEPT_BUILDS = 8  # editor builds whose files (the web edition) are still served
WATCHED = ("content", "editions", "templates", "clinics")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'self'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
# The web edition shown in the editor has its own style attributes, and no scripts.
FILES_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "script-src 'none'; frame-ancestors 'self'")


@dataclass(frozen=True)
class Choice:
    """One copy the form offers: a booklet's edition in one of its languages."""

    booklet: str
    edition: str
    language: str
    text: str

    @property
    def value(self) -> str:
        return f"{self.booklet}/{self.edition}/{self.language}"


@dataclass
class EditorView:
    """What the editor preview shows for one choice: pages or the web edition, the check
    report, and the one-line messages of what went wrong."""

    sheet: str = ""  # data: URL of the contact sheet
    web: str = ""  # address of the web edition
    report: str = ""
    notes: list[str] = field(default_factory=list)  # the check's error and warning lines
    errors: list[str] = field(default_factory=list)


class Server:
    """The app's state: the project, the worker pool, the CSRF secret, kept uploads, editor
    builds and the version of the project's files (raised on each change)."""

    def __init__(self, project: Path, jobs: int) -> None:
        self.project = project.resolve()
        self.jobs = jobs
        self.token = secrets.token_urlsafe(32)
        self.logos: OrderedDict[str, Logo] = OrderedDict()
        self.builds: OrderedDict[str, Path] = OrderedDict()  # token: private output folder
        self.views: dict[tuple, EditorView] = {}
        self.editor_lock = asyncio.Lock()
        self.version = 0
        self.private = self.project  # until the server starts: then its own folder in it
        self.workers: Any = None
        language = user_language()
        self.lang = language.tag
        self.pages = jinja2.Environment(
            loader=jinja2.FileSystemLoader(APP_DIR), autoescape=True,
            extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined)
        self.pages.install_gettext_translations(language.translations, newstyle=True)

    # lifetime

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette):
        from booklet.batch import Workers

        self.private = Path(tempfile.mkdtemp(prefix=".booklet-serve-", dir=self.project))
        self.workers = Workers(self.jobs)
        # start the workers now, while this process has one thread (forking later, from a
        # request's thread, could copy a lock another thread holds)
        list(self.workers.map_unordered(int, [0]))
        stop = asyncio.Event()
        watcher = asyncio.create_task(self.watch(stop))
        try:
            yield
        finally:
            stop.set()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self.workers.__exit__(None, None, None)
            shutil.rmtree(self.private, ignore_errors=True)

    async def watch(self, stop: asyncio.Event) -> None:
        """Raises the version whenever a file in content/, editions/, templates/ or clinics/
        changes."""
        from watchfiles import awatch

        folders = [self.project / name for name in WATCHED if (self.project / name).is_dir()]
        async for _changes in awatch(*folders, stop_event=stop, debounce=400, step=50):
            self.version += 1

    # pages

    def page(self, template: str, code: int = 200, **context: Any) -> HTMLResponse:
        html = self.pages.get_template(template).render(lang=self.lang, csrf=self.token,
                                                        **context)
        return HTMLResponse(html, status_code=code)

    def choices(self) -> list[Choice]:
        """Every booklet, edition and language the project builds (no clinic)."""
        from booklet.project import Project

        project = Project(self.project)
        language = user_language()
        return [Choice(job.booklet.name, job.edition.name, job.booklet.config.language,
                       f"{job.booklet.config.title}: {job.booklet.edition_text(job.edition).label}"
                       f" ({language.name_of(job.booklet.config.language)})")
                for job in project.jobs([])]

    async def clinic_page(self, request: Request) -> Response:
        if request.method != "POST":
            return await self.show_form(ClinicForm())
        form = await self.read_post(request)
        kept = self.logos.get(str(form.get("logo_kept", "")))
        clinic = read_form(form, kept)
        action = str(form.get("action", "preview"))
        if action == "add-phone":
            clinic.phones.append(("", ""))
            return await self.show_form(clinic, focus=f"phone-number-{len(clinic.phones) - 1}")
        choices = await self.choices_or_error()
        chosen = next((c for c in choices[0] if c.value == clinic.value("edition")), None)
        if chosen is None and choices[0]:
            clinic.errors["edition"] = _("choose one of the editions listed")
        clinic.validate()
        if clinic.errors or chosen is None:
            return await self.show_form(clinic, status=422, choices=choices)
        if action == "save":
            return await self.save(clinic, form, choices)
        try:
            name, pdf, files, warnings = await self.build_copy(clinic, chosen, action == "preview")
        except BookletError as error:
            return await self.show_form(clinic, status=422, choices=choices,
                                        build_error=str(error))
        if action == "download":
            return Response(pdf, media_type="application/pdf", headers={
                "content-disposition": f'attachment; filename="{name}"'})
        return await self.show_form(clinic, choices=choices, preview=files, download=name,
                                    warnings=warnings)

    async def read_post(self, request: Request):
        """The posted form, refused when too large or without this server's CSRF token."""
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            raise HTTPException(411)
        if int(length) > MAX_BODY:
            raise HTTPException(413)
        form = await request.form(max_files=1, max_fields=200)
        if not hmac.compare_digest(str(form.get("csrf", "")), self.token):
            raise HTTPException(403)
        return form

    async def choices_or_error(self) -> tuple[list[Choice], str]:
        try:
            return await run_in_threadpool(self.choices), ""
        except BookletError as error:
            return [], str(error)

    async def show_form(self, clinic: ClinicForm, status: int = 200,
                        choices: tuple[list[Choice], str] | None = None, focus: str = "",
                        **context: Any) -> Response:
        listed, content_error = choices or await self.choices_or_error()
        if not clinic.value("edition") and listed:
            default = next((c for c in listed if c.edition == "patient"), listed[0])
            clinic.values["edition"] = default.value
        kept = ""
        if clinic.logo:
            kept = secrets.token_urlsafe(16)
            self.logos[kept] = clinic.logo
            while len(self.logos) > KEPT_LOGOS:
                self.logos.popitem(last=False)
        context = {"build_error": content_error, "preview": None, "download": "",
                   "warnings": [], "saved": "", "exists": "", **context}
        return self.page("clinic.html", status, page="clinic", form=clinic, choices=listed,
                         countries=countries(), papers=papers(), labels=labels(clinic),
                         kept=kept, focus=focus, **context)

    async def build_copy(self, clinic: ClinicForm, chosen: Choice, preview: bool
                         ) -> tuple[str, bytes, dict[str, str], list[str]]:
        """The clinic's copy built in the pool from its own folder: the file to print (its
        name, bytes), for a preview the cover, back page and contact sheet as data: URLs,
        and the build's warnings."""
        private = Path(tempfile.mkdtemp(dir=self.private))
        try:
            folder = write_clinic(private, clinic)
            options = Options(names=(chosen.booklet, chosen.edition), language=chosen.language,
                              out=private / "out", clinics=(str(folder),),
                              large_print=clinic.large_print, fold=clinic.fold, force=True,
                              jobs=self.jobs)
            reporter = quiet_reporter()
            result = await run_in_threadpool(build, self.project, options, reporter,
                                             self.workers)
            if result.errors:
                raise BookletError("\n".join(result.errors))
            pages = next(name for name in result.files if not name.endswith("-booklet.pdf"))
            name = next((n for n in result.files if n.endswith("-booklet.pdf")), pages)
            pdf = (options.out / name).read_bytes()
            files = await run_in_threadpool(preview_images, (options.out / pages).read_bytes()
                                            ) if preview else {}
            return name, pdf, files, reporter.warnings
        finally:
            shutil.rmtree(private, ignore_errors=True)

    async def save(self, clinic: ClinicForm, form, choices: tuple[list[Choice], str]
                   ) -> Response:
        """Writes clinics/<id>/ (clinic.toml and the logo); an existing folder is replaced
        only when the form says so."""
        clinics = self.project / "clinics"
        target = clinics / clinic.clinic_id
        if (target.exists() or target.is_symlink()) and not form.get("replace"):
            return await self.show_form(clinic, status=409, choices=choices, exists=target.name)
        private = Path(tempfile.mkdtemp(dir=self.private))
        try:
            written = write_clinic(private, clinic)
            from booklet.clinic import load_clinic

            await run_in_threadpool(load_clinic, written)  # the same checks as a build's
            clinics.mkdir(exist_ok=True)
            if target.exists() or target.is_symlink():
                target.rename(private / "replaced")
            written.rename(target)
        except BookletError as error:
            return await self.show_form(clinic, status=422, choices=choices,
                                        build_error=str(error))
        finally:
            shutil.rmtree(private, ignore_errors=True)
        return await self.show_form(clinic, choices=choices, saved=target.name)

    async def editor_page(self, request: Request) -> Response:
        query = request.query_params
        listed, content_error = await self.choices_or_error()
        booklets = [(name, name) for name in dict.fromkeys(c.booklet for c in listed)]
        editions = [(name, name) for name in dict.fromkeys(c.edition for c in listed)]
        languages = list(dict.fromkeys(c.language for c in listed))
        first = next((c for c in listed if c.edition == "patient"), listed[0] if listed else None)
        chosen = {"booklet": query.get("booklet") or (first.booklet if first else ""),
                  "edition": query.get("edition") or (first.edition if first else ""),
                  "language": query.get("language") or (first.language if first else ""),
                  "paper": query.get("paper", ""),
                  "view": "web" if query.get("view") == "web" else "pages"}
        version = self.version
        view = EditorView(errors=[content_error] if content_error else [])
        if listed:
            view = await self.editor_view(chosen, version)
        return self.page("editor.html", page="editor", booklets=booklets, editions=editions,
                         languages=[(tag, user_language().name_of(tag)) for tag in languages],
                         papers=papers(), chosen=chosen, view=view, version=version)

    async def editor_view(self, chosen: dict[str, str], version: int) -> EditorView:
        """The chosen copy built and checked, once per version of the project's files."""
        key = (*chosen.values(), version)
        async with self.editor_lock:
            if key not in self.views:
                self.views = {k: v for k, v in self.views.items() if k[-1] == version}
                self.views[key] = await run_in_threadpool(self.build_view, chosen)
            return self.views[key]

    def build_view(self, chosen: dict[str, str]) -> EditorView:
        paper = chosen["paper"] if chosen["paper"] in PAPER_SIZES else None
        options = Options(names=(chosen["booklet"], chosen["edition"]),
                          language=chosen["language"], paper=paper,
                          web=chosen["view"] == "web", force=True, jobs=self.jobs,
                          out=Path(tempfile.mkdtemp(dir=self.private)))
        self.builds[options.out.name] = options.out
        while len(self.builds) > KEPT_BUILDS:
            shutil.rmtree(self.builds.popitem(last=False)[1], ignore_errors=True)
        view = EditorView()
        try:
            result = build(self.project, options, quiet_reporter(), self.workers)
            view.errors += result.errors
            for name in result.files:
                if name.endswith("/index.html"):
                    view.web = f"/files/{options.out.name}/{name}"
                elif name.endswith(".pdf") and not name.endswith("-booklet.pdf") \
                        and not name.startswith("web/"):
                    from booklet.preview import contact_sheet

                    view.sheet = data_url(contact_sheet((options.out / name).read_bytes()))
        except BookletError as error:
            view.errors.append(str(error))
        report, notes = io.StringIO(), io.StringIO()
        try:
            check(self.project, options, Reporter(stdout=report, stderr=notes))
        except BookletError as error:
            view.errors.append(str(error))
        view.errors = list(dict.fromkeys(line for text in view.errors
                                         for line in text.splitlines()))
        view.report = report.getvalue()
        view.notes = notes.getvalue().splitlines()
        return view

    async def version_of_files(self, request: Request) -> Response:
        return JSONResponse({"version": self.version})

    async def static(self, request: Request) -> Response:
        return file_response(STATIC_DIR, request.path_params["path"])

    async def built_file(self, request: Request) -> Response:
        folder = self.builds.get(request.path_params["token"])
        if folder is None:
            raise HTTPException(404)
        response = file_response(folder, request.path_params["path"])
        response.headers["content-security-policy"] = FILES_POLICY
        return response

    async def problem(self, request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        return self.page("problem.html", status, page="", status=status)


def file_response(root: Path, relative: str) -> FileResponse:
    """A file under `root`, or 404: no '..', '.', empty or absolute parts, no backslashes,
    and no symlink on the way (the real path must be the path asked for)."""
    parts = relative.split("/")
    if "\\" in relative or "\0" in relative or any(part in ("", ".", "..") for part in parts):
        raise HTTPException(404)
    wanted = root.resolve().joinpath(*parts)
    if wanted.resolve() != wanted or not wanted.is_file():
        raise HTTPException(404)
    return FileResponse(wanted)


def preview_images(pdf: bytes) -> dict[str, str]:
    """The cover and the back page large, and every page as a thumbnail, as data: URLs."""
    from booklet.preview import contact_sheet, page_image

    return {"cover": data_url(page_image(pdf, 0, 480)), "back": data_url(page_image(pdf, -1, 480)),
            "sheet": data_url(contact_sheet(pdf))}


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def quiet_reporter() -> Reporter:
    """A reporter that keeps a build's lines off the server's console (warnings are kept)."""
    return Reporter(quiet=True, stdout=io.StringIO(), stderr=io.StringIO())


def countries() -> list[tuple[str, str]]:
    """(code, name in the user's language) of every ISO 3166 country, by name."""
    names = user_language().locale.territories
    return sorted(((code, name) for code, name in names.items() if is_country(code)),
                  key=lambda item: item[1])


def papers() -> list[tuple[str, str]]:
    return [("letter", _("Letter")), ("a4", _("A4")), ("a5", _("A5")),
            ("half-letter", _("Half letter"))]


def labels(clinic: ClinicForm) -> dict[str, str]:
    """Each field's label, as the error summary names it."""
    found = {"name": _("Clinic name")}
    for row in range(len(clinic.phones)):
        found[f"phone-number-{row}"] = phone_label(row)
        found[f"phone-label-{row}"] = _("What this number is for")
    return found | {
        "address": _("Address"), "website": _("Website"), "email": _("Email"),
        "opening_hours": _("Opening hours"), "accent_colour": _("Accent colour"),
        "logo": _("Logo"), "logo_alt": _("What the logo shows"),
        "crisis_name": _("Name of the line"), "crisis_contact": _("How to reach it"),
        "crisis_region": _("Area it serves"), "country": _("Country"), "edition": _("Edition"),
        "paper": _("Paper size")}


def field_attributes(form: ClinicForm, field_id: str, hint: bool | str = False) -> Markup:
    """A field's aria-describedby (its hint, its error) and, when wrong, aria-invalid."""
    ids = [f"{field_id}-hint"] if hint else []
    if form.errors.get(field_id):
        ids.append(f"{field_id}-error")
    attributes = [f'aria-describedby="{escape(" ".join(ids))}"'] if ids else []
    if form.errors.get(field_id):
        attributes.append('aria-invalid="true"')
    return Markup("".join(f" {attribute}" for attribute in attributes))


def phone_label(row: int) -> str:
    return _("Phone number") if row == 0 else _("Phone number %(number)d") % {"number": row + 1}


class SecurityHeaders:
    """Adds the security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *(
                    (name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()
                    if name.encode() not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_app(project: Path, hosts: list[str], jobs: int) -> Starlette:
    server = Server(project, jobs)
    server.pages.globals.update(phone_label=phone_label, field_attributes=field_attributes)
    routes = [Route("/", server.clinic_page, methods=["GET", "POST"]),
              Route("/editor", server.editor_page),
              Route("/version", server.version_of_files),
              Route("/static/{path:path}", server.static),
              Route("/files/{token}/{path:path}", server.built_file)]
    return Starlette(routes=routes, lifespan=server.lifespan,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                                 Middleware(SecurityHeaders)],
                     exception_handlers={HTTPException: server.problem,
                                         Exception: server.problem})


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def port_number(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(_("expected a port number from 0 to 65535, not "
                                           "'%(value)s'") % {"value": value})
    return int(value)


def make_parser() -> argparse.ArgumentParser:
    import os

    parser = argparse.ArgumentParser(
        prog="build.py serve",
        description=_("Make clinic copies and preview booklets in a web browser, on this "
                      "machine."))
    parser.add_argument("--port", type=port_number, default=8000, metavar="N",
                        help=_("port to listen on (default: 8000; 0 picks a free one)"))
    parser.add_argument("--host", default="127.0.0.1", metavar="HOST",
                        help=_("address to listen on (default: 127.0.0.1, this machine only)"))
    parser.add_argument("--project", default=".", metavar="DIR",
                        help=_("project folder holding content/, editions/ and templates/ "
                          "(default: current folder)"))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help=_("worker processes that lay out PDFs (default: the number of "
                               "cores)"))
    return parser


def main(argv: list[str]) -> int:
    """Runs the server until Ctrl-C or SIGTERM; 2 when it cannot start."""
    import uvicorn

    try:
        args = make_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    reporter = Reporter()
    project = Path(args.project)
    if not (project / "content").is_dir():
        reporter.error(_("%(folder)s: no content folder; pass the project folder with "
                         "--project") % {"folder": project})
        return 2
    hosts = ["*"]
    if loopback(args.host):
        hosts = ["127.0.0.1", "localhost", "[::1]", "::1", args.host]
    else:
        reporter.warning(_("--host %(host)s: anyone who can reach this machine on the network "
                           "can use the app and save clinics; use it only on a network you "
                           "trust") % {"host": args.host})
    try:
        family, kind, _proto, _name, address = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_STREAM)[0]
        listener = socket.socket(family, kind)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        reporter.error(_("cannot listen on %(address)s: %(reason)s; choose another port with "
                         "--port") % {"address": f"{args.host}:{args.port}",
                                      "reason": error.strerror or error})
        return 2
    port = listener.getsockname()[1]
    shown = f"[{args.host}]" if ":" in args.host else args.host
    app = make_app(project, hosts, max(1, args.jobs))
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2)
    reporter.info(_("booklet is running at %(address)s (Ctrl-C stops it)")
                  % {"address": f"http://{shown}:{port}/"})
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn stops, then raises the signal again
        uvicorn.Server(config).run(sockets=[listener])
    reporter.info(_("booklet has stopped"))
    return 0

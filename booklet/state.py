"""What each build into an output folder was made from, so that running the same command
again with nothing changed does nothing.

A run's key is the hash of everything its files can depend on: the command's options, the
day (a review reminder counts the days), the versions of booklet and the libraries that
lay out the pages, and the content of every file
in the project's content/, editions/, clinics/ and templates/ folders and of booklet's own
code and message catalogs. The output folder's `.booklet-state.json` keeps, per command,
that key and the sha256 of each file the run wrote.

When a run must build, a copy whose layout inputs are unchanged is not laid out again: its
`copies` record keeps, per copy, the hash of its HTML, stylesheets, edition fields, templates,
code and library versions (layout_key), the sha256 of each file its layout loaded (pictures,
a clinic's logo) and of the files it wrote; when all still match, the files are reused as
they are, so editing a clinician-only paragraph lays out only the editions that print it.
This module reads only files and
package metadata: it imports none of WeasyPrint, Jinja or pydantic, so a run that is up to
date ends before they would load.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from datetime import date
from importlib import metadata
from pathlib import Path

STATE = ".booklet-state.json"
COPIES = "copies"  # the state file's per-copy records (the other keys are commands)
PROJECT_FOLDERS = ("content", "editions", "clinics", "templates")
PACKAGES = ("weasyprint", "pyphen", "textstat", "fontpkg-atkinson-hyperlegible", "pydyf",
            "markdown", "pymdown-extensions", "jinja2", "babel", "segno", "pikepdf", "pypdf")
ENGINE = Path(__file__).resolve().parent  # booklet's code and catalogs


def run_key(project: Path, options: dict[str, object]) -> tuple[str, str]:
    """(the command, as the state file names it; the hash of all it depends on)."""
    command = json.dumps(options, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{command}\n{date.today().isoformat()}\n".encode())
    digest.update(_engine_key().encode())
    _add_files(digest, [path for folder in PROJECT_FOLDERS
                        for path in sorted((project / folder).rglob("*"))])
    return command, digest.hexdigest()


def code_key(templates: Path) -> str:
    """The hash of what every copy's layout depends on: the libraries, booklet's code and
    catalogs, the templates."""
    digest = hashlib.sha256(_engine_key().encode())
    _add_files(digest, sorted(templates.rglob("*")))
    return digest.hexdigest()


def layout_key(code: str, html: str, stylesheets: tuple[str, ...], edition: str,
               body: str = "") -> str:
    """The hash of what a copy's pages depend on besides the files its HTML loads: `code`
    (code_key), its HTML, CSS and edition, and `body`, the key of the copy whose pages it
    shares, if any."""
    digest = hashlib.sha256(f"{code}\n{body}\n".encode())
    for text in (edition, html, *stylesheets):
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


def file_hashes(paths: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Each file's sha256 ("" when it cannot be read)."""
    hashes = {}
    for path in paths:
        try:
            hashes[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            hashes[path] = ""
    return hashes


def previous_copies(out_dir: Path) -> dict[str, dict]:
    """The per-copy records of earlier builds into `out_dir`, by copy (stem)."""
    copies = _read(out_dir).get(COPIES)
    return copies if isinstance(copies, dict) else {}


def reuse(out_dir: Path, record: dict | None, key: str) -> dict[str, bytes] | None:
    """The files a copy wrote last time, by name, when `record` has this layout `key`, the
    files its layout loaded are unchanged and its files are still there as written."""
    if not isinstance(record, dict) or record.get("key") != key:
        return None
    loaded, files = record.get("loaded"), record.get("files")
    if not isinstance(loaded, dict) or not isinstance(files, dict) or not files:
        return None
    if file_hashes(list(loaded)) != loaded:
        return None
    found = {}
    for name, sha256 in files.items():
        try:
            data = (out_dir / name).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != sha256:
            return None
        found[name] = data
    return found


def _engine_key() -> str:
    """The versions of the libraries that lay out pages and the hash of booklet's code and
    catalogs."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}={metadata.version(package)}\n".encode())
    _add_files(digest, sorted(path for path in ENGINE.rglob("*")
                              if path.suffix in (".py", ".po")))
    return digest.hexdigest()


def _add_files(digest, paths: list[Path]) -> None:
    for path in paths:
        if path.is_file():
            digest.update(f"{path}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def up_to_date(out_dir: Path, command: str, key: str) -> tuple[list[str], list[str]] | None:
    """The files the same command wrote last time and the warnings it gave, when its key is
    unchanged and each file is still there as written; None when the command must run."""
    run = _read(out_dir).get(command)
    if not isinstance(run, dict) or run.get("key") != key or not run.get("files"):
        return None
    for name, sha256 in run["files"].items():
        try:
            if hashlib.sha256((out_dir / name).read_bytes()).hexdigest() != sha256:
                return None
        except OSError:
            return None
    return sorted(run["files"]), [str(text) for text in run.get("warnings", [])]


def copy_record(key: str, pages: int, warnings: list[str], loaded: dict[str, str],
                files: dict[str, str]) -> dict[str, object]:
    """What reuse() needs to know of a copy just built: its layout key, page count and
    warnings, the files its layout loaded and the files it wrote (each name: sha256)."""
    return {"key": key, "pages": pages, "warnings": warnings, "loaded": loaded,
            "files": files}


def remember(out_dir: Path, command: str, key: str, files: dict[str, str],
             warnings: list[str], copies: dict[str, dict] | None = None) -> None:
    """Records that `command` with `key` wrote `files` (name: sha256 of the bytes just
    written), giving `warnings`, and the copies' records (stem: copy_record); a failure to
    record only means the next run builds again."""
    state = _read(out_dir)
    state[command] = {"key": key, "warnings": warnings, "files": files}
    if copies:
        earlier = state.get(COPIES)
        state[COPIES] = {**(earlier if isinstance(earlier, dict) else {}), **copies}
    with contextlib.suppress(OSError):
        handle, temporary = tempfile.mkstemp(prefix=STATE, dir=out_dir)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(state, file, indent=1, sort_keys=True)
        os.replace(temporary, out_dir / STATE)


def _read(out_dir: Path) -> dict:
    try:
        state = json.loads((out_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}

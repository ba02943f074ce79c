"""What each build into an output folder was made from, so that running the same command
again with nothing changed does nothing.

A run's key is the hash of everything its files can depend on: the command's options, the
day (a review reminder counts the days), the versions of booklet and the libraries that
lay out the pages, and the content of every file
in the project's content/, editions/, clinics/ and templates/ folders and of booklet's own
code and message catalogs. The output folder's `.booklet-state.json` keeps, per command,
that key and the sha256 of each file the run wrote. This module reads only files and
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
PROJECT_FOLDERS = ("content", "editions", "clinics", "templates")
PACKAGES = ("weasyprint", "pyphen", "textstat", "fontpkg-atkinson-hyperlegible", "pydyf",
            "markdown", "pymdown-extensions", "jinja2", "babel", "segno", "pikepdf", "pypdf")
ENGINE = Path(__file__).resolve().parent  # booklet's code and catalogs


def run_key(project: Path, options: dict[str, object]) -> tuple[str, str]:
    """(the command, as the state file names it; the hash of all it depends on)."""
    command = json.dumps(options, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{command}\n{date.today().isoformat()}\n".encode())
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}={metadata.version(package)}\n".encode())
    files = [path for folder in PROJECT_FOLDERS for path in sorted((project / folder).rglob("*"))]
    files += sorted(path for path in ENGINE.rglob("*") if path.suffix in (".py", ".po"))
    for path in files:
        if path.is_file():
            digest.update(f"{path}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return command, digest.hexdigest()


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


def remember(out_dir: Path, command: str, key: str, files: dict[str, bytes],
             warnings: list[str]) -> None:
    """Records that `command` with `key` wrote `files` (name: the bytes just written), giving
    `warnings` (a failure to record only means the next run builds again)."""
    state = _read(out_dir)
    state[command] = {"key": key, "warnings": warnings,
                      "files": {name: hashlib.sha256(data).hexdigest()
                                for name, data in files.items()}}
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

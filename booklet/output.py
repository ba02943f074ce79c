"""Takes finished files, gives them to output/: written whole or not at all, plus manifest.json."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from booklet.errors import BookletError
from booklet.i18n import _

MANIFEST = "manifest.json"


def prepare_output_dir(out_dir: Path) -> None:
    """Creates the output folder, or says clearly why it cannot be used."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BookletError("output path is a file, not a folder", out_dir,
                           hint="remove it or choose another --out")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BookletError(f"cannot create output folder: {error.strerror}", out_dir,
                           hint="choose another --out") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise BookletError("output folder is not writable", out_dir,
                           hint="fix its permissions or choose another --out")
    try:  # what os.access cannot tell: /proc, a read-only or full disk, no free inodes
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise BookletError(_("cannot write in the output folder: %(reason)s")
                           % {"reason": _reason(error)}, out_dir, hint=_write_hint(error)) from None


def output_path(out_dir: Path, name: str) -> Path:
    """`out_dir / name`, when `name` is a plain file name that stays in the output folder."""
    if not name or name.startswith(".") or Path(name).name != name or "\\" in name:
        raise BookletError(_("output file name '%(name)s' would leave the output folder")
                           % {"name": name}, out_dir,
                           hint=_("name booklets, editions, clinics and translations with "
                                  "letters, digits and hyphens"))
    return out_dir / name


def write_atomic(path: Path, data: bytes) -> None:
    """Writes `data` to a temporary file beside `path`, then renames it into place.

    On any failure (disk full, Ctrl-C) the previous file stays intact and no temporary file
    is left behind.
    """
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        if isinstance(error, OSError):
            raise _cannot_write(error, path) from None
        raise


def _cannot_write(error: OSError, path: Path) -> BookletError:
    return BookletError(_("cannot write file: %(reason)s") % {"reason": _reason(error)}, path,
                        hint=_write_hint(error))


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _write_hint(error: OSError) -> str:
    """What to do about a failed write: a full disk (space, inodes or quota) says so."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("free some disk space or choose another --out")
    return _("choose another --out")


def manifest_entry(path: Path, data: bytes, **fields: object) -> dict[str, object]:
    return {"file": path.name, **fields, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    path = out_dir / f".{MANIFEST}.lock"
    try:  # never through a symlink, which could lead to a file elsewhere
        lock = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise _cannot_write(error, path) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)


def update_manifest(out_dir: Path, entries: list[dict[str, object]]) -> None:
    """Adds or replaces `entries` in manifest.json; entries for files that are gone are dropped.

    A lock makes concurrent builds into the same folder merge their entries instead of losing one.
    """
    path = out_dir / MANIFEST
    with _locked(out_dir):
        by_file = {entry["file"]: entry for entry in _previous_entries(path)}
        by_file.update({e["file"]: e for e in entries})
        files = [by_file[name] for name in sorted(by_file) if (out_dir / name).exists()]
        text = json.dumps({"files": files}, indent=2) + "\n"
        write_atomic(path, text.encode("utf-8"))


def _previous_entries(path: Path) -> list[dict[str, object]]:
    """The entries of the manifest already in the folder that name a file in it; what is not
    such an entry (text that is not JSON, an entry that is not an object or has no file name)
    is left out, to be replaced by the entries of this build."""
    try:
        files = json.loads(path.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(files, list):
        return []
    return [entry for entry in files if isinstance(entry, dict)
            and isinstance(name := entry.get("file"), str)
            and name not in ("", ".", "..") and Path(name).name == name]

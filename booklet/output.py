"""Takes finished files, gives them to output/ with manifest.json: each file whole, and the
manifest always listing what is on disk.

Every file of a run is first written into a staging folder inside the output folder; only when
all of them (and the new manifest) are written are they renamed into place, which takes no disk
space. A run that is not a batch is all-or-nothing: if one file cannot be written, or cannot be
renamed, the previous files and manifest stay as they were.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from booklet.errors import BookletError, interrupts_held
from booklet.i18n import _

MANIFEST = "manifest.json"
STAGING_PREFIX = ".booklet-staging-"


@dataclass
class Copy:
    """The files of one built copy (name in the output folder → bytes) and their manifest
    entries; `error` says why they were not written, if they were not. Once staged, `files`
    is emptied and `written` holds each file's sha256."""

    files: dict[str, bytes]
    entries: list[dict[str, object]] = field(default_factory=list)
    error: str = ""
    written: dict[str, str] = field(default_factory=dict)


def prepare_output_dir(out_dir: Path) -> None:
    """Creates the output folder, or says clearly why it cannot be used (its manifest
    included), before anything is built."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BookletError(_("output path is a file, not a folder"), out_dir,
                           hint=_("remove it or choose another --out"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BookletError(_("cannot create output folder: %(reason)s")
                           % {"reason": error.strerror}, out_dir,
                           hint=_("choose another --out")) from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise BookletError(_("output folder is not writable"), out_dir,
                           hint=_("fix its permissions or choose another --out"))
    try:  # what os.access cannot tell: /proc, a read-only or full disk, no free inodes
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise BookletError(_("cannot write in the output folder: %(reason)s")
                           % {"reason": _reason(error)}, out_dir, hint=_write_hint(error)) from None
    read_manifest(out_dir)
    _remove_abandoned_staging(out_dir)


def _remove_abandoned_staging(out_dir: Path) -> None:
    """Staging folders of builds that were killed (SIGKILL, a power cut) before they could
    clean up: their process is gone. A running build's folder is left alone."""
    for folder in out_dir.glob(f"{STAGING_PREFIX}*"):
        pid = folder.name.removeprefix(STAGING_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def output_path(out_dir: Path, name: str) -> Path:
    """`out_dir / name`, when `name` is a plain file name that stays in the output folder."""
    if not name or name.startswith(".") or Path(name).name != name or "\\" in name:
        raise BookletError(_("output file name '%(name)s' would leave the output folder")
                           % {"name": name}, out_dir,
                           hint=_("name booklets, editions, clinics and translations with "
                                  "letters, digits and hyphens"))
    return out_dir / name


def manifest_entry(name: str, data: bytes, **fields: object) -> dict[str, object]:
    return {"file": name, **fields, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def read_manifest(out_dir: Path) -> list[dict[str, object]]:
    """The entries of the folder's manifest.json ([] when there is none)."""
    return load_manifest(out_dir)["files"]


def load_manifest(out_dir: Path) -> dict:
    """The folder's manifest.json: its "files" entries, and the "shard" a sharded build
    records (see booklet/shard.py). A manifest that is not one is refused rather than
    rewritten, which would lose the entries it still holds."""
    path = out_dir / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"files": []}
    except (OSError, UnicodeDecodeError) as error:
        raise _bad_manifest(path, str(getattr(error, "strerror", None) or error)) from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise _bad_manifest(path, str(error), getattr(error, "lineno", None)) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        raise _bad_manifest(path, _("it has no \"files\" list"))
    for number, entry in enumerate(files, start=1):
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not inside_folder(name):
            raise _bad_manifest(path, _("entry %(number)d has no \"file\" name")
                                % {"number": number})
    return data


def inside_folder(name: str) -> bool:
    """Whether `name` is a file in the output folder or in a folder of it (web/<copy>/…),
    never above it."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and "\\" not in name and all(
        part not in ("", ".", "..") and not part.startswith(".") for part in parts)


def _bad_manifest(path: Path, problem: str, line: int | None = None) -> BookletError:
    return BookletError(_("%(file)s is not a manifest that booklet wrote (%(problem)s)")
                        % {"file": MANIFEST, "problem": problem}, path, line,
                        _("fix it, or delete it and build every file again (the manifest "
                          "lists only the files built after that)"))


def publish(out_dir: Path, copies: list[Copy], whole: bool,
            shard: dict[str, object] | None = None) -> None:
    """Writes the copies' files and the updated manifest into `out_dir` (see Staging)."""
    with Staging(out_dir, whole) as staging:
        for copy in copies:
            staging.add(copy)
        staging.publish(shard)


class Staging:
    """A run's staging folder in the output folder. Each copy's files are written into it as
    soon as the copy is built, so a batch of any size holds no more than one copy's files in
    memory; publish() then renames them all into place with the updated manifest. With
    `whole`, all of them or none (a BookletError); otherwise a copy whose files cannot be
    written gets its `error` and is left out, and the others are written. Left unpublished,
    nothing in the output folder changes."""

    def __init__(self, out_dir: Path, whole: bool) -> None:
        self.out_dir, self.whole = out_dir, whole
        self.staged: list[Copy] = []
        try:
            self.folder = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-",
                                                dir=out_dir))
        except OSError as error:
            raise _cannot_write(error, out_dir) from None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, copy: Copy) -> Copy:
        """Writes a copy's files into the staging folder; they leave memory."""
        try:
            for name, data in copy.files.items():
                _write(self.folder / name, data, self.out_dir / name)
        except BookletError as error:
            if self.whole:
                raise
            copy.error = str(error)
        else:
            copy.written = {name: hashlib.sha256(data).hexdigest()
                            for name, data in copy.files.items()}
            self.staged.append(copy)
        copy.files = {}
        return copy

    def publish(self, shard: dict[str, object] | None = None) -> None:
        """Renames the staged files into place, the manifest last. A shard's record
        (booklet/shard.py) goes into the manifest with the sha256 of each file written;
        without one, the manifest records no shard."""
        with _locked(self.out_dir):
            names = [name for copy in self.staged for name in copy.written]
            entries = [entry for copy in self.staged for entry in copy.entries]
            if shard:
                shard = {**shard, "files": {name: sha256 for copy in self.staged
                                            for name, sha256 in copy.written.items()}}
            manifest = _manifest_text(self.out_dir, entries, set(names), shard)
            _write(self.folder / MANIFEST, manifest, self.out_dir / MANIFEST)
            with interrupts_held():  # Ctrl-C or SIGTERM waits: renaming is quick
                _rename_all(self.folder, self.out_dir, [*names, MANIFEST])


def _write(path: Path, data: bytes, shown: Path) -> None:
    """Writes `data` to `path` and flushes it to the disk; `shown` is the file it is for."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(path, 0o644)
    except OSError as error:
        raise _cannot_write(error, shown) from None


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


def _manifest_text(out_dir: Path, entries: list[dict[str, object]], coming: set[str],
                   shard: dict[str, object] | None) -> bytes:
    """The manifest with `entries` added or replaced and the run's shard record, if any;
    entries for files that are gone are dropped (`coming` are the files about to be renamed
    into place)."""
    by_file = {entry["file"]: entry for entry in read_manifest(out_dir)}
    by_file.update({entry["file"]: entry for entry in entries})
    files = [by_file[name] for name in sorted(by_file)
             if name in coming or (out_dir / name).exists()]
    manifest = {"shard": shard, "files": files} if shard else {"files": files}
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def _rename_all(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Renames the staged files into `out_dir`, the manifest last; if one rename fails, the
    files already replaced get their previous version back and the error is raised."""
    backups = staging / ".previous"
    backups.mkdir()
    done: list[str] = []
    for name in names:
        target = out_dir / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                (backups / name).parent.mkdir(parents=True, exist_ok=True)
                _keep(target, backups / name)
            os.replace(staging / name, target)
        except OSError as error:
            for replaced in reversed(done):
                with contextlib.suppress(OSError):
                    if (backups / replaced).exists():
                        os.replace(backups / replaced, out_dir / replaced)
                    else:
                        os.unlink(out_dir / replaced)
            raise _cannot_write(error, target) from None
        done.append(name)


def _keep(path: Path, backup: Path) -> None:
    """A hard link to `path` (no disk space needed), or a copy where links are not allowed."""
    try:
        os.link(path, backup)
    except OSError:
        shutil.copy2(path, backup)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """One build at a time updates the folder, so concurrent builds merge their manifest
    entries instead of losing one."""
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

"""Splits a build into slices ("shards") for job systems that run one command many times
(GitLab CI parallel jobs, Kubernetes Indexed Jobs, Slurm job arrays, GNU parallel), and merges
the folders the shards were built into back into one.

A shard's manifest.json records its slice: which shard of how many, how many copies the
whole build has, a digest of their names, its own copies and the sha256 of every file it
wrote. `merge` checks those records before it copies anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from booklet.errors import BookletError, combined, display_path
from booklet.i18n import _
from booklet.output import MANIFEST, Copy, inside_folder, load_manifest, prepare_output_dir, publish
from booklet.report import Reporter

if TYPE_CHECKING:
    from booklet.project import Job

J = TypeVar("J", bound="Job")
COUNT = "BOOKLET_SHARDS"  # the number of shards, for systems that do not say it


@dataclass(frozen=True)
class System:
    """A job system's variables: the shard's index, the number of shards, and the first
    index (a number, or the variable that holds it) and the step between indices."""

    name: str
    index: str
    count: str
    first: int | str
    step: str | None = None

    def variables(self) -> list[str]:
        return [self.index, self.count, *[name for name in (self.first, self.step)
                                          if isinstance(name, str)]]


def systems() -> list[System]:
    return [System(_("GitLab CI"), "CI_NODE_INDEX", "CI_NODE_TOTAL", 1),
            System(_("Kubernetes Indexed Job"), "JOB_COMPLETION_INDEX", COUNT, 0),
            System(_("Slurm job array"), "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT",
                   "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_STEP"),
            System(_("GNU parallel"), "PARALLEL_SEQ", COUNT, 1)]


@dataclass(frozen=True)
class Slice:
    """The index-th (from 1) of count shards, and where --shard auto found it."""

    index: int
    count: int
    system: str = ""  # e.g. "GitLab CI"
    variables: str = ""  # e.g. "CI_NODE_INDEX=2, CI_NODE_TOTAL=3"

    @property
    def spec(self) -> str:
        return f"{self.index}/{self.count}"

    def source(self) -> str:
        return f"{self.system} ({self.variables})"


def resolve(spec: str, environ: Mapping[str, str]) -> Slice:
    """--shard's value: 'I/N', or 'auto' for the slice the job system's variables give."""
    return from_environment(environ) if spec == "auto" else parse_shard(spec)


def parse_shard(spec: str) -> Slice:
    """'i/n' (1-based) as a Slice."""
    try:
        index, count = (int(part) for part in spec.split("/"))
    except ValueError:
        raise BookletError(_("--shard %(spec)s: expected I/N or auto, e.g. 2/8") % {"spec": spec},
                           hint=_("I runs from 1 to N")) from None
    if not 1 <= index <= count:
        raise BookletError(_("--shard %(spec)s: I must be between 1 and N") % {"spec": spec},
                           hint=_("e.g. --shard 1/4"))
    return Slice(index, count)


def from_environment(environ: Mapping[str, str]) -> Slice:
    """The slice the environment gives: the systems whose index variable is set must agree."""
    found = [_read(system, environ) for system in systems() if system.index in environ]
    if not found:
        choices = "; ".join(f"{', '.join(system.variables()[:2])} ({system.name})"
                            for system in systems())
        raise BookletError(_("--shard auto: no job system's shard index is set"),
                           hint=_("set the variables of one of: %(choices)s; or give --shard "
                                  "I/N") % {"choices": choices})
    first = found[0]
    for other in found[1:]:
        if other.spec != first.spec:
            raise BookletError(_("--shard auto: %(first)s and %(other)s give different shards")
                               % {"first": first.source(), "other": other.source()},
                               hint=_("unset one system's variables, or give --shard I/N"))
    return first


def _read(system: System, environ: Mapping[str, str]) -> Slice:
    shown = ", ".join(f"{name}={environ[name]}" for name in system.variables()
                      if name in environ)
    if system.count not in environ:
        raise BookletError(_("--shard auto: %(system)s sets %(index)s but not %(count)s")
                           % {"system": system.name, "index": system.index,
                              "count": system.count},
                           hint=_("set %(count)s to the number of shards") % {
                               "count": system.count})
    values = {name: _number(name, environ[name]) for name in system.variables()
              if name in environ}
    count = values[system.count]
    step = values.get(system.step, 1) if system.step else 1
    for name, value in ((system.count, count), (system.step, step)):
        if value < 1:
            raise BookletError(_("--shard auto: %(variable)s=%(value)d must be 1 or more")
                               % {"variable": name, "value": value})
    first = system.first if isinstance(system.first, int) else values.get(system.first, 0)
    offset = values[system.index] - first
    if offset % step or not 0 <= offset // step < count:
        raise BookletError(_("--shard auto: %(variables)s (%(system)s) is not one of %(count)d "
                             "shards") % {"variables": shown, "system": system.name,
                                          "count": count},
                           hint=_("%(index)s runs from %(first)d to %(last)d") % {
                               "index": system.index, "first": first,
                               "last": first + (count - 1) * step})
    return Slice(offset // step + 1, count, system.name, shown)


def _number(name: str, value: str) -> int:
    if not value.strip().isdigit():
        raise BookletError(_("--shard auto: %(variable)s=%(value)s is not a whole number")
                           % {"variable": name, "value": value},
                           hint=_("set it to 0, 1, 2 and so on, or give --shard I/N"))
    return int(value)


def shard(jobs: list[J], index: int, count: int) -> list[J]:
    """The index-th (from 1) of count slices of the jobs: in the order of their file names,
    dealt out in turn. So the same jobs give the same slices on every machine, whatever order
    they were planned in, and each slice has as many jobs (give or take one) and the same mix
    of editions as the others. The jobs keep their planned order."""
    order = sorted(range(len(jobs)), key=lambda number: jobs[number].stem)
    chosen = set(order[index - 1::count])
    return [job for number, job in enumerate(jobs) if number in chosen]


def record(jobs: list[Job], slice_: Slice) -> dict[str, object]:
    """The shard's record for its manifest (publish adds the files it wrote)."""
    names = sorted(job.stem for job in jobs)
    return {"index": slice_.index, "count": slice_.count, "of": len(jobs),
            "plan": hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest(),
            "jobs": sorted(job.stem for job in shard(jobs, slice_.index, slice_.count))}


@dataclass
class Shard:
    folder: Path
    record: dict
    entries: list[dict[str, object]]

    def describe(self) -> str:
        return _("shard %(index)d of %(count)d") % self.record


def merge(out_dir: Path, folders: list[Path], reporter: Reporter) -> list[str]:
    """Copies the files of the shards built into `folders` into `out_dir`, with one
    manifest.json listing them all. Nothing is written unless every shard of one build is
    there once and every file is as its manifest recorded; otherwise a BookletError names
    each problem. Returns the names written."""
    problems: list[BookletError] = []
    shards: list[Shard] = []
    for folder in folders:
        try:
            shards.append(_read_shard(folder))
        except BookletError as error:
            problems.append(error)
    if any(folder.resolve() == out_dir.resolve() for folder in folders):
        problems.append(BookletError(_("--out is one of the shards' folders"), out_dir,
                                     hint=_("merge into a new folder")))
    by_index: dict[int, Shard] = {}
    for one in shards:
        first = next(iter(by_index.values()), one)
        if (one.record["count"], one.record["plan"]) != (first.record["count"],
                                                         first.record["plan"]):
            problems.append(BookletError(
                _("%(shard)s is not a slice of the same build as %(other)s (%(other_shard)s)")
                % {"shard": one.describe(), "other": display_path(first.folder),
                   "other_shard": first.describe()}, one.folder / MANIFEST,
                hint=_("merge the shards of one command, run with only the shard changed")))
        elif one.record["index"] in by_index:
            problems.append(BookletError(
                _("%(folder)s and %(other)s are both %(shard)s")
                % {"folder": display_path(by_index[one.record["index"]].folder),
                   "other": display_path(one.folder), "shard": one.describe()},
                hint=_("give each shard's folder once")))
        else:
            by_index[one.record["index"]] = one
    if by_index:
        count = next(iter(by_index.values())).record["count"]
        for index in range(1, count + 1):
            if index not in by_index:
                problems.append(BookletError(
                    _("shard %(index)d of %(count)d is missing") % {"index": index,
                                                                     "count": count},
                    hint=_("add the folder it was built into, or build it again with --shard "
                           "%(spec)s") % {"spec": f"{index}/{count}"}))
    copies = []
    for one in sorted(by_index.values(), key=lambda one: one.record["index"]):
        try:
            copies.append(_files(one))
        except BookletError as error:
            problems += error.each()
    if problems:
        raise combined(problems)
    prepare_output_dir(out_dir)
    publish(out_dir, copies, whole=True)
    names = sorted(name for copy in copies for name in copy.written)
    reporter.info(_("merged %(shards)d shards, %(files)d files, into %(folder)s")
                  % {"shards": len(copies), "files": len(names),
                     "folder": display_path(out_dir)})
    return names


def _read_shard(folder: Path) -> Shard:
    """The shard built into `folder`: its manifest's record and entries."""
    if not folder.is_dir():
        raise BookletError(_("not a folder"), folder,
                           hint=_("give the folder each shard was built into (its --out)"))
    manifest = load_manifest(folder)
    shard_record = manifest.get("shard")
    if shard_record is None:
        raise BookletError(_("%(manifest)s records no shard") % {"manifest": MANIFEST},
                           folder / MANIFEST, hint=_("build the folder with --shard"))
    if not _well_formed(shard_record):
        raise BookletError(_("%(manifest)s has a shard record that booklet did not write")
                           % {"manifest": MANIFEST}, folder / MANIFEST,
                           hint=_("build the shard again"))
    return Shard(folder, shard_record, list(manifest["files"]))


def _well_formed(value: object) -> bool:
    if not isinstance(value, dict):
        return False
    numbers = [value.get(key) for key in ("index", "count", "of")]
    jobs, files = value.get("jobs"), value.get("files")
    return (all(type(number) is int for number in numbers)
            and 1 <= value["index"] <= value["count"] and isinstance(value.get("plan"), str)
            and isinstance(jobs, list) and all(isinstance(job, str) for job in jobs)
            and isinstance(files, dict) and all(
                isinstance(name, str) and inside_folder(name) and isinstance(digest, str)
                for name, digest in files.items()))


def _files(one: Shard) -> Copy:
    """The shard's files, each checked against the sha256 its manifest records, and their
    manifest entries; a BookletError for every file that is missing or changed."""
    problems: list[BookletError] = []
    files: dict[str, bytes] = {}
    for name, digest in one.record["files"].items():
        path = one.folder / name
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(BookletError(_("cannot read the shard's file: %(reason)s")
                                         % {"reason": error.strerror}, path,
                                         hint=_("build this shard again")))
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(BookletError(_("does not match its sha256 in %(manifest)s")
                                         % {"manifest": MANIFEST}, path,
                                         hint=_("it changed after it was built: build this "
                                                "shard again")))
        files[name] = data
    for stem in one.record["jobs"]:
        if f"{stem}.pdf" not in files:
            problems.append(BookletError(_("%(shard)s did not build %(file)s")
                                         % {"shard": one.describe(), "file": f"{stem}.pdf"},
                                         one.folder / MANIFEST, hint=_("build this shard again")))
    if problems:
        raise combined(problems)
    return Copy(files, [entry for entry in one.entries if entry["file"] in files])

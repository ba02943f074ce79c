"""Sharding: --shard auto reads each job system's variables; shards built by separate
processes merge into exactly the files of one unsharded build; merge-manifests refuses
missing, doubled or changed shards and then writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from booklet.errors import BookletError
from booklet.shard import Slice, from_environment, resolve, shard, systems
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project

BUILD = Path(__file__).resolve().parent.parent / "build.py"
VARIABLES = {name for system in systems() for name in system.variables()}
# One environment per shard, from a different system each; all three say "3 shards".
GITLAB = {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}
SLURM = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4",
         "SLURM_ARRAY_TASK_COUNT": "3"}
PARALLEL = {"PARALLEL_SEQ": "3", "BOOKLET_SHARDS": "3"}
KUBERNETES_THIRD = {"JOB_COMPLETION_INDEX": "2", "BOOKLET_SHARDS": "3"}


def shard_process(project: Path, out: Path, variables: dict[str, str]) -> subprocess.Popen:
    """`build.py --clinic all --shard auto` in a process of its own, with only `variables` of
    the job systems' set."""
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    return subprocess.Popen(
        [sys.executable, str(BUILD), "--project", str(project), "--out", str(out),
         "--clinic", "all", "--shard", "auto", "--jobs", "1"],
        env={**env, **variables}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> str:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return stdout


def files(folder: Path) -> dict[str, str]:
    """Every file in the folder but the hidden ones (state, lock): name → sha256."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.name.startswith(".")}


def tree(folder: Path) -> dict[str, bytes]:
    """Everything in the folder, hidden files too, for 'left untouched'."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small project with both example clinics: 2 clinics x 3 editions = 6 copies."""
    root = make_project(tmp_path_factory.mktemp("shard") / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics", root / "clinics")
    return root


@pytest.fixture(scope="module")
def reference(project: Path) -> Path:
    """The same batch built once, unsharded."""
    out = project.parent / "unsharded"
    assert main(["--project", str(project), "--out", str(out), "--clinic", "all",
                 "--jobs", "1", "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def shards(project: Path) -> tuple[list[Path], list[str]]:
    """The three shards, built at the same time by three processes into their own folders,
    and what each printed."""
    folders = [project.parent / f"shard-{number}" for number in (1, 2, 3)]
    processes = [shard_process(project, folder, variables)
                 for folder, variables in zip(folders, (GITLAB, SLURM, PARALLEL), strict=True)]
    return folders, [finish(process) for process in processes]


@pytest.fixture
def copies(shards: tuple[list[Path], list[str]], tmp_path: Path) -> list[Path]:
    """Copies of the shards' folders that a test may change."""
    folders = []
    for folder in shards[0]:
        shutil.copytree(folder, tmp_path / folder.name)
        folders.append(tmp_path / folder.name)
    return folders


def merge(out: Path, *folders: Path) -> int:
    return main(["merge-manifests", "--out", str(out), *map(str, folders)])


def test_three_shard_processes_merge_into_the_unsharded_files(
        shards: tuple[list[Path], list[str]], reference: Path, tmp_path: Path) -> None:
    folders, printed = shards
    assert "shard 1 of 3 (from GitLab CI: CI_NODE_INDEX=1, CI_NODE_TOTAL=3)" in printed[0]
    assert ("shard 2 of 3 (from Slurm job array: SLURM_ARRAY_TASK_ID=5, "
            "SLURM_ARRAY_TASK_COUNT=3, SLURM_ARRAY_TASK_MIN=4)") in printed[1]
    assert "shard 3 of 3 (from GNU parallel: PARALLEL_SEQ=3, BOOKLET_SHARDS=3)" in printed[2]
    pdfs = [sorted(name for name in files(folder) if name.endswith(".pdf"))
            for folder in folders]
    assert [len(names) for names in pdfs] == [2, 2, 2]
    for index, (folder, names) in enumerate(zip(folders, pdfs, strict=True), start=1):
        record = json.loads((folder / "manifest.json").read_text())["shard"]
        assert (record["index"], record["count"], record["of"]) == (index, 3, 6)
        assert [f"{stem}.pdf" for stem in record["jobs"]] == names
        assert record["files"] == {name: files(folder)[name] for name in names}
    merged = tmp_path / "merged"
    assert subprocess.run([sys.executable, str(BUILD), "merge-manifests", "--out", str(merged),
                           *map(str, folders)], check=False).returncode == 0
    expected = files(reference)
    assert len(expected) == 7  # six PDFs and the manifest
    assert files(merged) == expected  # manifest.json too: the same entries, no shard record


def test_a_retried_shard_is_up_to_date(shards: tuple[list[Path], list[str]],
                                       project: Path) -> None:
    """The third shard again, from Kubernetes this time: the same slice, nothing rebuilt."""
    folder = shards[0][2]
    before = tree(folder)
    printed = finish(shard_process(project, folder, KUBERNETES_THIRD))
    assert "shard 3 of 3 (from Kubernetes Indexed Job: JOB_COMPLETION_INDEX=2" in printed
    written = sorted(name for name in files(folder) if name.endswith(".pdf"))
    assert printed.count("up to date: ") == len(written) == 2
    assert tree(folder) == before


def assert_refused(out: Path, folders: list[Path], expected: list[str], capsys) -> None:
    """Merging exits 2 with exactly the `expected` errors, one line each, and leaves `out`
    as it was."""
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("already here\n")
    before = tree(out)
    assert merge(out, *folders) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == len(expected), lines
    for line, words in zip(lines, expected, strict=True):
        assert line.startswith("error: ") and words in line, (line, words)
    assert tree(out) == before


def test_merge_refuses_a_missing_shard(copies: list[Path], tmp_path: Path, capsys) -> None:
    assert_refused(tmp_path / "merged", [copies[0], copies[2]],
                   ["shard 2 of 3 is missing; add the folder it was built into, or build it "
                    "again with --shard 2/3"], capsys)


def test_merge_refuses_a_shard_given_twice(copies: list[Path], tmp_path: Path, capsys) -> None:
    again = tmp_path / "again"
    shutil.copytree(copies[1], again)
    assert_refused(tmp_path / "merged", [*copies, again],
                   [f"{copies[1]} and {again} are both shard 2 of 3"], capsys)


def test_merge_refuses_a_changed_file(copies: list[Path], tmp_path: Path, capsys) -> None:
    pdf = next(copies[1].glob("*.pdf"))
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 1
    pdf.write_bytes(bytes(data))
    assert_refused(tmp_path / "merged", copies,
                   [f"{pdf}: does not match its sha256 in manifest.json"], capsys)


def test_merge_refuses_shards_of_another_build(copies: list[Path], tmp_path: Path,
                                               capsys) -> None:
    path = copies[2] / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["shard"]["count"] = 4
    path.write_text(json.dumps(manifest))
    assert_refused(tmp_path / "merged", copies,
                   [f"{path}: shard 3 of 4 is not a slice of the same build as {copies[0]}",
                    "shard 3 of 3 is missing"], capsys)


def test_merge_reports_every_problem_together(copies: list[Path], tmp_path: Path,
                                              reference: Path, capsys) -> None:
    (copies[0] / next(iter(files(copies[0])))).unlink()
    assert_refused(tmp_path / "merged", [copies[0], copies[1], reference],
                   [f"{reference / 'manifest.json'}: manifest.json records no shard",
                    "shard 3 of 3 is missing",
                    f"{copies[0]}/demo-clinician-harbour-view-a4.pdf: cannot read the shard's "
                    "file", "shard 1 of 3 did not build demo-clinician-harbour-view-a4.pdf"],
                   capsys)


def test_merge_needs_out_and_folders(capsys) -> None:
    assert main(["merge-manifests", "shard-1"]) == 2
    assert "--out" in capsys.readouterr().err


# --shard auto, system by system: 0- and 1-based, Slurm's first task id and step.
@pytest.mark.parametrize(("environ", "expected"), [
    (GITLAB, (1, 3)),
    ({"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "3"}, (3, 3)),
    ({"JOB_COMPLETION_INDEX": "0", "BOOKLET_SHARDS": "4"}, (1, 4)),
    ({"JOB_COMPLETION_INDEX": "3", "BOOKLET_SHARDS": "4"}, (4, 4)),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"}, (1, 2)),
    ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"},
     (1, 2)),
    (SLURM, (2, 3)),
    ({"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_STEP": "2",
      "SLURM_ARRAY_TASK_COUNT": "3"}, (3, 3)),
    ({"PARALLEL_SEQ": "1", "BOOKLET_SHARDS": "2"}, (1, 2)),
    ({**GITLAB, "PARALLEL_SEQ": "1", "BOOKLET_SHARDS": "3"}, (1, 3)),  # two that agree
    ({**PARALLEL, "CI_NODE_TOTAL": "1", "HOME": "/root"}, (3, 3)),  # GitLab without parallel:
])
def test_shard_auto_reads_each_system(environ: dict[str, str],
                                      expected: tuple[int, int]) -> None:
    found = from_environment(environ)
    assert (found.index, found.count) == expected


@pytest.mark.parametrize(("environ", "words"), [
    ({}, "no job system's shard index is set; set the variables of one of: CI_NODE_INDEX, "
         "CI_NODE_TOTAL (GitLab CI); JOB_COMPLETION_INDEX, BOOKLET_SHARDS (Kubernetes Indexed "
         "Job); SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT (Slurm job array); PARALLEL_SEQ, "
         "BOOKLET_SHARDS (GNU parallel); or give --shard I/N"),
    ({"BOOKLET_SHARDS": "3"}, "no job system's shard index is set"),
    ({"JOB_COMPLETION_INDEX": "1"}, "Kubernetes Indexed Job sets JOB_COMPLETION_INDEX but not "
                                    "BOOKLET_SHARDS; set BOOKLET_SHARDS to the number of shards"),
    ({"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "3"},
     "CI_NODE_INDEX=0, CI_NODE_TOTAL=3 (GitLab CI) is not one of 3 shards; CI_NODE_INDEX runs "
     "from 1 to 3"),
    ({"JOB_COMPLETION_INDEX": "3", "BOOKLET_SHARDS": "3"},
     "JOB_COMPLETION_INDEX runs from 0 to 2"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_COUNT": "3"},
     "SLURM_ARRAY_TASK_ID runs from 4 to 6"),
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"},
     "is not one of 3 shards; SLURM_ARRAY_TASK_ID runs from 0 to 4"),
    ({"PARALLEL_SEQ": "two", "BOOKLET_SHARDS": "3"}, "PARALLEL_SEQ=two is not a whole number"),
    ({"PARALLEL_SEQ": "1", "BOOKLET_SHARDS": "-3"}, "BOOKLET_SHARDS=-3 is not a whole number"),
    ({"PARALLEL_SEQ": "1", "BOOKLET_SHARDS": "0"}, "BOOKLET_SHARDS=0 must be 1 or more"),
    ({**GITLAB, **PARALLEL}, "GitLab CI (CI_NODE_INDEX=1, CI_NODE_TOTAL=3) and GNU parallel "
                             "(PARALLEL_SEQ=3, BOOKLET_SHARDS=3) give different shards"),
])
def test_shard_auto_refuses_what_it_cannot_use(environ: dict[str, str], words: str) -> None:
    with pytest.raises(BookletError) as raised:
        from_environment(environ)
    text = str(raised.value)
    assert text.startswith("--shard auto: ") and "\n" not in text
    assert words in text, text


def test_shard_auto_without_variables_stops_the_build(project: Path, tmp_path: Path,
                                                      monkeypatch, capsys) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "out"
    assert main(["--project", str(project), "--out", str(out), "--shard", "auto"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --shard auto: no job system's shard index is set")
    assert err.count("\n") == 1
    assert not out.exists()


def test_slices_are_balanced_and_do_not_depend_on_the_planned_order() -> None:
    jobs = [SimpleNamespace(stem=f"copy-{number:02}") for number in range(11)]
    slices = [shard(jobs, index, 4) for index in range(1, 5)]
    assert sorted(len(one) for one in slices) == [2, 3, 3, 3]
    assert sorted(job.stem for one in slices for job in one) == [job.stem for job in jobs]
    backwards = [shard(jobs[::-1], index, 4) for index in range(1, 5)]
    assert [{job.stem for job in one} for one in backwards] == [
        {job.stem for job in one} for one in slices]
    assert [job.stem for job in shard(jobs, 2, 4)] == ["copy-01", "copy-05", "copy-09"]
    assert shard(jobs[:2], 3, 4) == []


def test_an_explicit_shard_wins_over_the_environment() -> None:
    assert resolve("2/3", GITLAB) == Slice(2, 3)
    assert resolve("auto", GITLAB) == Slice(1, 3, "GitLab CI", "CI_NODE_INDEX=1, CI_NODE_TOTAL=3")

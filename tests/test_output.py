"""Output that cannot be half-written: failures keep the previous PDF and leave no temp files."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from build import main
from tests.conftest import REPO


def build(project: Path, out: Path, *args: str) -> int:
    return main(["--project", str(project), "--out", str(out), "--quiet", *args])


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     KeyboardInterrupt()])
def test_failed_write_keeps_previous_pdf_and_leaves_no_temp_file(
        small_project: Path, tmp_path: Path, monkeypatch, capsys, failure) -> None:
    out = tmp_path / "out"
    assert build(small_project, out, "patient") == 0
    before = snapshot(out)
    (small_project / "content/demo/10-intro.md").write_text(
        (small_project / "content/demo/10-intro.md").read_text().replace("drink", "sip"))

    def broken_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", broken_fsync)
    code = build(small_project, out, "patient")
    assert code == (2 if isinstance(failure, OSError) else 130)
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    if isinstance(failure, OSError):
        assert "cannot write file: No space left on device" in err
    assert snapshot(out) == before  # same files, byte for byte; no temp file left


def killed(*args: object) -> None:
    """A worker killed mid-build, as the out-of-memory killer would do it."""
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.parametrize(("args", "patch"), [(["patient"], "booklet.batch.html_to_pdf"),
                                             (["patient", "clinician", "--jobs", "2"],
                                              "booklet.project.Job.build")])
def test_a_worker_that_dies_is_one_line_not_a_hang(small_project: Path, tmp_path: Path,
                                                   monkeypatch, capsys, args, patch) -> None:
    out = tmp_path / "out"
    assert build(small_project, out, *args) == 0
    before = snapshot(out)
    monkeypatch.setattr(patch, killed)  # workers are forked from this process: they have it
    assert build(small_project, out, *args, "--force") == 2
    err = capsys.readouterr().err
    assert err == ("error: a worker process stopped in the middle of a build (out of memory?); "
                   "close other programs, or build fewer at once with --jobs 1\n")
    assert snapshot(out) == before


def test_bad_content_keeps_previous_pdf(small_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(small_project, out) == 0
    before = snapshot(out)
    (small_project / "content/demo/10-intro.md").write_text("---\nid: [\n---\n")
    assert build(small_project, out) == 2
    assert snapshot(out) == before


def test_output_path_that_is_a_file(small_project: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert build(small_project, target) == 2
    assert capsys.readouterr().err.endswith(
        "output path is a file, not a folder; remove it or choose another --out\n")
    assert build(small_project, target / "inside") == 2
    assert "cannot create output folder" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_two_builds_at_once_into_the_same_folder(small_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "build.py"), "--project", str(small_project),
               "--out", str(out), "--quiet"]
    runs = [subprocess.Popen([*command, edition], stderr=subprocess.PIPE)
            for edition in ("patient", "clinician")]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(e["file"] for e in manifest["files"]) == [
        "demo-clinician-letter.pdf", "demo-patient-letter.pdf"]
    for entry in manifest["files"]:
        assert (out / entry["file"]).read_bytes()[:5] == b"%PDF-"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_output_folder_that_is_not_writable(small_project: Path, tmp_path: Path, capsys,
                                            monkeypatch) -> None:
    out = tmp_path / "locked"
    out.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as if chmod 555, even for root
    assert build(small_project, out) == 2
    assert capsys.readouterr().err.endswith(
        "output folder is not writable; fix its permissions or choose another --out\n")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(("args", "code"), [(["patient"], 0),
                                            (["patient", "clinician", "--jobs", "2"], 0),
                                            (["patient", "--set", "paper=b5"], 2)])
def test_builds_leave_no_temporary_files(small_project: Path, tmp_path: Path, args: list[str],
                                         code: int) -> None:
    """WeasyPrint writes its fonts to temporary folders; the worker processes that lay out
    the PDFs must not leave them behind, whether the build succeeds or fails."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--project",
                             str(small_project), "--out", str(tmp_path / "out"), "--quiet", *args],
                            env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == code, result.stderr
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("moment", ["workers start", "layout"])
def test_ctrl_c_stops_the_workers_at_once(small_project: Path, tmp_path: Path,
                                          moment: str) -> None:
    """Ctrl-C during a build: one line, exit 130, no process and no temporary folder left,
    and no PDF written."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    run = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--project", str(small_project),
         "--out", str(tmp_path / "out"), "patient"],
        env={**os.environ, "TMPDIR": str(scratch)}, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, like a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # The workers' folder appears as they start; WeasyPrint's font folder in it, as it lays out.
    pattern = "*" if moment == "workers start" else "*/weasyprint-*"
    deadline = time.monotonic() + 60
    while not list(scratch.glob(pattern)):
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert err == ("error: interrupted; finished files were kept and no partial file was "
                   "written\n")
    assert live_processes_in_group(run.pid) == []  # no worker outlived it
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "out" / "demo-patient-letter.pdf").exists()


def live_processes_in_group(group: int) -> list[int]:
    """Processes of a process group that are not zombies (WeasyPrint runs ldconfig while it
    loads; a worker stopped then leaves that zombie for init to reap)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == group and state != "Z":
                live.append(int(stat.parent.name))
    return live


@pytest.mark.parametrize("name", ['"../../escaped"', '"x/../../../escaped"', "/tmp/escaped"])
def test_set_cannot_steer_an_output_file_out_of_the_output_folder(
        small_project: Path, tmp_path: Path, capsys, name: str) -> None:
    out = tmp_path / "deep" / "out"
    (out / "demo-x").mkdir(parents=True)
    assert build(small_project, out, "patient", "--set", f"name={name}") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "'name' cannot be set: an edition's name and path come from its file" in err
    assert not list(tmp_path.rglob("*.pdf"))


def test_an_edition_file_cannot_name_itself(small_project: Path, tmp_path: Path,
                                            capsys) -> None:
    edition = small_project / "editions" / "patient.toml"
    edition.write_text(edition.read_text() + 'name = "../escaped"\n')
    assert build(small_project, tmp_path / "out", "patient") == 2
    line = edition.read_text().count("\n")
    assert f"editions/patient.toml:{line}: 'name' cannot be set" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", ".hidden.pdf", "..", ""])
def test_an_output_name_must_stay_in_the_output_folder(tmp_path: Path, name: str) -> None:
    from booklet.errors import BookletError
    from booklet.output import output_path

    assert output_path(tmp_path, "demo-patient-letter.pdf") == tmp_path / "demo-patient-letter.pdf"
    with pytest.raises(BookletError, match="would leave the output folder"):
        output_path(tmp_path, name)


def test_the_manifest_lock_is_never_written_through_a_symlink(small_project: Path,
                                                               tmp_path: Path, capsys) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".manifest.json.lock").symlink_to(victim)
    assert build(small_project, out, "patient") == 2
    assert "cannot write file" in capsys.readouterr().err
    assert victim.read_text() == "keep me"


def test_the_longest_copies_go_out_first(small_project: Path, monkeypatch) -> None:
    """By the page counts of the last build when there are some, else by their text."""
    from booklet import batch
    from booklet.project import Project

    jobs = Project(small_project).jobs([])
    handed_out: list[str] = []

    def record(task, lay_out=None):
        handed_out.append(task.job.stem)
        return batch.Outcome(task.index, error="not built")

    monkeypatch.setattr(batch, "build_one", record)
    list(batch.run(jobs, None))
    by_text = sorted(jobs, key=lambda job: -job.text_size)
    assert handed_out == [job.stem for job in by_text]
    assert by_text[0].text_size > by_text[-1].text_size
    handed_out.clear()
    shortest_by_text = by_text[-1].stem
    list(batch.run(jobs, None, pages={shortest_by_text: 40}))
    assert handed_out[0] == shortest_by_text  # it had the most pages last time


SPAWNED_BUILD = """
import multiprocessing, sys
from pathlib import Path
from booklet import batch
from booklet.build import Options, build
from booklet.report import Reporter

if __name__ == "__main__":
    spawn = multiprocessing.get_context("spawn")
    batch.multiprocessing.get_context = lambda method=None: spawn  # as on macOS and Windows
    result = build(Path(sys.argv[1]), Options(out=Path(sys.argv[2]), jobs=2), Reporter())
    sys.exit(2 if result.errors else 0)
"""


def test_spawned_workers_build_the_same_files(small_project: Path, tmp_path: Path) -> None:
    """Where workers cannot be forked, spawned ones (which import everything afresh) read the
    same project and write the same bytes."""
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED_BUILD)
    spawned, forked = tmp_path / "spawned", tmp_path / "forked"
    subprocess.run([sys.executable, str(script), str(small_project), str(spawned)],
                   cwd=REPO, check=True, capture_output=True, timeout=120)
    assert build(small_project, forked, "--jobs", "2") == 0
    pdfs = sorted(path.name for path in forked.glob("*.pdf"))
    assert len(pdfs) == 3
    assert sorted(path.name for path in spawned.glob("*.pdf")) == pdfs
    for name in pdfs:
        assert (spawned / name).read_bytes() == (forked / name).read_bytes()

"""Signals: SIGTERM stops a build like Ctrl-C (one line, exit 143, no worker and no temporary
folder left, nothing written), and workers die with their parent however it ends."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.test_output import live_processes_in_group


def start(root: Path, scratch: Path, *args: str) -> subprocess.Popen:
    """build.py in its own process group (so what it leaves behind can be found), with its
    own TMPDIR."""
    return subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--project", str(root),
         "--out", str(root / "out"), *args],
        env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_until(found, run: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while not found():
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)


@pytest.fixture
def batch_project(small_project: Path) -> Path:
    shutil.copytree(REPO / "clinics", small_project / "clinics")
    return small_project


@pytest.mark.parametrize("moment", ["workers start", "first copy built"])
def test_sigterm_stops_the_build_like_ctrl_c(batch_project: Path, tmp_path: Path,
                                             moment: str) -> None:
    """Before, SIGTERM killed the main process without a word, leaving its workers running
    and their booklet-fonts-* folder in TMPDIR."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    run = start(batch_project, scratch, "patient", "clinician", "--clinic", "all",
                "--jobs", "2")
    if moment == "workers start":
        wait_until(lambda: list(scratch.glob("booklet-fonts-*")), run)
    else:
        assert run.stdout.readline().startswith("[1/4] ")  # a copy is built, three are not
    os.kill(run.pid, signal.SIGTERM)  # the main process only, as a service manager does
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143
    errors = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert errors == ["error: terminated (SIGTERM); finished files were kept and no partial "
                      "file was written"]
    assert live_processes_in_group(run.pid) == []
    assert list(scratch.iterdir()) == []
    out = batch_project / "out"
    assert not out.exists() or [p.name for p in out.iterdir()] == []


def test_workers_die_with_their_parent(batch_project: Path, tmp_path: Path) -> None:
    """Killed outright (the out-of-memory killer, kill -9), the main process cannot stop its
    workers: the kernel does."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    run = start(batch_project, scratch, "patient", "clinician", "--clinic", "all",
                "--jobs", "2")
    wait_until(lambda: len(live_processes_in_group(run.pid)) >= 3, run)  # main + 2 workers
    os.kill(run.pid, signal.SIGKILL)
    run.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while live_processes_in_group(run.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_processes_in_group(run.pid) == []


def worker_pid(task: int) -> int:
    return os.getpid()


def test_long_batches_get_fresh_workers(monkeypatch) -> None:
    """WeasyPrint's memory grows over many documents: after RECYCLE_AFTER tasks each, the
    workers are replaced by fresh ones, which still take every task, and none is left."""
    from booklet import batch

    monkeypatch.setattr(batch, "RECYCLE_AFTER", 2)
    with batch.Workers(2) as workers:
        pids = list(workers.map_unordered(worker_pid, list(range(10))))
    assert len(pids) == 10
    assert len(set(pids)) >= 3  # 4 tasks, 4 tasks, 2 tasks: three sets of workers at least
    assert os.getpid() not in pids
    assert multiprocessing.active_children() == []

"""Lost or wrong files: a run is all-or-nothing (a batch: each file whole), the manifest always
matches the files on disk, a broken manifest is refused, and two copies never share a file."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from booklet import output
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project


def build(root: Path, *args: str) -> int:
    return main(["--project", str(root), "--out", str(root / "out"), "--quiet", *args])


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file in the folder, hidden ones (a staging folder, a temporary file) included."""
    return {str(p.relative_to(out)): p.read_bytes() if p.is_file() else b"<folder>"
            for p in sorted(out.rglob("*")) if p.name != ".manifest.json.lock"}


def fail_on_call(real: Callable, number: int) -> Callable:
    """`real`, except that call `number` raises 'No space left on device'."""
    calls = 0

    def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == number:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    return failing


def edit(root: Path) -> None:
    """Changes every copy's text, so a rebuild changes every file."""
    path = root / "content/demo/10-intro.md"
    path.write_text(path.read_text().replace("Shared words", "New shared words"))


@pytest.fixture
def clinic_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", SMALL_PROJECT)
    shutil.copytree(REPO / "clinics", root / "clinics")
    return root


def manifest_matches_disk(out: Path) -> None:
    for entry in json.loads((out / "manifest.json").read_text())["files"]:
        data = (out / entry["file"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["bytes"], entry["sha256"])


@pytest.mark.parametrize("broken", ["fsync", "replace"])
def test_a_disk_that_fills_mid_run_changes_nothing(small_project: Path, monkeypatch, capsys,
                                                   broken: str) -> None:
    """Before, the first PDF was already replaced and the manifest's sha256 no longer
    matched it."""
    out = small_project / "out"
    assert build(small_project, "patient", "clinician") == 0
    before = snapshot(out)
    edit(small_project)
    monkeypatch.setattr(os, broken, fail_on_call(getattr(os, broken), 2))
    assert build(small_project, "patient", "clinician") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write file: No space left on device" in err
    assert snapshot(out) == before
    manifest_matches_disk(out)


def test_a_batch_writes_whole_files_and_a_manifest_that_matches_them(
        clinic_project: Path, monkeypatch, capsys) -> None:
    out = clinic_project / "out"
    assert build(clinic_project, "patient", "--clinic", "all", "--jobs", "1") == 0
    before = snapshot(out)
    edit(clinic_project)
    monkeypatch.setattr(os, "fsync", fail_on_call(os.fsync, 2))  # the second copy's PDF
    assert build(clinic_project, "patient", "--clinic", "all", "--jobs", "1") == 2
    assert "cannot write file: No space left on device" in capsys.readouterr().err
    after = snapshot(out)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["demo-patient-harbour-view-a4.pdf", "manifest.json"]
    manifest_matches_disk(out)
    assert not [name for name in after  # no staging folder or temporary file left
                if name.startswith(".") and name != ".booklet-state.json"]


@pytest.mark.parametrize(("text", "problem"), [
    ('{"files": [{"file": "a.pdf"}, {"file": "b.pdf"}', "Expecting ',' delimiter"),
    ('["a.pdf"]', 'it has no "files" list'),
    ('{"files": [{"file": "a.pdf"}, {"name": "b.pdf"}]}', 'entry 2 has no "file" name'),
    ('{"files": [{"file": "../../elsewhere.pdf"}]}', 'entry 1 has no "file" name'),
])
def test_a_broken_manifest_is_refused_not_rewritten(small_project: Path, capsys, monkeypatch,
                                                    text: str, problem: str) -> None:
    """Before, a manifest that was not JSON was rewritten keeping only this run's entries."""
    out = small_project / "out"
    out.mkdir()
    (out / "manifest.json").write_text(text)
    monkeypatch.chdir(small_project)
    assert build(small_project, "patient") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: out/manifest.json") and err.count("\n") == 1
    assert (f"manifest.json is not a manifest that booklet wrote ({problem}" in err
            and err.endswith("; fix it, or delete it and build every file again (the "
                             "manifest lists only the files built after that)\n"))
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]
    assert (out / "manifest.json").read_text() == text


def test_two_clinic_folders_of_the_same_name_are_refused_before_building(
        clinic_project: Path, capsys, monkeypatch) -> None:
    """Before, both were built into one file, the last overwriting the first, and the summary
    reported two copies."""
    shutil.copytree(clinic_project / "clinics/riverside", clinic_project / "more/riverside")
    monkeypatch.chdir(clinic_project)
    assert build(clinic_project, "patient", "--clinic", "clinics/riverside",
                 "--clinic", "more/riverside") == 2
    assert capsys.readouterr().err == (
        "error: two copies would be written to the same file demo-patient-riverside-letter.pdf: "
        "clinics/riverside and more/riverside; give the clinic folders different names, or "
        "build them into different --out folders\n")
    assert not (clinic_project / "out").exists() or not list((clinic_project / "out").iterdir())
    # the same folder named twice, in two spellings, is one copy
    assert build(clinic_project, "patient", "--clinic", "clinics/riverside",
                 "--clinic", str(clinic_project / "clinics/riverside")) == 0
    assert sorted(p.name for p in (clinic_project / "out").glob("*.pdf")) == [
        "demo-patient-riverside-letter.pdf"]


def test_staging_folder_is_inside_the_output_folder(small_project: Path, monkeypatch) -> None:
    """Files are renamed into place from the same file system, so no step needs space."""
    folders: list[Path] = []
    real = output.tempfile.mkdtemp

    def recording(*args, **kwargs) -> str:
        folders.append(Path(real(*args, **kwargs)))
        return str(folders[-1])

    monkeypatch.setattr(output.tempfile, "mkdtemp", recording)
    assert build(small_project, "patient") == 0
    staging = [folder for folder in folders if folder.name.startswith(".booklet-staging-")]
    assert [folder.parent for folder in staging] == [small_project / "out"]
    assert not staging[0].exists()


def test_a_killed_builds_staging_folder_is_removed_by_the_next_build(small_project: Path,
                                                                     tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs
    abandoned = out / f".booklet-staging-{gone.pid}-abc"
    abandoned.mkdir()
    (abandoned / "demo-patient-letter.pdf").write_bytes(b"half")
    running = out / f".booklet-staging-{os.getpid()}-def"  # a build still at work
    running.mkdir()
    assert main(["--project", str(small_project), "--out", str(out), "--quiet",
                 "patient"]) == 0
    assert not abandoned.exists() and running.exists()

"""Runaway work: inputs that drive cost (Markdown size and nesting of brackets, SVG pictures,
field lengths, worker count) are bounded, and refused at once with one line."""

from __future__ import annotations

from pathlib import Path

from booklet import batch
from build import main


def build(root: Path, *args: str) -> int:
    return main(["--project", str(root), "--out", str(root / "out"), "--quiet", *args])


def test_no_more_workers_than_copies(small_project: Path, monkeypatch) -> None:
    started: list[int] = []
    real = batch.ProcessPoolExecutor

    def recording(max_workers: int, *args, **kwargs):
        started.append(max_workers)
        return real(max_workers, *args, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", recording)
    assert build(small_project, "--jobs", "32") == 0  # 3 editions
    assert started == [3]
    assert len(list((small_project / "out").glob("*.pdf"))) == 3
    assert batch.Workers(10_000).processes == batch.MAX_WORKERS

"""make bench: booklet's overhead over raw WeasyPrint, per edition, measured in the same run.

For each edition: the best of 3 wall-clock times of `build.py EDITION` against a plain
WeasyPrint run on the very HTML that build wrote (both as fresh processes, so both pay the
Python start-up and imports). Target: ratio ≤ 1.10. A benchmark, not a test: machines are noisy.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
TARGET = 1.10
RAW_WEASYPRINT = """
import sys
from weasyprint import HTML
HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_variant="pdf/ua-1", pdf_identifier=True)
"""


def best_of(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from booklet.project import Project

    jobs = Project(ROOT).jobs([])
    print(f"{'edition':<28} {'build.py':>9} {'weasyprint':>11} {'ratio':>6}")
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for job in jobs:
            out = Path(tmp)
            build = best_of([sys.executable, "build.py", job.edition.name, "--out", tmp,
                             "--html", "--quiet"])
            html = out / f"{job.stem}.html"
            raw = best_of([sys.executable, "-c", RAW_WEASYPRINT, str(html),
                           str(out / "raw.pdf")])
            ratio = build / raw
            worst = max(worst, ratio)
            print(f"{job.stem:<28} {build:>8.2f}s {raw:>10.2f}s {ratio:>6.2f}")
    verdict = "within" if worst <= TARGET else "OVER"
    print(f"worst ratio {worst:.2f} ({verdict} the {TARGET:.2f} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

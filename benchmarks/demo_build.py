"""Time the demo library build on an empty data folder, split into its stages.

    .venv/bin/python benchmarks/demo_build.py [--numba cold|warm|both] [--repeats 1] [--seconds 20]

Each run is a fresh process on a fresh temporary data folder (SQLite), exactly like a first
``human-touch prepare``: migrate, then :func:`audio.demo.build_demo_library`. ``--numba cold``
also starts from an empty numba cache (a machine's very first start: librosa's kernels are
compiled by an ingest worker on the second core while the corpus is parsed); ``warm`` reuses the repository's
``.numba-cache`` (every later start). Prints wall seconds per stage and in total, the CPU
seconds of the build and its worker processes, and the machine's load average, because the
machine is shared and wall time depends on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = ("corpus", "model", "render", "ingest")


def child(seconds: float) -> None:
    """Migrate and build in this process; print the timings as JSON on the last line."""
    import resource

    start = time.perf_counter()
    from audio import library
    from audio.demo import build_demo_library
    from audio.processing import ProcessingSettings
    from core import db

    db.migrate()
    if seconds != ProcessingSettings().excerpt_seconds:
        with db.session_scope() as session:
            library.save_processing_settings(session, ProcessingSettings(excerpt_seconds=seconds))
    timings: dict[str, float] = {}
    ids = build_demo_library(timings=timings)
    timings["total"] = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    timings["cpu_s"] = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
    timings["clips"] = len(ids)
    print(json.dumps(timings))


def run_once(numba: str, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as folder:
        data = Path(folder) / "data"
        env = dict(
            os.environ,
            HUMAN_TOUCH_DATA=str(data),
            HUMAN_TOUCH_DATABASE_URL=f"sqlite:///{data / 'human_touch.db'}",
            NUMBA_CACHE_DIR=str(data / "numba-cache" if numba == "cold" else REPO / ".numba-cache"),
        )
        load = os.getloadavg()[0]
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--seconds", str(seconds)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        timings = json.loads(done.stdout.strip().splitlines()[-1])
        timings["load_before"] = load
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numba", choices=("cold", "warm", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0, help="study clip length, s")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.seconds)
        return
    for numba in ("cold", "warm") if args.numba == "both" else (args.numba,):
        runs = [run_once(numba, args.seconds) for _ in range(args.repeats)]
        median = {
            key: statistics.median(run[key] for run in runs) for key in (*STAGES, "total", "cpu_s", "load_before")
        }
        stages = ", ".join(f"{stage} {median[stage]:.1f}" for stage in STAGES)
        print(
            f"demo build, numba cache {numba}, {runs[0]['clips']} clips of {args.seconds:g} s, "
            f"median of {len(runs)}: total {median['total']:.1f} s wall ({stages}); "
            f"CPU {median['cpu_s']:.1f} s; load average before {median['load_before']:.1f} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()

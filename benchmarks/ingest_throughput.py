"""Bulk ingest throughput: 100 synthetic 40 s WAV clips through the 2-process import path.

Usage: .venv/bin/python benchmarks/ingest_throughput.py [--clips N] [--workers W]

Writes the clips to a temporary folder (not timed), then times
:func:`audio.bulk_import.import_items` into a temporary data folder with its own SQLite database:
decode, validate, excerpt, fades, loudness, MP3 encode, decode-check and features in the worker
processes, files and rows written by the parent. Worker start-up (imports) is included.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba-cache"))
sys.path.insert(0, str(REPO))  # run as a script: make the benchmarks package importable

import soundfile as sf  # noqa: E402

from benchmarks.synthetic_audio import synthetic_clip  # noqa: E402

SR = 44100


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ht-ingest-bench-") as folder:
        root = Path(folder)
        os.environ["HUMAN_TOUCH_DATA"] = str(root / "data")
        os.environ["HUMAN_TOUCH_DATABASE_URL"] = f"sqlite:///{root / 'data' / 'bench.db'}"
        from audio.bulk_import import ImportItem, import_items
        from audio.catalogue import ClipMetadata
        from core import config, db

        config.ensure_dirs()
        db.migrate()
        sources = root / "in"
        sources.mkdir()
        items = []
        for i in range(args.clips):
            path = sources / f"clip{i:03d}.wav"
            # Mono 16-bit keeps the temporary folder small (3.5 MB per 40 s clip).
            sf.write(path, synthetic_clip(args.seconds, SR, seed=i, channels=1), SR, subtype="PCM_16")
            items.append(ImportItem(path=path, metadata=ClipMetadata(source="ai" if i % 2 else "human")))

        start = time.perf_counter()
        cpu_before = _cpu_seconds()
        outcomes = import_items(items, workers=args.workers)
        elapsed = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_before
        failed = [outcome.message for outcome in outcomes if not outcome.ok]
        db.dispose_engines()

    print(f"ingest of {args.clips} clips of {args.seconds:g} s with {args.workers} worker processes")
    print(f"  total:      {elapsed:7.1f} s")
    print(f"  throughput: {args.clips / elapsed:7.2f} clips/s  ({elapsed / args.clips:.2f} s per clip)")
    print(
        f"  cpu time:   {cpu:7.1f} s in this process and its workers "
        f"({cpu / args.clips:.2f} s per clip; {cpu / (os.cpu_count() or 1):.1f} s on idle cores)"
    )
    print(f"  failed:     {len(failed)}" + (f"  first: {failed[0]}" if failed else ""))
    print(f"  cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

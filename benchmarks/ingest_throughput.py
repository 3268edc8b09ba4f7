"""Ingest cost: CPU seconds per 30 s clip with a cold and a warm numba cache, then bulk throughput.

Usage: .venv/bin/python benchmarks/ingest_throughput.py [--clips N] [--workers W] [--seconds S] [--repeats R]

1. One clip, cold: ``human-touch clips import`` of one file in a fresh process, a fresh data folder
   and an empty ``NUMBA_CACHE_DIR`` (a new installation's first import: the kernels compile).
2. One clip, warm: the same command ``--repeats`` times, each into another fresh data folder
   (a second study or replica) with the cache the first run filled. The cache is one per
   installation (:func:`core.config.numba_cache_dir`), so a new data folder no longer means a
   cold cache. CPU is the command's user + system time (interpreter start and imports included).
3. Throughput: :func:`audio.bulk_import.import_items` of ``--clips`` clips with ``--workers``
   worker processes, warm cache: decode, validate, excerpt, DC removal, fades, loudness, MP3
   encode, decode-check and features in the workers, files and rows written by the parent.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
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


def _children_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _one_clip_cpu(clip: Path, data: Path, cache: Path) -> float:
    """CPU seconds of ``human-touch clips import CLIP`` in a fresh process, data folder ``data``."""
    env = {
        **os.environ,
        "HUMAN_TOUCH_DATA": str(data),
        "HUMAN_TOUCH_DATABASE_URL": f"sqlite:///{data / 'bench.db'}",
        "NUMBA_CACHE_DIR": str(cache),
        "PYTHONPATH": str(REPO),
    }
    before = _children_cpu_seconds()
    subprocess.run(
        [sys.executable, "-m", "human_touch.cli", "clips", "import", str(clip), "--source", "human", "--workers", "1"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return _children_cpu_seconds() - before


def single_clip_costs(seconds: float, repeats: int) -> tuple[float, list[float]]:
    """(cold CPU-s, [warm CPU-s per repeat]) of importing one ``seconds``-long clip."""
    with tempfile.TemporaryDirectory(prefix="ht-ingest-one-") as folder:
        root = Path(folder)
        clip = root / "one.wav"
        sf.write(clip, synthetic_clip(seconds, SR, seed=1), SR, subtype="PCM_16")
        cache = root / "numba-cache"
        cold = _one_clip_cpu(clip, root / "data-cold", cache)
        warm = [_one_clip_cpu(clip, root / f"data-warm-{i}", cache) for i in range(repeats)]
    return cold, warm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5, help="warm single-clip imports")
    args = parser.parse_args()

    cold, warm = single_clip_costs(args.seconds, args.repeats)
    print(f"one {args.seconds:g} s clip through `human-touch clips import` in a fresh process and data folder")
    print(f"  cold numba cache: {cold:6.2f} CPU-s")
    print(
        f"  warm numba cache: {statistics.median(warm):6.2f} CPU-s median, "
        f"{max(warm):.2f} max of {len(warm)} (cold/warm {cold / statistics.median(warm):.1f}x)"
    )
    if args.clips <= 0:
        return

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

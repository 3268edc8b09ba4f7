"""Tempo and key accuracy of the app's extractor beside plain librosa, on ground-truth sets.

Usage: nice -n 10 .venv/bin/python benchmarks/feature_accuracy.py [--chorales N] [--small] [--only TEXT]

Sets (:mod:`audio.accuracy`): Bach chorales from music21's corpus rendered at known tempi in the
key their score states (split by hymn tune into the development half, on which the methods were
chosen, and the held-out half; 40 a side by default), I-IV-V-I-style progressions in all 24 keys
without and with drums, click tracks, and produced clips not rendered by the General MIDI
synthesiser (:mod:`audio.accuracy.produced`: FM/organ keys, additive pad, Karplus-Strong bass, FM
lead or a fiddle in strathspey rhythm, drums, reverb, bus compression, mastering; 24 keys, 12 s;
development sets and held-out sets, see :data:`audio.accuracy.sets.PRODUCED_SETS`).
Tempo: share within 4 % of the true tempo, its double or half; "4:3etc": share off by 4:3, 3:4,
3:2 or 2:3 instead (metrically ambiguous, not counted right); "ambig": share whose tempo the
estimator called ambiguous (an alternative reading at least 0.8 as strong). Key: share
exactly right, and the MIREX weighted score (1 right, 0.5 a fifth above, 0.3 relative, 0.2
parallel). "plain librosa" is ``chroma_cqt`` of the whole signal matched to the
Krumhansl-Kessler profiles, and ``librosa.feature.tempo``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".numba-cache"))
sys.path.insert(0, str(REPO))

from audio.accuracy.evaluate import evaluate_set  # noqa: E402
from audio.accuracy.sets import ground_truth_sets  # noqa: E402


def _cell(value: float, total: int) -> str:
    return "-" if not total else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--chorales", type=int, default=40, help="chorales per side of the split (default 40; 0 for all)"
    )
    parser.add_argument("--small", action="store_true", help="the test's small sets")
    parser.add_argument("--only", default="", help="run only the sets whose name contains this text")
    args = parser.parse_args()
    sets = {
        name: make
        for name, make in ground_truth_sets(small=args.small, chorale_limit=args.chorales or None).items()
        if args.only in name
    }
    print(
        f"{'set':33s} {'estimator':14s} {'n':>4s} {'tempo':>6s} {'4:3etc':>6s} {'ambig':>6s} "
        f"{'key n':>5s} {'exact':>6s} {'MIREX':>6s}"
    )
    print(f"# load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    total_cpu = time.process_time()
    for name, make in sets.items():
        start, cpu = time.perf_counter(), time.process_time()
        tallies = evaluate_set(make())
        for estimator, t in tallies.items():
            n = max(t.tempo_total, t.key_total)
            print(
                f"{name:33s} {estimator:14s} {n:4d} {_cell(t.tempo_accuracy, t.tempo_total):>6s} "
                f"{_cell(t.tempo_metrical_share, t.tempo_total):>6s} {_cell(t.tempo_flagged_share, t.tempo_total):>6s} "
                f"{t.key_total:5d} "
                f"{_cell(t.key_accuracy, t.key_total):>6s} {_cell(t.key_mirex, t.key_total):>6s}"
            )
        print(
            f"  ({time.perf_counter() - start:.0f} s wall, {time.process_time() - cpu:.0f} CPU-s, "
            f"load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    print(f"# total {time.process_time() - total_cpu:.0f} CPU-s")


if __name__ == "__main__":
    main()

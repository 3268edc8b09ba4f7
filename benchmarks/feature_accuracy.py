"""Tempo and key accuracy of the app's extractor beside plain librosa, on ground-truth sets.

Usage: .venv/bin/python benchmarks/feature_accuracy.py [--chorales N] [--small] [--only TEXT]

Sets (:mod:`audio.accuracy`): Bach chorales from music21's corpus rendered at known tempi in the
key their score states (split by hymn tune into the development half, on which the key method
was chosen, and the held-out half), I-IV-V-I-style progressions in all 24 keys without and with
drums, click tracks, and produced clips not rendered by the General MIDI synthesiser
(:mod:`audio.accuracy.produced`: FM/organ keys, additive pad, Karplus-Strong bass, FM lead, drums,
reverb, bus compression, mastering; 24 keys; a development set and three held-out sets).
Tempo: share within 4 % of the true tempo, its double or half; "4:3etc": share off by 4:3, 3:4,
3:2 or 2:3 instead (metrically ambiguous, not counted right). Key: share
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
    parser.add_argument("--chorales", type=int, default=None, help="chorales per side of the split (default all)")
    parser.add_argument("--small", action="store_true", help="the test's small sets")
    parser.add_argument("--only", default="", help="run only the sets whose name contains this text")
    args = parser.parse_args()
    sets = {
        name: make
        for name, make in ground_truth_sets(small=args.small, chorale_limit=args.chorales).items()
        if args.only in name
    }
    print(
        f"{'set':30s} {'estimator':14s} {'n':>4s} {'tempo':>6s} {'4:3etc':>6s} "
        f"{'key n':>5s} {'exact':>6s} {'MIREX':>6s}"
    )
    for name, make in sets.items():
        start = time.perf_counter()
        tallies = evaluate_set(make())
        for estimator, t in tallies.items():
            n = max(t.tempo_total, t.key_total)
            print(
                f"{name:30s} {estimator:14s} {n:4d} {_cell(t.tempo_accuracy, t.tempo_total):>6s} "
                f"{_cell(t.tempo_metrical_share, t.tempo_total):>6s} {t.key_total:5d} "
                f"{_cell(t.key_accuracy, t.key_total):>6s} {_cell(t.key_mirex, t.key_total):>6s}"
            )
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()

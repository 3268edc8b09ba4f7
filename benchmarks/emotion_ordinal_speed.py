"""How long the emotion analysis of one scale takes on a 60 x 12 study: the ordinal mixed model and the linear one.

Fits ``moved`` of ``--studies`` simulated studies (60 participants x 12 trials, 20 clips) and prints the
median and 95th percentile of wall-clock and CPU seconds per fit (CPU time is what the fit costs; wall
time on a busy machine also counts waiting for a core), and their ratio to the linear model.

Run: ``nice -n 10 .venv/bin/python benchmarks/emotion_ordinal_speed.py [--studies 10]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from results.planning.simulate import simulate_study
from results.statistics.emotion_ordinal import emotion_ordinal_model
from results.statistics.models import emotion_mixed_model


def timed(function, *args) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``function(*args)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=10)
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"ordinal (CLMM)": [], "linear (LMM)": []}
    for seed in range(args.studies):
        data = simulate_study(60, 12, n_clips=20, source_effects={"moved": 0.5}, seed=seed)
        times["ordinal (CLMM)"].append(timed(emotion_ordinal_model, data, "moved"))
        times["linear (LMM)"].append(timed(emotion_mixed_model, data, "moved"))
    print(f"One scale of a 60 x 12 study (20 clips), {args.studies} studies:")
    medians = {}
    for name, values in times.items():
        wall, cpu = np.array(values).T
        medians[name] = np.median(cpu)
        print(
            f"  {name:<16} wall median {np.median(wall):6.2f} s, p95 {np.percentile(wall, 95):6.2f} s;"
            f"  CPU median {np.median(cpu):6.2f} s, p95 {np.percentile(cpu, 95):6.2f} s"
        )
    print(f"  CPU ratio ordinal / linear: {medians['ordinal (CLMM)'] / medians['linear (LMM)']:.1f}")


if __name__ == "__main__":
    main()

"""Calibration of the paired (2AFC) d' on simulated studies
(:func:`results.statistics.paired_detection.paired_detection`, issue 22).

Each study (:func:`results.planning.paired_simulate.simulate_paired_study`): ``--participants``
listeners x ``--pairs`` pairs from a library of ``n_clips`` clips (half AI, half human). Each clip has an
"AI-soundingness" drawn from N(0, clip SD) on the yes/no d' scale; participant i has its own
d' ~ N(d', 0.3) and position bias b_i ~ N(0, 0.3) (the 2AFC counterpart of the criterion: a lean
towards naming the first clip), so a pair is answered right with probability
``Phi((d'_i + a_ai - a_human) / sqrt(2) +- b_i)`` (+ when the AI clip comes first). Order is
counterbalanced within participant. Two pairings:

* ``random``: each participant's pairs are drawn at random from the library (no clip twice for one
  participant), so pairs share clips across participants;
* ``matched``: the library is n_clips / 2 fixed pairs (AI clip k always with human clip k), each
  participant answers ``--pairs`` of them.

Per cell (pairing x clip SD x clips x true d') it prints the rate of p < 0.05 (false positives at
d' = 0, power otherwise), the coverage of the true d' by the 95 % interval, both with their
Monte-Carlo standard errors, how many studies were "not estimable", and the median fit time.

Usage::

    nice -n 19 python benchmarks/paired_detection_calibration.py               # 100 studies a cell
    nice -n 19 python benchmarks/paired_detection_calibration.py --studies 200 --pairings random

Target: false positives 3-7 %, coverage 93-97 % (with 100 studies a rate's standard error is
about 2.2 points at 5 %).

Measured (issue 22; 40 participants x 8 pairs; the machine shared, so 50-200 studies a cell over
seeds 1-5; Monte-Carlo SE in brackets). The model it replaced (one random intercept per pair, F(1,
pairs - 1)) rejected 42-49 % of random-pairing null studies.

    pairing  clip SD clips  studies at 0  false pos.   coverage at 0   power at 0.5   coverage at 0.5
    random   0.5     20     200           3.0 (1.2)    97.0 (1.2)      45 (5.0)       98 (1.4)
    random   0.5     40     150           2.7 (1.3)    97.3 (1.3)      70 (6.5)       92 (3.8)
    random   1.0     20     150           2.7 (1.3)    97.3 (1.3)       6 (3.4)       92 (3.8)
    random   1.0     40     150           4.7 (1.7)    95.3 (1.7)      40 (6.9)       90 (4.2)
    matched  0.5     20      50           2.0 (2.0)    98.0 (2.0)      34 (6.7)       96 (2.8)
    matched  0.5     40      50           0.0 (-)     100.0 (-)        64 (6.8)       98 (2.0)
    matched  1.0     20      50           2.0 (2.0)    98.0 (2.0)      10 (4.2)       94 (3.4)
    matched  1.0     40      50           0.0 (-)     100.0 (-)        16 (5.2)       90 (4.2)

Random pairing: 21 of 650 null studies (3.2 %). Matched pairs: 2 of 200 (1.0 %): the F(1, pairs - 1)
reference is conservative when participants carry much of the intercept's variance.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np

from results.planning.paired_simulate import PAIRINGS, simulate_paired_study
from results.statistics.paired_detection import paired_detection

PARTICIPANT_SD = 0.3


def run_cell(cell: tuple[str, float, int, float], args: argparse.Namespace, rng: np.random.Generator) -> str:
    """Simulate and fit ``args.studies`` studies of one cell; its line of the table."""
    pairing, clip_sd, n_clips, truth = cell
    rejected, covered, fitted, seconds = 0, 0, 0, []
    for _ in range(args.studies):
        table = simulate_paired_study(
            args.participants,
            args.pairs,
            d_prime=truth,
            clip_sd=clip_sd,
            n_clips=n_clips,
            pairing=pairing,
            participant_sd=PARTICIPANT_SD,
            seed=rng,
        )
        began = time.perf_counter()
        result = paired_detection(table)
        seconds.append(time.perf_counter() - began)
        if result is None or result.not_estimable:
            continue
        fitted += 1
        rejected += result.p_value < 0.05
        covered += result.ci_low <= truth <= result.ci_high
    n = max(fitted, 1)
    rate, coverage = rejected / n, covered / n
    return (
        f"{pairing:8s} {clip_sd:7.1f} {n_clips:5d} {truth:4.1f} {fitted:4d}/{args.studies:<4d} "
        f"{100 * rate:6.1f} ± {100 * math.sqrt(rate * (1 - rate) / n):3.1f} "
        f"{100 * coverage:6.1f} ± {100 * math.sqrt(coverage * (1 - coverage) / n):3.1f} "
        f"{np.median(seconds):8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=100, help="studies a cell")
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=8, help="pairs per participant (at most clips / 2)")
    parser.add_argument("--pairings", nargs="+", choices=PAIRINGS, default=list(PAIRINGS))
    parser.add_argument("--clip-sds", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--clips", nargs="+", type=int, default=[20, 40], help="library sizes (half AI)")
    parser.add_argument("--d-primes", nargs="+", type=float, default=[0.0, 0.5])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"{args.participants} participants x {args.pairs} pairs, participant d' and bias SD {PARTICIPANT_SD}; "
        "p<0.05 is the false-positive rate at d' = 0 and the power otherwise (± Monte-Carlo SE)"
    )
    print("pairing  clip_sd clips   d'  estimable  p<0.05 (%)    covers (%)  median s")
    for cell in itertools.product(args.pairings, args.clip_sds, args.clips, args.d_primes):
        print(run_cell(cell, args, rng), flush=True)


if __name__ == "__main__":
    main()

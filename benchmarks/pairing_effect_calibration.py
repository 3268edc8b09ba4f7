"""Calibration of the similar-versus-random pairing difference (issue 26;
:func:`results.statistics.pairing_effect.pairing_difference`).

Each study (:func:`results.planning.paired_simulate.simulate_paired_study`, designs "within" and
"between"): ``--participants`` listeners x ``--pairs`` pairs from a library of ``--clips`` clips (half
AI) forming ``clips / 2`` similar pairs; a participant's random pairs re-pair the humans of their drawn
similar pairs among themselves. Clips vary ("AI-soundingness" N(0, clip SD)), participants vary (own
d' ~ N(d', 0.3), position bias N(0, 0.3)). Similar pairs are answered with d' + effect / 2, random
pairs with d' - effect / 2. Per cell it prints the rate of p < 0.05 (false positives at effect 0,
power otherwise) and the coverage of the planted difference by the 95 % interval, with Monte-Carlo
standard errors, and the median fit time.

Usage::

    nice -n 19 python benchmarks/pairing_effect_calibration.py --studies 200 --effects 0 --designs within
    nice -n 19 python benchmarks/pairing_effect_calibration.py --studies 200 --effects 0.6 --designs within

Target: false positives 3-7 %, coverage 93-97 %.

Measured (issue 26; within participants, 40 participants x 8 pairs, 40 clips, clip SD 0.5, mean d' 0.5;
200 studies a cell, seeds 11 and 12, nice 10 on a loaded machine; Monte-Carlo SE after ±):

    design   effect  fitted   mean est  p<0.05 (%)   covers (%)
    within   0.00    200/200  -0.005     3.5 ± 1.3   96.5 ± 1.3
    within   0.60    200/200   0.574    69.0 ± 3.3   95.5 ± 1.5

Between participants (same design; 200 studies a cell, seed 21, nice 10, load 8-15):

    design   effect  fitted   mean est  p<0.05 (%)   covers (%)  median s
    between  0.00    200/200  -0.030     4.5 ± 1.5   95.5 ± 1.5  4.67
    between  0.60    200/200   0.596    65.0 ± 3.4   97.0 ± 1.2  3.12
"""

from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np

from results.planning.paired_simulate import PAIRING_DESIGNS, simulate_paired_study
from results.statistics.paired_detection import pair_choices
from results.statistics.pairing_effect import pairing_difference


def run_cell(design: str, effect: float, args: argparse.Namespace, rng: np.random.Generator) -> str:
    """Simulate and fit ``args.studies`` studies of one cell; its line of the table."""
    rejected, covered, fitted, seconds, estimates = 0, 0, 0, [], []
    for _ in range(args.studies):
        table = simulate_paired_study(
            args.participants,
            args.pairs,
            d_prime=args.d_prime,
            clip_sd=args.clip_sd,
            n_clips=args.clips,
            pairing=design,
            seed=rng,
            pairing_effect=effect,
        )
        began = time.perf_counter()
        result = pairing_difference(pair_choices(table))
        seconds.append(time.perf_counter() - began)
        if result.not_estimable:
            continue
        fitted += 1
        estimates.append(result.difference)
        rejected += result.p_value < 0.05
        covered += result.ci_low <= effect <= result.ci_high
        if fitted % 25 == 0:  # a running count, so that a stopped run still says what it had
            print(f"  {design} {effect}: {fitted} fitted, {rejected} p<0.05, {covered} covered", flush=True)
    n = max(fitted, 1)
    rate, coverage = rejected / n, covered / n
    return (
        f"{design:8s} {effect:6.2f} {fitted:4d}/{args.studies:<4d} {np.mean(estimates):8.3f} "
        f"{100 * rate:6.1f} ± {100 * math.sqrt(rate * (1 - rate) / n):3.1f} "
        f"{100 * coverage:6.1f} ± {100 * math.sqrt(coverage * (1 - coverage) / n):3.1f} "
        f"{np.median(seconds):8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200, help="studies a cell")
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=8, help="pairs per participant (at most clips / 2)")
    parser.add_argument("--clips", type=int, default=40, help="library size (half AI)")
    parser.add_argument("--clip-sd", type=float, default=0.5)
    parser.add_argument("--d-prime", type=float, default=0.5, help="mean d' over the two pairing types")
    parser.add_argument("--designs", nargs="+", choices=PAIRING_DESIGNS, default=list(PAIRING_DESIGNS))
    parser.add_argument("--effects", nargs="+", type=float, default=[0.0, 0.6], help="d'(similar) - d'(random)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(
        f"{args.participants} participants x {args.pairs} pairs, {args.clips} clips (SD {args.clip_sd}), "
        f"mean d' {args.d_prime}; p<0.05 = false positives at effect 0, power otherwise (± Monte-Carlo SE)"
    )
    print("design   effect  fitted  mean est  p<0.05 (%)   covers (%)  median s")
    for design, effect in itertools.product(args.designs, args.effects):
        print(run_cell(design, effect, args, rng), flush=True)


if __name__ == "__main__":
    main()

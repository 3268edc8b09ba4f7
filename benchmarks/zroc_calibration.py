"""Calibration of the zROC slope and d_a (:func:`results.statistics.zroc.zroc_fit`, issue 22, item 8).

Each study (:func:`results.planning.simulate.simulate_study`): 60 participants x 12 trials from 20 or 40 clips; the
clip's evidence shift ~ N(0, clip SD); participants' criteria ~ N(0, 0.3); evidence within a clip N(-d'/2, 1) for
human clips and N(+d'/2, sd_ai^2) for AI clips; confidence 1..6 from the simulator's thresholds.
The pooled (marginal) truth: slope ``sqrt((1 + v) / (sd_ai^2 + v))`` with ``v = clip SD^2 + 0.3^2``, and
``d_a = d' / sqrt((1 + sd_ai^2) / 2 + v)``. Per cell it prints the share of studies whose slope test rejects
``s = 1`` (false positives at sd_ai = 1, power otherwise) and the coverage of the true slope and d_a.

Measured (issue 22; 100 studies a cell, d' 1, a shared machine at load 20; a 5 % rate's SE is 2.2 points):

    sd_ai  clip SD  clips  true slope  rejects s=1  slope coverage  true d_a  d_a coverage
    1      0.5      20     1.000        5.0 %        95.0 %          0.864     95.0 %
    1      0.5      40     1.000        6.0 %        94.0 %          0.864     95.0 %
    1      1.0      20     1.000        3.0 %        97.0 %          0.692     94.0 %
    1      1.0      40     1.000        7.0 %        93.0 %          0.692     95.0 %
    1.5    0.5      20     0.719       94.0 %        97.0 %          0.713     96.0 %

Usage::

    nice -n 15 python benchmarks/zroc_calibration.py --studies 200
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd

from results.planning.simulate import simulate_study
from results.statistics.zroc import zroc_fit

N_PARTICIPANTS, N_TRIALS, CRITERION_SD = 60, 12, 0.3


def simulate(seed: int, d_prime: float, sd_ai: float, clip_sd: float, n_clips: int) -> pd.DataFrame:
    """One study (module docstring): :func:`results.planning.simulate.simulate_study` with the AI clips'
    evidence SD ``sd_ai`` and participants' criteria ~ N(0, 0.3)."""
    criteria = np.random.default_rng(seed + 1_000_000).normal(0, CRITERION_SD, N_PARTICIPANTS)
    return simulate_study(
        N_PARTICIPANTS,
        N_TRIALS,
        d_prime=d_prime,
        criterion=criteria,
        n_clips=n_clips,
        cue_weight=clip_sd,
        label_effects={},
        ai_evidence_sd=sd_ai,
        seed=seed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--sd-ai", nargs="+", type=float, default=[1.0, 1.5])
    parser.add_argument("--clip-sds", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--clips", nargs="+", type=int, default=[20, 40])
    parser.add_argument("--d-prime", type=float, default=1.0)
    args = parser.parse_args()
    print(f"{args.studies} studies a cell, {N_PARTICIPANTS} x {N_TRIALS}, d' {args.d_prime:g}, criterion SD 0.3")
    print(
        "| sd_ai | clip SD | clips | true slope | rejects s = 1 (%) | slope cov (%) | true d_a | d_a cov (%) | none |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for sd_ai, clip_sd, n_clips in itertools.product(args.sd_ai, args.clip_sds, args.clips):
        v = clip_sd**2 + CRITERION_SD**2
        true_slope = np.sqrt((1 + v) / (sd_ai**2 + v))
        true_d_a = args.d_prime / np.sqrt((1 + sd_ai**2) / 2 + v)
        rejects, slope_cov, d_a_cov, missing = [], [], [], 0
        for seed in range(args.studies):
            fit = zroc_fit(simulate(seed, args.d_prime, sd_ai, clip_sd, n_clips))
            if fit is None:
                missing += 1
                continue
            rejects.append(fit.slope_p_value < 0.05)
            slope_cov.append(fit.slope_ci_low <= true_slope <= fit.slope_ci_high)
            d_a_cov.append(fit.d_a_ci_low <= true_d_a <= fit.d_a_ci_high)
        print(
            f"| {sd_ai:g} | {clip_sd:g} | {n_clips} | {true_slope:.3f} | {100 * np.mean(rejects):.1f} | "
            f"{100 * np.mean(slope_cov):.1f} | {true_d_a:.3f} | {100 * np.mean(d_a_cov):.1f} | {missing} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

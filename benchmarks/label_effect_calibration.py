"""Calibration of the design analyses (:mod:`results.statistics.designs`) on simulated studies with known truth
(issue 14).

Three rows, each over ``--studies`` simulated studies (:func:`results.planning.designs_simulate.simulate_design_study`,
40 participants x 12 trials from 40 clips, clip SD 0.7, rating noise SD 1.5, participants' own
label effects SD 0.3, clips' own label effects SD ``--clip-label-sd`` (default 0.5; issue 22: a label that
moves some clips more than others), 1..9 integer ratings):

- label effect 0 (labelled condition, 50 % true / 50 % reversed labels): false-positive rate of
  the ``label_ai`` test at 5 %, and coverage of 0 by its 95 % interval;
- label effect 0.5 scale points: power and coverage of 0.5;
- asking effect 0 (blind vs rate-only, 60 participants): false-positive rate of the ``asked`` test.

Usage::

    nice python benchmarks/label_effect_calibration.py --studies 200

Target (issue 14): false positives 3-7 %, coverage 93-97 %. With 200 studies a rate's standard
error is about 1.5 points at 5 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from core.vocabulary import Condition
from results.mixed.terms import ModelFitError
from results.planning.designs_simulate import simulate_design_study
from results.statistics.designs import guess_question_effects, label_effects

SCALE = ("moved",)


def _row(name: str, term: str, true_value: float, studies: int, **simulation) -> None:
    rejected = covered = failed = with_slope = 0
    started = time.perf_counter()
    for seed in range(studies):
        table = simulate_design_study(scales=SCALE, seed=seed, **simulation)
        try:
            effects = label_effects(table, SCALE) if term == "label_ai" else guess_question_effects(table, SCALE)
        except ModelFitError:
            failed += 1
            continue
        with_slope += any("(1 + label_ai || clip)" in note for note in effects.structures)
        row = effects.table.set_index("term").loc[term]
        rejected += bool(row["p_value"] < 0.05)
        covered += bool(row["ci_low"] <= true_value <= row["ci_high"])
    fitted = max(studies - failed, 1)
    seconds = (time.perf_counter() - started) / studies
    print(
        f"{name:<34} {term:<9} true {true_value:4.1f}: rejects {100 * rejected / fitted:5.1f} %, "
        f"95 % CI covers truth {100 * covered / fitted:5.1f} %, failed fits {failed}, "
        f"by-clip label slope in {with_slope}, {seconds * 1000:6.0f} ms/study"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--clip-label-sd", type=float, default=0.5, help="SD of the clips' own label effects")
    args = parser.parse_args()
    standard_error = 100 * np.sqrt(0.05 * 0.95 / args.studies)
    print(
        f"{args.studies} simulated studies per row, clip label SD {args.clip_label_sd:g}; "
        f"standard error of a 5 % rate ~ {standard_error:.1f} points"
    )
    common = {"n_trials": 12, "n_clips": 40, "clip_label_sd": args.clip_label_sd}
    _row("no label effect (false positives)", "label_ai", 0.0, args.studies, n_participants=40, **common)
    _row(
        "label effect 0.5 (power, coverage)",
        "label_ai",
        0.5,
        args.studies,
        n_participants=40,
        label_effect=0.5,
        **common,
    )
    _row(
        "no asking effect (false positives)",
        "asked",
        0.0,
        args.studies,
        n_participants=60,
        conditions=(Condition.BLIND, Condition.RATE_ONLY),
        **common,
    )


if __name__ == "__main__":
    main()

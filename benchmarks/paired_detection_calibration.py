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
    # rounds that add up: seeds per study, every study appended to RAW as it finishes, a rerun resumes
    nice -n 10 python benchmarks/paired_detection_calibration.py --studies 50 --first-seed 50 --raw paired.jsonl
    python benchmarks/paired_detection_calibration.py --summarise paired.jsonl

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

Round 3 (200-400 studies a cell, one seed a study, raw file kept):
benchmarks/results/inference_calibration.md, "Paired (2AFC) d' and the label tests".

Random pairing: 21 of 650 null studies (3.2 %). Matched pairs: 2 of 200 (1.0 %): the F(1, pairs - 1)
reference is conservative when participants carry much of the intercept's variance.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import time

import numpy as np

from results.planning.paired_simulate import PAIRINGS, simulate_paired_study
from results.statistics.paired_detection import paired_detection

PARTICIPANT_SD = 0.3


def one_study(cell: tuple[str, float, int, float], seed: int, args: argparse.Namespace) -> dict:
    """Simulate study ``seed`` of one cell and fit it: estimable, p < 0.05, covered, fit seconds."""
    pairing, clip_sd, n_clips, truth = cell
    table = simulate_paired_study(
        args.participants,
        args.pairs,
        d_prime=truth,
        clip_sd=clip_sd,
        n_clips=n_clips,
        pairing=pairing,
        participant_sd=PARTICIPANT_SD,
        seed=seed,
    )
    began = time.perf_counter()
    result = paired_detection(table)
    seconds = time.perf_counter() - began
    if result is None or result.not_estimable:
        return {"seed": seed, "estimable": False, "seconds": seconds}
    covered = bool(result.ci_low <= truth <= result.ci_high)
    return {
        "seed": seed,
        "estimable": True,
        "rejected": bool(result.p_value < 0.05),
        "covered": covered,
        "seconds": seconds,
    }


def cell_line(cell: tuple[str, float, int, float], studies: list[dict]) -> str:
    """The cell's line of the table: rejection rate and coverage (± Monte-Carlo SE) over its estimable studies."""
    pairing, clip_sd, n_clips, truth = cell
    fitted = [s for s in studies if s["estimable"]]
    n = max(len(fitted), 1)
    rate = sum(s["rejected"] for s in fitted) / n
    coverage = sum(s["covered"] for s in fitted) / n
    seconds = np.median([s["seconds"] for s in studies]) if studies else np.nan
    return (
        f"{pairing:8s} {clip_sd:7.1f} {n_clips:5d} {truth:4.1f} {len(fitted):4d}/{len(studies):<4d} "
        f"{100 * rate:6.1f} ± {100 * math.sqrt(rate * (1 - rate) / n):3.1f} "
        f"{100 * coverage:6.1f} ± {100 * math.sqrt(coverage * (1 - coverage) / n):3.1f} "
        f"{seconds:8.2f}"
    )


def read_raw(path: str | None) -> dict[tuple, dict[int, dict]]:
    """Studies of a ``--raw`` file by cell and seed (a study written twice counts once)."""
    by_cell: dict[tuple, dict[int, dict]] = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as raw:
            for line in raw:
                study = json.loads(line)
                by_cell.setdefault(tuple(study.pop("cell")), {})[study["seed"]] = study
    return by_cell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=100, help="studies a cell")
    parser.add_argument("--participants", type=int, default=40)
    parser.add_argument("--pairs", type=int, default=8, help="pairs per participant (at most clips / 2)")
    parser.add_argument("--pairings", nargs="+", choices=PAIRINGS, default=list(PAIRINGS))
    parser.add_argument("--clip-sds", nargs="+", type=float, default=[0.5, 1.0])
    parser.add_argument("--clips", nargs="+", type=int, default=[20, 40], help="library sizes (half AI)")
    parser.add_argument("--d-primes", nargs="+", type=float, default=[0.0, 0.5])
    parser.add_argument("--first-seed", type=int, default=0, help="study seeds first-seed .. first-seed + studies - 1")
    parser.add_argument("--raw", help="append every study here (JSON lines) as it finishes; a rerun resumes")
    parser.add_argument("--summarise", metavar="RAW", help="print the table of a --raw file; run nothing")
    args = parser.parse_args()
    print(
        f"{args.participants} participants x {args.pairs} pairs, participant d' and bias SD {PARTICIPANT_SD}; "
        "p<0.05 is the false-positive rate at d' = 0 and the power otherwise (± Monte-Carlo SE)"
    )
    print("pairing  clip_sd clips   d'  estimable  p<0.05 (%)    covers (%)  median s")
    if args.summarise:
        for cell, by_seed in sorted(read_raw(args.summarise).items()):
            print(cell_line(cell, list(by_seed.values())))
        return
    done = read_raw(args.raw)
    for cell in itertools.product(args.pairings, args.clip_sds, args.clips, args.d_primes):
        studies: list[dict] = []
        for seed in range(args.first_seed, args.first_seed + args.studies):
            study = done.get(cell, {}).get(seed) or one_study(cell, seed, args)
            studies.append(study)
            if args.raw and seed not in done.get(cell, {}):
                with open(args.raw, "a", encoding="utf-8") as raw:
                    raw.write(json.dumps({"cell": cell, **study}) + "\n")
        print(cell_line(cell, studies), flush=True)


if __name__ == "__main__":
    main()

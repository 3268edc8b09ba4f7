"""Issue 22, items 2 and 4: does the ROC's AUC interval cover, and can a null study reach "equivalent"?

Part 1, the ROC interval (:func:`results.statistics.roc.roc_from_confidence`, now the two-way
interval over participants and clips): coverage of the true AUC on simulated studies with
participant d' and criterion SD 0.3 and clip SD 0.5 and 1, 20 and 40 clips, 60 x 12 (the bootstrap
over participants it replaced covered 28-75 %). The true AUC is that of the 6-point confidence scale
under the marginal evidence ``N(+-d'/2, k^2)``, ``k = marginal_scale(clip_sd, 0.3, 0.3)``.

Part 2, the verdict (:func:`results.statistics.equivalence.verdict`, margin ±0.3 d'): the share of
studies called "equivalent" at true d' = 0 over participants and clips (the planner's fast analysis,
:func:`results.planning.power.power_curve`), its false-equivalence rate at d' = the margin (the TOST's
size, at most alpha), the share called "reversed detection" at d' = -0.5, and, with ``--full``, the
app's own verdict (the GLMM) on a few studies of one cell.

Usage::

    nice -n 19 python benchmarks/roc_equivalence_calibration.py
    nice -n 19 python benchmarks/roc_equivalence_calibration.py --roc-studies 200 --sims 200 --full 20
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from results.planning.power import PlanDesign, analyse_study, clips_for_equivalence, equivalence_floor, power_curve
from results.planning.simulate import CONFIDENCE_OFFSETS, simulate_study
from results.statistics.equivalence import marginal_scale
from results.statistics.roc import roc_from_confidence

PARTICIPANT_SD = CRITERION_SD = 0.3


def true_auc(d_prime: float, scale: float) -> float:
    """AUC of the 6-point confidence scale when the evidence is ``N(+-d'/2, scale^2)`` (ties count half)."""
    edges = np.concatenate([[-np.inf], CONFIDENCE_OFFSETS, [np.inf]])
    signal = np.diff(stats.norm.cdf((edges - d_prime / 2) / scale))
    noise = np.diff(stats.norm.cdf((edges + d_prime / 2) / scale))
    return float((signal * (np.cumsum(noise) - noise + 0.5 * noise)).sum())


def roc_coverage(d_prime: float, clip_sd: float, n_clips: int, studies: int, seed: int) -> tuple[float, float]:
    """(coverage of the true AUC, rejection rate of AUC = 0.5) over ``studies`` simulated studies."""
    truth = true_auc(d_prime, marginal_scale(clip_sd, CRITERION_SD, PARTICIPANT_SD))
    rng = np.random.default_rng(seed)
    covered = rejected = 0
    for _ in range(studies):
        table = simulate_study(
            60,
            12,
            d_prime=d_prime + PARTICIPANT_SD * rng.standard_normal(60),
            criterion=CRITERION_SD * rng.standard_normal(60),
            n_clips=n_clips,
            cue_weight=clip_sd,
            label_effects={},
            seed=int(rng.integers(2**31)),
        )
        roc = roc_from_confidence(table)
        covered += roc.auc_ci[0] <= truth <= roc.auc_ci[1]
        rejected += roc.p_value < 0.05
    return covered / studies, rejected / studies


def part_roc(args: argparse.Namespace) -> None:
    print(f"Part 1: ROC AUC interval, 60 x 12, participant and criterion SD 0.3, {args.roc_studies} studies a cell")
    print("  d'   clip SD  clips  coverage  rejects AUC = 0.5")
    for d_prime in (0.0, 1.0):
        for clip_sd in (0.5, 1.0):
            for n_clips in (20, 40):
                coverage, rejected = roc_coverage(d_prime, clip_sd, n_clips, args.roc_studies, args.seed)
                print(f"  {d_prime:3.1f}  {clip_sd:7.1f}  {n_clips:5d}  {100 * coverage:7.1f}%  {100 * rejected:8.1f}%")


def part_equivalence(args: argparse.Namespace) -> None:
    margin, sizes = args.margin, tuple(args.sizes)
    print(f"\nPart 2: verdicts, margin ±{margin:g} d', clip SD {args.clip_sd:g}, {args.trials} trials a participant, ")
    print(f"        fast analysis, {args.sims} studies a cell (Monte Carlo SE <= {50 / np.sqrt(args.sims):.1f} points)")
    print("  clips  floor  clips for 80%  true d'  " + "  ".join(f"N={n:<5d}" for n in sizes) + "  (share)")
    for n_clips in args.clips:
        for d_prime, column in ((0.0, "power_equivalence"), (margin, "power_equivalence"), (-0.5, "share_reversed")):
            design = PlanDesign(
                n_clips=n_clips, n_trials=args.trials, d_prime=d_prime, clip_sd=args.clip_sd, d_prime_margin=margin
            )
            curve = power_curve(design, sizes, args.sims, workers=1, seed=args.seed)
            needed = clips_for_equivalence(design)
            shares = "  ".join(f"{100 * share:6.1f}%" for share in curve[column])
            label = "equivalent" if column == "power_equivalence" else "reversed"
            print(
                f"  {n_clips:5d}  {equivalence_floor(design):5.2f}  {needed!s:>13}  {d_prime:6.2f}  {shares}  ({label})"
            )


def part_full(args: argparse.Namespace) -> None:
    n, n_clips = args.full_cell
    design = PlanDesign(
        n_clips=n_clips, n_trials=args.trials, d_prime=0.0, clip_sd=args.clip_sd, d_prime_margin=args.margin
    )
    rng = np.random.default_rng(args.seed)
    start, outcomes = time.perf_counter(), []
    from results.planning.power import simulate_design

    for _ in range(args.full):
        outcomes.append(analyse_study(simulate_design(design, n, int(rng.integers(2**31))), design, "full"))
    equivalent = np.nanmean([o["equivalent"] for o in outcomes])
    failed = sum(o["failed"] for o in outcomes)
    print(
        f"\nPart 3: the app's verdict (GLMM, interval-inverting TOST) at d' = 0, N = {n}, {n_clips} clips: "
        f"equivalent in {100 * equivalent:.0f}% of {args.full} studies ({failed:.0f} failed fits, "
        f"{time.perf_counter() - start:.0f} s)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roc-studies", type=int, default=100, help="studies per ROC cell")
    parser.add_argument("--sims", type=int, default=100, help="studies per verdict cell")
    parser.add_argument("--margin", type=float, default=0.3)
    parser.add_argument("--clip-sd", type=float, default=0.5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=(60, 200, 600))
    parser.add_argument("--clips", type=int, nargs="+", default=(40, 80, 160))
    parser.add_argument("--full", type=int, default=0, help="studies for the GLMM check (0: skip)")
    parser.add_argument("--full-cell", type=int, nargs=2, default=(200, 80), metavar=("N", "CLIPS"))
    parser.add_argument("--skip-roc", action="store_true")
    parser.add_argument("--roc-only", action="store_true")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args(argv)
    if not args.skip_roc:
        part_roc(args)
    if not args.roc_only:
        part_equivalence(args)
    if args.full:
        part_full(args)


if __name__ == "__main__":
    main()

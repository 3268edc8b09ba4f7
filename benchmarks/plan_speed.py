"""How long the power planner takes: 10 sample sizes x 100 simulated worlds (issues 11, 24).

Target: under 2 minutes with the planner's default "fast" analysis (issue 11); since issue 24 every size
is studied in the same worlds (common random numbers) and the fast analysis runs on arrays in one
process, so the curve takes seconds. Also times single studies
with the full headline analysis (the GLMM with likelihood-ratio test and profile intervals) to
show why planning does not use it, and, with ``--compare N``, puts the power of the two analyses
side by side at one sample size (N studies each; the full analysis takes about a second each).

Usage::

    python benchmarks/plan_speed.py [--sims 100] [--workers 2] [--compare 40]
"""

from __future__ import annotations

import argparse
import statistics
import time

from results.planning.power import DEFAULT_SIZES, PlanDesign, analyse_study, power_curve, simulate_design


def time_single_studies(design: PlanDesign, n_participants: int, repeats: int) -> dict[str, list[float]]:
    """Seconds per study (simulate + analyse) for each method, ``repeats`` studies each."""
    out: dict[str, list[float]] = {"fast": [], "full": []}
    for seed in range(repeats):
        table = simulate_design(design, n_participants, seed)
        for method in out:
            start = time.perf_counter()
            analyse_study(table, design, method)
            out[method].append(time.perf_counter() - start)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=100, help="studies per sample size (default 100)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", type=int, default=0, help="also run N studies of both methods at 100 participants")
    args = parser.parse_args(argv)
    design = PlanDesign()
    print(f"design: {design}")
    singles = time_single_studies(design, 100, 5)
    for method, seconds in singles.items():
        print(
            f"one study, 100 participants, {method}: "
            f"median {statistics.median(seconds):.3f} s, max {max(seconds):.3f} s"
        )
    start = time.perf_counter()
    curve = power_curve(design, DEFAULT_SIZES, args.sims, workers=args.workers, seed=11)
    elapsed = time.perf_counter() - start
    print(curve.round(3).to_string(index=False))
    print(
        f"plan: {len(DEFAULT_SIZES)} sizes x {args.sims} studies, fast method, {args.workers} workers: "
        f"{elapsed:.1f} s (target < 120 s)"
    )
    if args.compare:
        for method in ("fast", "full"):
            start = time.perf_counter()
            row = power_curve(design, (100,), args.compare, method=method, workers=args.workers, seed=5).iloc[0]
            print(
                f"{method}: power {row.power_detection:.2f} (d' test {row.power_dprime:.2f}, equivalence "
                f"{row.power_equivalence:.2f}), {row.fit_failures} failed fits, {time.perf_counter() - start:.0f} s"
            )


if __name__ == "__main__":
    main()

"""Calibration of the reported emotion test, the ordinal (cumulative link) mixed model, on simulated studies.

Each study: 60 participants x 12 trials (6 AI and 6 human clips each, drawn from a library of 20 or 40
clips, half AI). A rating on the 1-9 scale is the latent value

    true_effect * is_ai (-0.5/+0.5) + participant shift + clip effect + logistic noise

cut at thresholds -3, -2, -1, -0.3, 0.3, 1, 2, 3 (the spacing of a scale whose middle is used most).
The participant shift (SD ``--participant-sd``, default 0.8) moves all of a participant's thresholds,
i.e. a listener who rates everything higher; ``--participant-scale-sd`` also stretches a participant's
thresholds (scale use, not in the model); ``--slope-sd`` gives participants their own source effect
(not in the model either). The clip effect (SD 0.5 or 1) is unrelated to the source. The true value the
interval must cover is ``true_effect`` (the CLMM coefficient is conditional on the random effects).

Per cell it prints the rejection rate of "no source effect" (false positives at effect 0, power at
``--effect``), the coverage of the 95 % interval, failed fits, and the median fit time. The app's test
(t on clips - 2 df, :func:`results.statistics.emotion_ordinal.emotion_ordinal_model`) is shown with the
plain Wald z-test of the same fit (``clmm``'s ``Pr(>|z|)``) beside it, and the linear mixed model's
Satterthwaite t-test (the sensitivity check) when ``--linear`` is given.

Usage::

    nice -n 10 python benchmarks/emotion_calibration.py --studies 200 --workers 2
    python benchmarks/emotion_calibration.py --studies 20 --clip-sds 1 --n-clips 20

With 200 studies a rate's standard error is about 1.5 points at 5 %.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from multiprocessing import Pool

import numpy as np
import pandas as pd
from scipy import stats

from results.mixed.terms import ModelFitError
from results.statistics.emotion_ordinal import emotion_ordinal_model
from results.statistics.models import emotion_mixed_model

THRESHOLDS = np.array([-3, -2, -1, -0.3, 0.3, 1, 2, 3])
N_PARTICIPANTS, N_TRIALS = 60, 12


def simulate_ratings(
    effect: float, clip_sd: float, n_clips: int, args: argparse.Namespace, rng: np.random.Generator
) -> pd.DataFrame:
    """A trial table (the columns the emotion models read) of one simulated study (module docstring)."""
    clip_is_ai = np.arange(n_clips) >= n_clips // 2
    clip_effect = rng.normal(0, clip_sd, n_clips)
    shift = rng.normal(0, args.participant_sd, N_PARTICIPANTS)
    stretch = np.exp(rng.normal(0, args.participant_scale_sd, N_PARTICIPANTS))
    slope = effect + rng.normal(0, args.slope_sd, N_PARTICIPANTS)
    human, ai = np.flatnonzero(~clip_is_ai), np.flatnonzero(clip_is_ai)
    rows = []
    for p in range(N_PARTICIPANTS):
        clips = np.concatenate(
            [rng.choice(human, N_TRIALS // 2, replace=False), rng.choice(ai, N_TRIALS // 2, replace=False)]
        )
        source = clip_is_ai[clips] - 0.5
        latent = slope[p] * source + shift[p] + clip_effect[clips] + rng.logistic(size=clips.size)
        ratings = 1 + np.searchsorted(THRESHOLDS * stretch[p], latent)
        rows += [(p, f"c{j}", bool(a), False, float(r)) for j, a, r in zip(clips, clip_is_ai[clips], ratings)]
    return pd.DataFrame(rows, columns=["participant_id", "clip_id", "is_ai", "guessed_ai", "moved"])


def one_study(job: tuple) -> dict:
    """Fit one simulated study; the tests' rejections and coverages (NaN when the fit failed)."""
    (effect, clip_sd, n_clips), seed, args = job
    trials = simulate_ratings(effect, clip_sd, n_clips, args, np.random.default_rng(seed))
    out = {"effect": effect, "clip_sd": clip_sd, "n_clips": n_clips}
    start = time.perf_counter()
    try:
        model = emotion_ordinal_model(trials, "moved")
    except ModelFitError as error:
        return out | {"failed": 1, "reason": str(error)}
    out["seconds"] = time.perf_counter() - start
    row = model.effect
    z_crit = stats.norm.ppf(0.975)
    out |= {
        "failed": 0,
        "clmm_t_reject": row["p_value"] < 0.05,
        "clmm_t_cover": row["ci_low"] <= effect <= row["ci_high"],
        "clmm_z_reject": 2 * stats.norm.sf(abs(row["z"])) < 0.05,
        "clmm_z_cover": abs(row["estimate"] - effect) <= z_crit * row["se"],
        "estimate": row["estimate"],
    }
    if args.linear:
        try:
            linear = next(r for r in emotion_mixed_model(trials, "moved").fixed_effects if r["term"] == "is_ai")
            out["lmm_reject"] = linear["p_value"] < 0.05
        except ModelFitError:
            out["lmm_reject"] = np.nan
    return out


def summarise(results: list[dict]) -> pd.DataFrame:
    """Per cell: studies, failed fits, rejection rates and coverages (%), median seconds per fit."""
    frame = pd.DataFrame(results)
    columns = [c for c in frame.columns if c.endswith(("_reject", "_cover"))]
    frame[columns] = frame[columns].astype(float) * 100
    cells = frame.groupby(["effect", "clip_sd", "n_clips"])
    table = cells[columns].mean().round(1)
    table.insert(0, "failed", cells["failed"].sum())
    table.insert(0, "studies", cells.size())
    table["mean_estimate"] = cells["estimate"].mean().round(3)
    table["median_s"] = cells["seconds"].median().round(2)
    return table.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--effect", type=float, default=0.5, help="true effect for the power rows (logit units)")
    parser.add_argument("--clip-sds", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--n-clips", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--participant-sd", type=float, default=0.8)
    parser.add_argument("--participant-scale-sd", type=float, default=0.2)
    parser.add_argument("--slope-sd", type=float, default=0.0)
    parser.add_argument("--linear", action="store_true", help="also the linear model's test (sensitivity check)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--raw", help="append every study's result to this JSON-lines file as it finishes")
    parser.add_argument("--summarise", help="only print the table of a --raw file (e.g. of a run still going)")
    args = parser.parse_args()
    if args.summarise:
        with open(args.summarise) as raw:
            print(summarise([json.loads(line) for line in raw]).to_string(index=False))
        return
    cells = list(itertools.product([0.0, args.effect], args.clip_sds, args.n_clips))
    # Seeds outer, cells inner: a run stopped early still covers every cell.
    jobs = [
        (cell, args.seed * 100_000 + i * len(cells) + k, args)
        for i in range(args.studies)
        for k, cell in enumerate(cells)
    ]
    started = time.perf_counter()
    results = []
    with Pool(args.workers) as pool:
        for result in pool.imap_unordered(one_study, jobs, chunksize=1):
            results.append(result)
            if args.raw:
                with open(args.raw, "a") as raw:
                    raw.write(
                        json.dumps({k: float(v) if isinstance(v, np.generic) else v for k, v in result.items()}) + "\n"
                    )
    print(
        f"{N_PARTICIPANTS} participants x {N_TRIALS} trials, participant shift SD {args.participant_sd}, "
        f"scale-use SD {args.participant_scale_sd}, participant slope SD {args.slope_sd}; "
        f"{args.studies} studies per cell; {time.perf_counter() - started:.0f} s in all"
    )
    print(summarise(results).to_string(index=False))


if __name__ == "__main__":
    main()

"""Calibration of the headline detection tests on simulated studies with known truth (issue 10).

For every cell of the grid (true d' x clip SD x number of clips; 60 participants x 12 trials)
it simulates studies with :func:`results.planning.simulate.simulate_study` (``cue_weight`` is the clip
SD: each clip's "AI-soundingness" in probit units, unrelated to its true source) and reports,
per headline test, the rejection rate of "no detection" (false-positive rate at d' = 0, power
otherwise), the coverage of the 95 % interval of the true value, and how many GLMM fits aborted
or fell back to a simpler random structure. The pooled tests that treat clips as fixed are shown
for comparison. The GLMM statistics are the app's (:func:`results.statistics.models.detection_mixed_model`);
the coverage of its profile interval is checked by test inversion (the likelihood-ratio
statistic at the true value against the same critical value), which is what the interval is.
``--raw`` also writes every study's statistics, so other reference distributions can be
evaluated on the same fits.

Three references for the likelihood-ratio tests of d' = 0 and of c = 0 (issue 22): chi-square(1) (lme4's
``anova``), the app's page default ``F(1, clips - 2)`` (between-within df) and the parametric bootstrap
(:mod:`results.mixed.bootstrap`). A full bootstrap per study (200 samples, 1.5-3.5 min on a busy two-core
machine) would make the grid take days, so its rejection rate is estimated by the warp-speed method (Giacomini,
Politis & White 2013, Econometric Theory 29): every study draws one (``--pb-draws``) bootstrap sample from its
own null fit and refits both models; the cell's pooled bootstrap statistics are the reference distribution,
and a study rejects when its statistic exceeds their 95 % quantile.
``--pb-samples B`` runs the real test with B samples per study instead (slow).

Seeds and clip samples. Study ``seed`` draws the same clips (their cues) in every cell with the same number of
clips, so cells that share seeds are not independent, and a few dozen seeds can hold several clip samples whose
mean cue is far from 0: seeds 0-24 at 20 clips hold four (16 %) where an exact t-test of the true cues rejects
(:func:`exact_clip_tests`), which is why the criterion seemed to reject 13 of 100 null studies in issue 22's first
run. The table shows that exact test's rate per cell, and ``--summarise`` also gives seed-adjusted false-positive
rates with it as control variate (:func:`seed_adjusted`) and the size-adjusted power of d'
(:func:`size_adjusted_power`).
Rounds add up: ``--first-seed`` picks the seeds, one process appends each study to ``--raw`` as it finishes, a
rerun resumes, and ``--summarise`` merges raw files counting each (cell, seed) once.
The time of one bootstrap sample (two refits) is measured and printed as the cost of the default test.

True values: the GLMM's d' is the generating d' (conditional on the clip) and c is 0; the
population accuracy is ``Phi(d' / 2 / sqrt(1 + sd^2))`` and the population AUC is that of the
6-point confidence scale under the marginal evidence distributions ``N(+-d'/2, 1 + sd^2)``.

Usage::

    nice -n 10 python benchmarks/inference_calibration.py --studies 50 --first-seed 50 --d-primes 0 --clip-sds 1 \
        --clips 20 --raw raw.jsonl
    python benchmarks/inference_calibration.py --summarise raw.jsonl
    python benchmarks/inference_calibration.py --studies 200 --workers 2
    python benchmarks/inference_calibration.py --clip-sds 0.5 1 0 --d-primes 0 1 --raw raw.jsonl

Target (issue 10): false positives 3-7 %, coverage 93-97 %, 0 aborts. With 200 studies a
rate's standard error is about 1.5 points at 5 %.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from multiprocessing import Pool

import numpy as np
from scipy import stats

from results.mixed.binomial import fit_binomial
from results.mixed.bootstrap import parametric_bootstrap_lr, simulate_responses
from results.mixed.inference import critical_value, deviance_excess, fit_with_fallback, lr_p_value
from results.mixed.terms import ModelFitError
from results.planning.simulate import CONFIDENCE_OFFSETS, simulate_study
from results.statistics.cluster_variance import two_way_clustered
from results.statistics.detection import detection_summary, main_trials
from results.statistics.models import clip_df, detection_design

D_PRIMES = (0.0, 0.5, 1.0)
CLIP_SDS = (0.0, 0.5, 1.0)
N_CLIPS = (20, 40)
N_PARTICIPANTS, N_TRIALS = 60, 12
TESTS = (
    "glmm_dprime",
    "glmm_dprime_chi2",
    "glmm_dprime_pb",
    "glmm_criterion",
    "glmm_criterion_chi2",
    "glmm_criterion_pb",
    "exact_criterion",
    "exact_dprime",
    "accuracy",
    "auc",
    "pooled_binomial",
    "participant_t",
)


def true_values(d_prime: float, clip_sd: float) -> dict[str, float]:
    """Population values each interval should cover (module docstring)."""
    scale = np.sqrt(1 + clip_sd**2)
    edges = np.concatenate([[-np.inf], CONFIDENCE_OFFSETS, [np.inf]])
    signal = np.diff(stats.norm.cdf((edges - d_prime / 2) / scale))
    noise = np.diff(stats.norm.cdf((edges + d_prime / 2) / scale))
    auc = float((signal * (np.cumsum(noise) - noise + 0.5 * noise)).sum())
    return {
        "glmm_dprime": d_prime,
        "glmm_criterion": 0.0,
        "accuracy": float(stats.norm.cdf(d_prime / 2 / scale)),
        "auc": auc,
    }


def participant_values(d_prime: float, participant_sd: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each participant's own d' ~ N(d', sd^2) and criterion c ~ N(0, sd^2), shapes (participants,).

    Drawn from their own stream (``seed`` offset by 10^6) so that the study's clips and trials are
    those of the same seed without participant variation.
    """
    rng = np.random.default_rng(seed + 1_000_000)
    d_primes = d_prime + participant_sd * rng.standard_normal(N_PARTICIPANTS)
    criteria = participant_sd * rng.standard_normal(N_PARTICIPANTS)
    return d_primes, criteria


def one_study(task: tuple[float, float, int, int, bool, int, int, float]) -> dict:
    """Fit every headline test to one simulated study; rejections, coverage and fit outcome."""
    d_prime, clip_sd, n_clips, seed, with_glmm, pb_samples, pb_draws, participant_sd = task
    d_primes, criteria = participant_values(d_prime, participant_sd, seed)
    df = simulate_study(
        N_PARTICIPANTS,
        N_TRIALS,
        d_prime=d_primes,
        criterion=criteria,
        n_clips=n_clips,
        cue_weight=clip_sd,
        label_effects={},
        seed=seed,
    )
    truth = true_values(d_prime, clip_sd)
    out: dict[str, object] = {"seed": seed, "aborted": False, "fell_back": False, "singular": False}
    out.update(exact_clip_tests(df))
    summary = detection_summary(df)
    out["pooled_binomial"] = (summary.accuracy.p_value < 0.05, None)
    out["participant_t"] = (summary.d_prime.p_value < 0.05, None)
    clustered = two_way_clustered(main_trials(df, optional=("confidence",)))
    for name in ("accuracy", "auc"):
        estimate = clustered[name]
        out[name] = (estimate.p_value < 0.05, estimate.ci_low <= truth[name] <= estimate.ci_high)
        out[f"{name}_raw"] = (estimate.estimate - truth[name], estimate.estimate - 0.5, estimate.se)
    if not with_glmm:
        return out
    try:
        out.update(_glmm_outcomes(df, truth, seed, (pb_samples, pb_draws)))
    except ModelFitError:
        out["aborted"] = True
    return out


def exact_clip_tests(df) -> dict[str, tuple[bool, None]]:
    """What an exact test would reject on this study's sample of clips (the seeds' own false-positive rate).

    The clips' true cues ``z_j`` (``feat_listener_cue``) shift the observed criterion by their mean and the
    observed d' by their AI-minus-human difference. The t-tests of both on the true cues, t(clips - 2), are
    exact for a normal sample of clips: a test that generalises over clips can do no better than they do on
    the same seeds. Their rate over a seed range is the benchmark's chance-level reference: with 25 or 100
    seeds it strays far from 5 % (seeds 0-24 at 20 clips: 16 % for the criterion), and cells that share seeds
    share their clips (the cue draws do not depend on d' or the clip SD), so they are not independent.
    """
    clips = df.drop_duplicates("clip_id")
    design = np.column_stack([np.ones(len(clips)), clips["is_ai"].to_numpy(dtype=float) - 0.5])
    cues = clips["feat_listener_cue"].to_numpy(dtype=float)
    coefficients, residual, *_ = np.linalg.lstsq(design, cues, rcond=None)
    df_clips = len(clips) - 2
    covariance = residual[0] / df_clips * np.linalg.inv(design.T @ design)
    t_squared = coefficients**2 / np.diag(covariance)
    critical = stats.f.ppf(0.95, 1, df_clips)
    return {
        "exact_criterion": (bool(t_squared[0] > critical), None),
        "exact_dprime": (bool(t_squared[1] > critical), None),
    }


def _glmm_outcomes(df, truth: dict[str, float], seed: int, bootstrap: tuple[int, int]) -> dict:
    """The GLMM's tests of d' = 0 and c = 0 and whether its profile intervals cover the truth.

    The app's fit with fallback and likelihood ratios, referred to ``F(1, clips - 2)`` (``glmm_dprime``,
    ``glmm_criterion``) and for d' also to chi-square(1) and the parametric bootstrap (module docstring).
    The profile interval is the set of values whose likelihood-ratio statistic stays below the critical
    value, so it covers the truth exactly when the statistic *at the truth* does: one refit per term
    instead of the four of the app's secant search, and free of its approximation.
    """
    trials = main_trials(df)
    y, X, names, structures = detection_design(trials)
    structure = fit_with_fallback(y, X, names, structures)
    df_clips = clip_df(trials)
    out: dict[str, object] = {
        "fell_back": structure.fell_back,
        "singular": structure.fit.singular,
        "raw": {"df": df_clips, "sd": [c["sd"] for c in structure.fit.random_sd]},
    }
    # c = -intercept and its truth is 0, so "intercept = 0" is both its test and its coverage check.
    terms = (("glmm_dprime", "is_ai", truth["glmm_dprime"]), ("glmm_criterion", "(Intercept)", 0.0))
    for name, term, true_value in terms:
        at_zero = deviance_excess(y, X, names, structure, term, 0.0)
        at_truth = at_zero if true_value == 0 else deviance_excess(y, X, names, structure, term, true_value)
        if not np.isfinite(at_zero) or not np.isfinite(at_truth):
            raise ModelFitError(f"the likelihood-ratio refit of {term} failed")
        out[name] = (lr_p_value(at_zero, df_clips) < 0.05, at_truth <= critical_value(df_clips))
        out["raw"][name] = (at_zero, at_truth)  # type: ignore[index]
    pb_samples, pb_draws = bootstrap
    for name, term in (("glmm_dprime", "is_ai"), ("glmm_criterion", "(Intercept)")):
        at_zero, at_truth = out["raw"][name]  # type: ignore[index]
        out[f"{name}_chi2"] = (lr_p_value(at_zero, np.inf) < 0.05, at_truth <= critical_value(np.inf))
        if pb_samples:
            started = time.perf_counter()
            test = parametric_bootstrap_lr(y, X, names, structure, term, n_samples=pb_samples, seed=seed)
            out[f"{name}_pb"] = (test.p_value < 0.05, None)
            out[f"{name}_pb_seconds"] = (time.perf_counter() - started) / pb_samples
        else:
            draws, seconds = _bootstrap_statistics(y, X, names, structure, (term, seed), pb_draws)
            out[f"{name}_pb_draw"], out[f"{name}_pb_seconds"] = draws, seconds
    out["pb_seconds"] = out["glmm_dprime_pb_seconds"]
    return out


def _bootstrap_statistics(y, X, names, structure, term_seed: tuple[str, int], draws: int) -> tuple[list[float], float]:
    """``draws`` parametric-bootstrap draws of the LR statistic of ``term = 0`` (warp-speed method, module
    docstring) and the seconds one draw's two refits took (warm-started as in :func:`parametric_bootstrap_lr`)."""
    term, seed = term_seed
    j = names.index(term)
    keep = [k for k in range(len(names)) if k != j]
    held = [names[k] for k in keep]
    null = fit_binomial(y, X[:, keep], held, structure.factors, hessian=False)
    assert null.optimum is not None
    n_theta = null.optimum.size - len(keep)
    rng = np.random.default_rng(seed)
    start = np.insert(null.optimum, n_theta + j, 0.0)
    started, statistics = time.perf_counter(), []
    for _ in range(draws):
        y_star = simulate_responses(null, X[:, keep], structure, rng)
        try:
            null_star = fit_binomial(y_star, X[:, keep], held, structure.factors, start=null.optimum, hessian=False)
            full_star = fit_binomial(y_star, X, names, structure.factors, start=start, hessian=False)
        except (ModelFitError, np.linalg.LinAlgError):
            continue
        statistics.append(max(null_star.deviance - full_star.deviance, 0.0))
    return statistics, (time.perf_counter() - started) / draws


def warp_speed_rejections(results: list[dict]) -> None:
    """Set ``glmm_dprime_pb`` and ``glmm_criterion_pb`` of every study: its LR above the 95 % quantile of the
    cell's bootstrap draws of that term (``pb_draw`` is the d' draws of runs before the criterion had its own)."""
    for name in ("glmm_dprime", "glmm_criterion"):
        keys = (f"{name}_pb_draw", "pb_draw") if name == "glmm_dprime" else (f"{name}_pb_draw",)
        draws = np.array([d for r in results for key in keys for d in r.get(key, [])], dtype=float)
        draws = draws[np.isfinite(draws)]
        if draws.size == 0:
            continue
        critical = np.quantile(draws, 0.95)
        for r in results:
            if any(key in r for key in keys):
                r[f"{name}_pb"] = (r["raw"][name][0] > critical, None)


def summarise(results: list[dict]) -> dict:
    """Per test: rejection rate and coverage (share of studies); fit outcomes as counts."""
    row = {
        "n": len(results),
        "aborted": sum(r["aborted"] for r in results),
        "fell_back": sum(r["fell_back"] for r in results),
        "singular": sum(r["singular"] for r in results),
        "pb_seconds": float(np.mean([r["pb_seconds"] for r in results if "pb_seconds" in r] or [np.nan])),
    }
    for test in TESTS:
        fitted = [r[test] for r in results if test in r]
        row[f"{test}_reject"] = np.mean([f[0] for f in fitted]) if fitted else np.nan
        covered = [f[1] for f in fitted if f[1] is not None]
        row[f"{test}_cover"] = np.mean(covered) if covered else np.nan
    return row


def _percent(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f}"


HEADER = [
    "d'",
    "clip SD",
    "clips",
    "studies",
    "d' rej F",
    "d' cov F",
    "d' rej chi2",
    "d' cov chi2",
    "d' rej PB",
    "d' exact",
    "c rej F",
    "c cov F",
    "c rej chi2",
    "c rej PB",
    "c exact",
    "acc rej",
    "acc cov",
    "AUC rej",
    "AUC cov",
    "pooled binom rej*",
    "participant t rej*",
    "aborts",
    "fallbacks",
    "singular",
    "PB s/sample",
]
FOOTNOTE = (
    "* treat clips as fixed (shown for comparison, not headline tests). GLMM d' and c: likelihood-ratio test on "
    "F(1, clips - 2) (the page's reference), chi-square(1) (lme4's anova), and the parametric bootstrap (PB; "
    "warp-speed estimate from the cell's pooled bootstrap draws unless --pb-samples). 'exact': the t-test of the "
    "clips' true cues (mean for c, AI minus human for d'), t(clips - 2): the rate an exact test shows on these "
    "seeds' clip samples (exact_clip_tests). 'rej' is the false-positive rate where d' = 0 (c is always 0, so "
    "'c rej' is a false-positive rate in every row) and power otherwise; 'cov' the coverage of the true value "
    "by the 95% interval. 'PB s/sample': seconds of one bootstrap sample (two warm-started refits)."
)


def table_row(cell: tuple, row: dict) -> str:
    """One Markdown row of the calibration table: rejection % and coverage % per test, fit outcomes."""
    d_prime, clip_sd, n_clips = cell
    cells = [f"{d_prime:g}", f"{clip_sd:g}", str(n_clips), str(row["n"])]
    cells += [_percent(row["glmm_dprime_reject"]), _percent(row["glmm_dprime_cover"])]
    cells += [_percent(row["glmm_dprime_chi2_reject"]), _percent(row["glmm_dprime_chi2_cover"])]
    cells += [_percent(row["glmm_dprime_pb_reject"]), _percent(row["exact_dprime_reject"])]
    cells += [_percent(row["glmm_criterion_reject"]), _percent(row["glmm_criterion_cover"])]
    cells += [_percent(row[f"glmm_criterion_{ref}_reject"]) for ref in ("chi2", "pb")]
    cells += [_percent(row["exact_criterion_reject"])]
    for test in ("accuracy", "auc"):
        cells += [_percent(row[f"{test}_reject"]), _percent(row[f"{test}_cover"])]
    cells += [
        _percent(row["pooled_binomial_reject"]),
        _percent(row["participant_t_reject"]),
        str(row["aborted"]),
        str(row["fell_back"]),
        str(row["singular"]),
        f"{row['pb_seconds']:.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def print_header() -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER), flush=True)


def read_raw(paths: list[str]) -> dict[tuple, dict[int, dict]]:
    """The studies of ``--raw`` files by cell ``(d', clip SD, clips, participant SD)`` and seed.

    A study that several files (or rounds) hold counts once, so overlapping seed ranges add up safely.
    """
    by_cell: dict[tuple, dict[int, dict]] = {}
    for path in paths:
        # A finished round is kept gzipped beside the tables (benchmarks/results/raw/); later rounds add to it.
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as raw:
            for number, line in enumerate(raw):
                study = json.loads(line)
                cell = (*study.pop("cell"), study.get("participant_sd"))
                by_cell.setdefault(cell, {})[study.get("seed", -1 - number)] = study
    return by_cell


def seed_adjusted(results: list[dict], test: str, exact: str) -> tuple[float, float]:
    """False-positive rate of ``test`` with the exact clip test as control variate, and its standard error.

    Most of a null cell's sampling error is the luck of its clip samples, which the exact test of the same
    studies (:func:`exact_clip_tests`, known rate 5 %) measures: ``mean(g) - b (mean(e) - 0.05)`` with ``b`` the
    regression of the test's rejections ``g`` on the exact test's ``e`` (control variates; Rubinstein & Kroese
    2016, sec. 5.4). Unbiased up to the estimate of ``b``, with the SE of ``g - b e``.
    """
    pairs = np.array([(r[test][0], r[exact][0]) for r in results if test in r and exact in r], dtype=float)
    if len(pairs) < 2:
        return np.nan, np.nan
    g, e = pairs[:, 0], pairs[:, 1]
    slope = np.cov(g, e)[0, 1] / e.var(ddof=1) if e.var() > 0 else 0.0
    return float(g.mean() - slope * (e.mean() - 0.05)), float(np.std(g - slope * e, ddof=1) / np.sqrt(len(g)))


ADJUSTED = (
    ("d' F", "glmm_dprime", "exact_dprime"),
    ("d' chi2", "glmm_dprime_chi2", "exact_dprime"),
    ("c F", "glmm_criterion", "exact_criterion"),
    ("c chi2", "glmm_criterion_chi2", "exact_criterion"),
)


def size_adjusted_power(results: list[dict], null: list[dict]) -> float:
    """Share of studies whose d' LR statistic exceeds the 95 % quantile of the null cell's (same clip SD and clips).

    Every reference distribution of the one LR statistic (chi-square, F, bootstrap) orders studies alike, so this
    is the power each of them would have at an exact 5 % size: their powers differ only by their sizes.
    """
    null_statistics = [r["raw"]["glmm_dprime"][0] for r in null if "raw" in r]
    statistics = [r["raw"]["glmm_dprime"][0] for r in results if "raw" in r]
    if len(null_statistics) < 20 or not statistics:
        return np.nan
    return float(np.mean(np.array(statistics) > np.quantile(null_statistics, 0.95)))


def adjusted_row(cell: tuple, results: list[dict], null: list[dict]) -> str:
    """Seed-adjusted false-positive rates (% ± SE), mean LR statistics (d' only where d' = 0) and, where d' > 0,
    the size-adjusted power of the d' test (:func:`size_adjusted_power`; ``null``: the cell's d' = 0 studies)."""
    cells = [f"{cell[0]:g}", f"{cell[1]:g}", str(cell[2]), str(len(results))]
    for _, test, exact in ADJUSTED:
        estimate, se = seed_adjusted(results, test, exact) if cell[0] == 0 or "criterion" in test else (np.nan,) * 2
        cells.append("n/a" if not np.isfinite(estimate) else f"{100 * estimate:.1f} ± {100 * se:.1f}")
    for name in ("glmm_dprime", "glmm_criterion"):
        statistics = [r["raw"][name][0] for r in results if "raw" in r]
        null_cell = cell[0] == 0 or name == "glmm_criterion"
        cells.append(f"{np.mean(statistics):.2f}" if statistics and null_cell else "n/a")
    cells.append(_percent(size_adjusted_power(results, null)) if cell[0] != 0 else "n/a")
    return "| " + " | ".join(cells) + " |"


def summarise_raw(paths: list[str]) -> None:
    """The table of every study written by ``--raw`` runs (e.g. several seed ranges), cell by cell, then the
    seed-adjusted false-positive rates (:func:`seed_adjusted`)."""
    by_cell = read_raw(paths)
    for participant_sd in sorted({cell[3] for cell in by_cell}, key=str):
        print(f"\nParticipant d' and c SD: {participant_sd}\n")
        print_header()
        cells = sorted([cell for cell in by_cell if cell[3] == participant_sd], key=lambda c: (c[1], c[2], c[0]))
        for cell in cells:
            results = list(by_cell[cell].values())
            warp_speed_rejections(results)
            print(table_row(cell[:3], summarise(results)), flush=True)
        print("\nSeed-adjusted false-positive rates (control variate: the exact clip test), % ± SE; mean LR at 0\n")
        header = ["d'", "clip SD", "clips", "studies", *(f"{label} adj" for label, _, _ in ADJUSTED)]
        print("| " + " | ".join([*header, "d' LR mean", "c LR mean", "d' power at exact size"]) + " |")
        print("|" + "---|" * (len(header) + 3))
        for cell in cells:
            null = list(by_cell.get((0.0, *cell[1:]), {}).values())
            print(adjusted_row(cell, list(by_cell[cell].values()), null))
    print(f"\n{FOOTNOTE}")


def run_cells(args: argparse.Namespace, cells: list[tuple]) -> None:
    """Every study of every cell, each written to ``--raw`` as soon as it is done; studies already there are skipped.

    One process (``--workers 1``) runs in this process, so an interrupted round keeps every finished study and
    the same command resumes it; more workers map a cell at a time over a pool.
    """
    done = read_raw([args.raw]) if args.raw and os.path.exists(args.raw) else {}
    for cell in cells:
        seeds = range(args.first_seed, args.first_seed + args.studies)
        todo = [seed for seed in seeds if seed not in done.get((*cell, args.participant_sd), {})]
        tasks = [
            (*cell, seed, not args.skip_glmm, args.pb_samples, args.pb_draws, args.participant_sd) for seed in todo
        ]
        if args.workers > 1:
            with Pool(args.workers) as pool:
                results = pool.map(one_study, tasks, chunksize=2)
        else:
            results = []
            for task in tasks:
                results.append(one_study(task))
                _append_raw(args.raw, cell, args.participant_sd, results[-1:])
        if args.workers > 1:
            _append_raw(args.raw, cell, args.participant_sd, results)
        earlier = list(done.get((*cell, args.participant_sd), {}).values())
        results = [r for r in earlier if r.get("seed") in seeds] + results
        warp_speed_rejections(results)
        print(table_row(cell, summarise(results)), flush=True)


def _append_raw(path: str | None, cell: tuple, participant_sd: float, results: list[dict]) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as raw:
            raw.writelines(
                json.dumps({"cell": cell, "participant_sd": participant_sd, **r}, default=float) + "\n" for r in results
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=200, help="simulated studies per cell (issue: >= 200)")
    parser.add_argument("--workers", type=int, default=1, help="processes (1 on a shared machine)")
    parser.add_argument("--d-primes", type=float, nargs="+", default=D_PRIMES)
    parser.add_argument("--clip-sds", type=float, nargs="+", default=CLIP_SDS)
    parser.add_argument("--clips", type=int, nargs="+", default=N_CLIPS)
    parser.add_argument("--skip-glmm", action="store_true", help="only the fast tests (GLMM columns n/a)")
    parser.add_argument("--pb-samples", type=int, default=0, help="full bootstrap per study (slow; 0: warp-speed)")
    parser.add_argument("--pb-draws", type=int, default=1, help="warp-speed bootstrap draws per study and term")
    parser.add_argument(
        "--participant-sd", type=float, default=0.3, help="SD of participants' d' and of their criteria c (issue 22)"
    )
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + studies - 1")
    parser.add_argument("--raw", help="write every study's outcome and statistics here (JSON lines); resumes")
    parser.add_argument(
        "--summarise", metavar="RAW", help="print the table of the studies in RAW files (comma-separated); run nothing"
    )
    args = parser.parse_args(argv)
    if args.summarise:
        summarise_raw(args.summarise.split(","))
        return
    # Clip SD first in the loop order the user gave: each row is printed as soon as its cell is done.
    cells = [(d, sd, n) for sd in args.clip_sds for n in args.clips for d in args.d_primes]
    print(
        f"{args.studies} studies per cell (seeds {args.first_seed}-{args.first_seed + args.studies - 1}) of "
        f"{N_PARTICIPANTS} participants x {N_TRIALS} trials, participant d' and c SD {args.participant_sd:g}, "
        f"{args.workers} process(es)\n"
    )
    print_header()
    started = time.perf_counter()
    run_cells(args, cells)
    print(f"\n{FOOTNOTE}\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

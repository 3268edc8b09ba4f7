"""Could listeners tell? Signal detection statistics of the source judgements.

"AI" is the signal: a hit is an AI clip judged AI, a false alarm a human clip judged AI.
Sensitivity ``d' = z(H) - z(F)`` and criterion ``c = -(z(H) + z(F)) / 2`` (positive ``c``:
reluctant to say "AI") follow equal-variance Gaussian signal detection theory
(Macmillan & Creelman 2005). Rates are log-linear corrected (Hautus 1995): half a response is
added to each cell, ``H = (hits + 0.5) / (n_signal + 1)`` and
``F = (false_alarms + 0.5) / (n_noise + 1)``, so that perfect scores give finite d'. The
correction pulls d' slightly toward 0 (about 5 % at d' = 1 with 20 + 20 trials).

Every function takes the tidy trial table (:mod:`results.table`) and uses its main trials
(``kind == "main"``) with a source judgement; attention and repeat trials never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from core.vocabulary import TrialKind
from experiment.scoring import loglinear_rates
from results.intervals import one_sample_t, wald_table, wilson_interval
from results.mixed import RandomFactor, fit_binomial

REQUIRED_COLUMNS: tuple[str, ...] = ("participant_id", "clip_id", "is_ai", "guessed_ai")
MISSING_LEVEL = "(missing)"

METHODS = (
    "Signal = AI clip. Hit and false-alarm rates with Wilson 95% intervals over pooled trials; "
    "accuracy with a Wilson interval and an exact two-sided binomial test against 0.5 (pooled "
    "trials, which ignores that trials of one participant or clip are related; the "
    "participant-level tests below do not). d' = z(H) - z(F) and c = -(z(H) + z(F))/2 per "
    "participant with the log-linear correction (Hautus 1995); their means with Student-t 95% "
    "intervals and one-sample t-tests against 0 (participants as the unit of analysis)."
)


def main_trials(df: pd.DataFrame, required: Sequence[str] = REQUIRED_COLUMNS,
                optional: Sequence[str] = ()) -> pd.DataFrame:
    """The scored trials of a trial table: main trials that have a source judgement.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    required : sequence of str
        Columns the caller needs.
    optional : sequence of str
        Columns the caller uses when present.

    Returns
    -------
    pandas.DataFrame
        Rows with ``kind == "main"`` (when the column exists) and a non-missing ``guessed_ai``,
        holding only the required and the present optional columns (copying the whole wide
        table would cost more than the statistics); ``is_ai`` and ``guessed_ai`` as numpy ``bool``.

    Raises
    ------
    ValueError
        When a required column is missing.
    """
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"the trial table lacks the column(s) {missing}")
    keep = df["guessed_ai"].notna().to_numpy()
    if "kind" in df.columns:
        keep = keep & (df["kind"] == TrialKind.MAIN).to_numpy()
    columns = list(dict.fromkeys([*required, *(c for c in optional if c in df.columns)]))
    out = df.loc[keep, columns]
    return out.assign(is_ai=out["is_ai"].astype(bool).to_numpy(), guessed_ai=out["guessed_ai"].astype(bool).to_numpy())


@dataclass(frozen=True)
class SDT:
    """Signal detection measures from hit/miss/false-alarm/correct-rejection counts.

    Every field is a float for scalar counts or an array shaped like the counts.

    Attributes
    ----------
    hits, misses, false_alarms, correct_rejections : counts.
    n_signal, n_noise : AI trials (hits + misses) and human trials (false alarms + correct rejections).
    raw_hit_rate, raw_fa_rate : uncorrected proportions (NaN without trials of that kind).
    hit_rate, fa_rate : log-linear corrected rates used for d' and c.
    d_prime : z(hit_rate) - z(fa_rate); NaN unless both kinds of trial are present.
    criterion : -(z(hit_rate) + z(fa_rate)) / 2; NaN unless both kinds of trial are present.
    accuracy : (hits + correct_rejections) / all trials.
    """

    hits: np.ndarray | float
    misses: np.ndarray | float
    false_alarms: np.ndarray | float
    correct_rejections: np.ndarray | float
    n_signal: np.ndarray | float
    n_noise: np.ndarray | float
    raw_hit_rate: np.ndarray | float
    raw_fa_rate: np.ndarray | float
    hit_rate: np.ndarray | float
    fa_rate: np.ndarray | float
    d_prime: np.ndarray | float
    criterion: np.ndarray | float
    accuracy: np.ndarray | float


def d_prime_from_rates(hit_rate, fa_rate):
    """Equal-variance sensitivity ``z(H) - z(F)`` (scipy ``norm.ppf``), no correction."""
    return stats.norm.ppf(hit_rate) - stats.norm.ppf(fa_rate)


def criterion_from_rates(hit_rate, fa_rate):
    """Criterion ``c = -(z(H) + z(F)) / 2``, no correction; positive means reluctant to say "AI"."""
    return -0.5 * (stats.norm.ppf(hit_rate) + stats.norm.ppf(fa_rate))


def _ratio(numerator, denominator):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def sdt_from_counts(hits, misses, false_alarms, correct_rejections) -> SDT:
    """Log-linear corrected d' and c (Hautus 1995) from the four outcome counts.

    Parameters
    ----------
    hits, misses, false_alarms, correct_rejections : int or array of int
        Non-negative counts (broadcast together). Hits and misses are AI trials judged AI and
        human; false alarms and correct rejections are human trials judged AI and human.

    Returns
    -------
    SDT
        Floats for scalar input, arrays otherwise.

    Raises
    ------
    ValueError
        For negative or non-integer counts.
    """
    counts = [np.asarray(c, dtype=float) for c in (hits, misses, false_alarms, correct_rejections)]
    for name, values in zip(("hits", "misses", "false_alarms", "correct_rejections"), counts):
        if np.any(values < 0) or np.any(values != np.round(values)):
            raise ValueError(f"{name} must be non-negative whole numbers")
    hits, misses, false_alarms, correct_rejections = np.broadcast_arrays(*counts)
    n_signal = hits + misses
    n_noise = false_alarms + correct_rejections
    hit_rate, fa_rate = loglinear_rates(hits, misses, false_alarms, correct_rejections)
    defined = (n_signal > 0) & (n_noise > 0)
    values = {
        "hits": hits, "misses": misses, "false_alarms": false_alarms, "correct_rejections": correct_rejections,
        "n_signal": n_signal, "n_noise": n_noise,
        "raw_hit_rate": _ratio(hits, n_signal), "raw_fa_rate": _ratio(false_alarms, n_noise),
        "hit_rate": hit_rate, "fa_rate": fa_rate,
        "d_prime": np.where(defined, d_prime_from_rates(hit_rate, fa_rate), np.nan),
        "criterion": np.where(defined, criterion_from_rates(hit_rate, fa_rate), np.nan),
        "accuracy": _ratio(hits + correct_rejections, n_signal + n_noise),
    }
    if hits.ndim == 0:
        values = {k: float(v) for k, v in values.items()}
    return SDT(**values)


def _outcome_counts(trials: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group of ``keys``: n_trials, n_signal, hits, false_alarms, correct (one groupby pass)."""
    is_ai = trials["is_ai"].to_numpy()
    guessed = trials["guessed_ai"].to_numpy()
    frame = trials[keys].assign(
        n_trials=1, n_signal=is_ai.astype(int), hits=(is_ai & guessed).astype(int),
        false_alarms=(~is_ai & guessed).astype(int), correct=(is_ai == guessed).astype(int))
    return frame.groupby(keys, sort=True, dropna=False).sum().reset_index()


def _sdt_columns(counts: pd.DataFrame) -> pd.DataFrame:
    """Add misses, correct rejections, rates, d', c and accuracy to a frame of outcome counts."""
    n_noise = counts["n_trials"] - counts["n_signal"]
    sdt = sdt_from_counts(counts["hits"], counts["n_signal"] - counts["hits"], counts["false_alarms"],
                          n_noise - counts["false_alarms"])
    return counts.assign(
        n_noise=n_noise, misses=sdt.misses.astype(int), correct_rejections=sdt.correct_rejections.astype(int),
        raw_hit_rate=sdt.raw_hit_rate, raw_fa_rate=sdt.raw_fa_rate, hit_rate=sdt.hit_rate, fa_rate=sdt.fa_rate,
        d_prime=sdt.d_prime, criterion=sdt.criterion, accuracy=sdt.accuracy)


PARTICIPANT_SDT_COLUMNS = (
    "participant_id", "n_trials", "n_signal", "n_noise", "hits", "misses", "false_alarms",
    "correct_rejections", "raw_hit_rate", "raw_fa_rate", "hit_rate", "fa_rate", "d_prime", "criterion",
    "accuracy",
)


def per_participant_sdt(df: pd.DataFrame) -> pd.DataFrame:
    """Signal detection measures of every participant.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    pandas.DataFrame
        One row per participant with at least one scored trial, sorted by id, columns
        :data:`PARTICIPANT_SDT_COLUMNS`: counts (int), raw and log-linear corrected rates, d',
        c (NaN for a participant without both AI and human trials) and accuracy.
    """
    trials = main_trials(df)
    counts = _outcome_counts(trials, ["participant_id"])
    if counts.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in PARTICIPANT_SDT_COLUMNS})
    return _sdt_columns(counts)[list(PARTICIPANT_SDT_COLUMNS)]


def _proportion(successes: int, n: int) -> dict:
    low, high = wilson_interval(successes, n)
    return {"estimate": successes / n if n else float("nan"), "ci_low": float(low), "ci_high": float(high),
            "successes": int(successes), "n": int(n)}


def detection_summary(df: pd.DataFrame) -> dict:
    """Headline detection statistics.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.

    Returns
    -------
    dict
        ``n_participants, n_trials, n_signal, n_noise`` (int);
        ``hit_rate, fa_rate`` : dicts ``estimate, ci_low, ci_high, successes, n`` (raw pooled
        proportions, Wilson 95 % intervals);
        ``accuracy`` : the same plus ``p_value`` (exact two-sided binomial test against 0.5);
        ``d_prime, criterion`` : means over participants, dicts ``mean, sd, n, ci_low, ci_high,
        t, df, p_value`` (t interval, one-sample t-test against 0);
        ``pooled`` : ``hit_rate, fa_rate, d_prime, criterion`` from the pooled counts
        (log-linear corrected);
        ``methods`` : a sentence for the report. NaN where undefined (e.g. no trials).
    """
    trials = main_trials(df)
    participants = per_participant_sdt(trials)
    n_trials = len(trials)
    n_signal = int(trials["is_ai"].sum())
    n_noise = n_trials - n_signal
    hits = int((trials["is_ai"] & trials["guessed_ai"]).sum())
    false_alarms = int((~trials["is_ai"] & trials["guessed_ai"]).sum())
    correct = int((trials["is_ai"] == trials["guessed_ai"]).sum())
    accuracy = _proportion(correct, n_trials)
    accuracy["p_value"] = float(stats.binomtest(correct, n_trials, 0.5).pvalue) if n_trials else float("nan")
    pooled = sdt_from_counts(hits, n_signal - hits, false_alarms, n_noise - false_alarms)
    return {
        "n_participants": int(trials["participant_id"].nunique()),
        "n_trials": n_trials,
        "n_signal": n_signal,
        "n_noise": n_noise,
        "hit_rate": _proportion(hits, n_signal),
        "fa_rate": _proportion(false_alarms, n_noise),
        "accuracy": accuracy,
        "d_prime": one_sample_t(participants["d_prime"]),
        "criterion": one_sample_t(participants["criterion"]),
        "pooled": {"hit_rate": pooled.hit_rate, "fa_rate": pooled.fa_rate, "d_prime": pooled.d_prime,
                   "criterion": pooled.criterion},
        "methods": METHODS,
    }


class ROC(NamedTuple):
    """Empirical ROC from the 6-point confidence scale.

    Attributes
    ----------
    points : pandas.DataFrame
        Columns ``threshold`` (a trial counts as "AI" when confidence >= threshold; 7 gives the
        origin, 1 the corner (1, 1)), ``fpr``, ``tpr``; seven rows from (0, 0) to (1, 1).
    auc : float
        Area under the empirical ROC (trapezoids), equal to the Mann-Whitney probability that
        a random AI trial got a higher confidence than a random human trial (ties count half).
    auc_ci : tuple of float
        95 % percentile interval from a bootstrap over participants (whole participants are
        resampled, so their trials stay together).
    """

    points: pd.DataFrame
    auc: float
    auc_ci: tuple[float, float]


CONFIDENCE_LEVELS = np.arange(1, 7)


def _auc_from_counts(signal_counts: np.ndarray, noise_counts: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC from confidence histograms, shape (..., 6) -> (...)."""
    noise_below = np.cumsum(noise_counts, axis=-1) - noise_counts
    wins = (signal_counts * (noise_below + 0.5 * noise_counts)).sum(axis=-1)
    total = signal_counts.sum(axis=-1) * noise_counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, wins / np.where(total > 0, total, 1), np.nan)


def roc_from_confidence(df: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0,
                        confidence: float = 0.95) -> ROC:
    """Empirical ROC and AUC of the confidence ratings (1 = sure human ... 6 = sure AI).

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table; main trials with a confidence rating are used.
    n_boot : int
        Bootstrap resamples of participants for the AUC interval.
    seed : int
        Seed of the bootstrap (fixed, so a report shows the same interval every time).
    confidence : float
        Coverage of the interval.

    Returns
    -------
    ROC
        ``points`` (7 rows), ``auc`` and ``auc_ci`` (NaN without both AI and human trials).
    """
    trials = main_trials(df, REQUIRED_COLUMNS + ("confidence",))
    trials = trials[trials["confidence"].notna()]
    levels = trials["confidence"].to_numpy(dtype=int)
    if np.any((levels < 1) | (levels > 6)):
        raise ValueError("confidence must be on the 1..6 scale")
    participant = pd.factorize(trials["participant_id"])[0]
    n_participants = participant.max() + 1 if participant.size else 0
    # Histogram per participant, source and level: shape (participants, 2, 6); 1 = AI.
    histogram = np.zeros((n_participants, 2, 6))
    np.add.at(histogram, (participant, trials["is_ai"].to_numpy().astype(int), levels - 1), 1)
    noise, signal = histogram.sum(axis=0)
    # "AI" when confidence >= threshold; thresholds 7 (nothing) down to 1 (everything).
    tpr = np.concatenate([[0.0], np.cumsum(signal[::-1])]) / max(signal.sum(), 1)
    fpr = np.concatenate([[0.0], np.cumsum(noise[::-1])]) / max(noise.sum(), 1)
    points = pd.DataFrame({"threshold": np.arange(7, 0, -1), "fpr": fpr, "tpr": tpr})
    auc = float(_auc_from_counts(signal, noise))
    if n_participants == 0 or np.isnan(auc):
        return ROC(points, auc, (float("nan"), float("nan")))
    rng = np.random.default_rng(seed)
    # Each bootstrap sample weights participants by how often they were drawn.
    draws = rng.integers(0, n_participants, size=(n_boot, n_participants))
    rows = np.repeat(np.arange(n_boot) * n_participants, n_participants)
    weights = np.bincount(rows + draws.ravel(), minlength=n_boot * n_participants).reshape(n_boot, n_participants)
    boot = weights @ histogram.reshape(n_participants, 12)
    boot = boot.reshape(n_boot, 2, 6)
    aucs = _auc_from_counts(boot[:, 1], boot[:, 0])
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(aucs, [tail, 100 - tail])
    return ROC(points, auc, (float(low), float(high)))


BREAKDOWN_COLUMNS = (
    "level", "n_participants", "n_trials", "n_signal", "n_noise", "hits", "false_alarms", "raw_hit_rate",
    "raw_fa_rate", "hit_rate", "fa_rate", "d_prime", "criterion", "d_prime_basis", "accuracy", "accuracy_ci_low",
    "accuracy_ci_high", "mean_participant_d_prime", "mean_participant_d_prime_ci_low",
    "mean_participant_d_prime_ci_high", "n_participants_d_prime",
)


def breakdown(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Detection statistics per level of a participant or clip column.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    by : str
        A column such as ``training_years``, ``ai_exposure``, ``genre``, ``vocals`` or
        ``ai_system``. Missing values form their own level, :data:`MISSING_LEVEL`.

    Returns
    -------
    pandas.DataFrame
        One row per level (sorted), columns :data:`BREAKDOWN_COLUMNS`. ``hit_rate``,
        ``fa_rate``, ``d_prime`` and ``criterion`` come from the level's pooled counts
        (log-linear corrected). A level that holds only AI clips (an ``ai_system``, say) has no
        false alarms of its own; its d' then uses the false-alarm rate of all human trials
        and ``d_prime_basis`` says so ("hits in level vs all human trials"; otherwise
        "within level"). ``mean_participant_d_prime`` is the mean of participants' own d' in
        the level (on the same basis) with a t interval; ``accuracy`` has a Wilson interval.
    """
    trials = main_trials(df, REQUIRED_COLUMNS + (by,))
    level = trials[by].astype("object").where(trials[by].notna(), MISSING_LEVEL).astype(str)
    trials = trials.assign(level=level.to_numpy())
    counts = _outcome_counts(trials, ["level"])
    participant_counts = _outcome_counts(trials, ["level", "participant_id"])

    # Levels without human trials borrow the false alarms of all human trials (pooled and per participant).
    all_noise = _outcome_counts(trials.assign(level="all"), ["participant_id"])
    total_noise = int((all_noise["n_trials"] - all_noise["n_signal"]).sum())
    total_fa = int(all_noise["false_alarms"].sum())
    borrow = (counts["n_trials"] - counts["n_signal"]) == 0
    pooled_for_sdt = counts.copy()
    pooled_for_sdt.loc[borrow, "false_alarms"] = total_fa
    pooled_for_sdt.loc[borrow, "n_trials"] = pooled_for_sdt.loc[borrow, "n_signal"] + total_noise
    pooled = _sdt_columns(pooled_for_sdt)

    participant_noise = all_noise.set_index("participant_id")
    borrow_rows = participant_counts["level"].isin(counts.loc[borrow, "level"])
    own = participant_counts.copy()
    noise_per_participant = participant_noise["n_trials"] - participant_noise["n_signal"]
    own_noise = noise_per_participant.reindex(own["participant_id"]).to_numpy()
    own_fa = participant_noise["false_alarms"].reindex(own["participant_id"]).to_numpy()
    own.loc[borrow_rows, "false_alarms"] = own_fa[borrow_rows.to_numpy()]
    own.loc[borrow_rows, "n_trials"] = own.loc[borrow_rows, "n_signal"] + own_noise[borrow_rows.to_numpy()]
    participant_d = _sdt_columns(own)[["level", "d_prime"]]

    rows = []
    for position, row in counts.iterrows():
        summary = one_sample_t(participant_d.loc[participant_d["level"] == row["level"], "d_prime"])
        acc_low, acc_high = wilson_interval(row["correct"], row["n_trials"])
        rows.append({
            "level": row["level"],
            "n_participants": int((participant_counts["level"] == row["level"]).sum()),
            "n_trials": int(row["n_trials"]), "n_signal": int(row["n_signal"]),
            "n_noise": int(row["n_trials"] - row["n_signal"]), "hits": int(row["hits"]),
            "false_alarms": int(row["false_alarms"]),
            "raw_hit_rate": pooled.at[position, "raw_hit_rate"],
            "raw_fa_rate": np.nan if borrow[position] else pooled.at[position, "raw_fa_rate"],
            "hit_rate": pooled.at[position, "hit_rate"], "fa_rate": pooled.at[position, "fa_rate"],
            "d_prime": pooled.at[position, "d_prime"], "criterion": pooled.at[position, "criterion"],
            "d_prime_basis": "hits in level vs all human trials" if borrow[position] else "within level",
            "accuracy": row["correct"] / row["n_trials"], "accuracy_ci_low": acc_low, "accuracy_ci_high": acc_high,
            "mean_participant_d_prime": summary["mean"], "mean_participant_d_prime_ci_low": summary["ci_low"],
            "mean_participant_d_prime_ci_high": summary["ci_high"], "n_participants_d_prime": summary["n"],
        })
    return pd.DataFrame(rows, columns=list(BREAKDOWN_COLUMNS))


def mixed_model_problem(trials: pd.DataFrame, participants: np.ndarray, clips: np.ndarray,
                        binary: Sequence[str]) -> str:
    """Why a mixed model cannot be fitted to ``trials``, or "" when it can.

    Parameters
    ----------
    trials : pandas.DataFrame
        The rows to be modelled.
    participants, clips : ndarray of int
        Factorised participant and clip codes of those rows.
    binary : sequence of str
        Columns that must take both values (e.g. ``is_ai``).
    """
    if len(trials) < 10:
        return f"too few trials ({len(trials)}) for a mixed model"
    if participants.max() < 1 or clips.max() < 1:
        return "a mixed model needs at least two participants and two clips"
    for column in binary:
        if trials[column].nunique() < 2:
            return f"'{column}' takes only one value in the selected data"
    return ""


def detection_mixed_model(df: pd.DataFrame, *, participant_slopes: bool = True) -> dict:
    """Probit mixed model of the source judgements: d' and c with crossed random effects.

    ``guessed_ai ~ is_ai + (1 + is_ai || participant) + (1 | clip)`` on the probit link,
    with ``is_ai`` coded -0.5 (human) / +0.5 (AI). Under equal-variance signal detection
    theory the ``is_ai`` coefficient is d' and minus the intercept is the criterion c
    (DeCarlo 1998; Rouder & Lu 2005), for a typical participant on a typical clip. Random
    intercepts let participants' criteria and clips' "AI-soundingness" vary; the random
    ``is_ai`` slope lets participants' d' vary. Fitted by Laplace approximation
    (:func:`results.mixed.fit_binomial`, lme4's algorithm).

    Because the clip effects are modelled, d' here is relative to the trial-to-trial noise
    within a clip; per-participant d' (:func:`per_participant_sdt`) also counts clip
    differences as noise and is smaller by about ``sqrt(1 + clip_sd**2)``.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table.
    participant_slopes : bool
        Include the by-participant random d' (recommended; turn off only if the fit fails).

    Returns
    -------
    dict
        ``link`` ("probit"), ``n_trials, n_participants, n_clips``; ``fixed_effects``: list of
        dicts ``term, estimate, se, ci_low, ci_high, z, p_value`` (Wald 95 %);
        ``d_prime`` and ``criterion``: dicts ``estimate, se, ci_low, ci_high, p_value``;
        ``variance_components``: list of ``group, term, sd`` (probit units);
        ``deviance`` (Laplace), ``converged``, ``method``. On degenerate data (too few trials,
        participants or clips, only one source, or only one answer) ``{"error": message}``.
    """
    try:
        trials = main_trials(df)
    except ValueError as error:
        return {"error": str(error)}
    if trials.empty:
        return {"error": "no scored trials in the selected data"}
    participants = pd.factorize(trials["participant_id"])[0]
    clips = pd.factorize(trials["clip_id"])[0]
    problem = mixed_model_problem(trials, participants, clips, ("is_ai", "guessed_ai"))
    if problem:
        return {"error": problem}
    is_ai = trials["is_ai"].to_numpy() - 0.5
    intercept = np.ones_like(is_ai)
    participant_values = np.column_stack([intercept, is_ai]) if participant_slopes else intercept[:, None]
    participant_terms = ("(Intercept)", "is_ai") if participant_slopes else ("(Intercept)",)
    try:
        fit = fit_binomial(trials["guessed_ai"].to_numpy().astype(float), np.column_stack([intercept, is_ai]),
                           ["(Intercept)", "is_ai"],
                           [RandomFactor("participant", participants, participant_values, participant_terms),
                            RandomFactor("clip", clips, intercept[:, None], ("(Intercept)",))], link="probit")
    except (np.linalg.LinAlgError, ValueError) as error:
        return {"error": f"the model could not be fitted: {error}"}
    fixed = wald_table(fit.fixed_names, fit.fixed, fit.fixed_se)
    d_prime = {k: fixed[1][k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value")}
    criterion = {"estimate": -fixed[0]["estimate"], "se": fixed[0]["se"], "ci_low": -fixed[0]["ci_high"],
                 "ci_high": -fixed[0]["ci_low"], "p_value": fixed[0]["p_value"]}
    slope_text = "(1 + is_ai || participant)" if participant_slopes else "(1 | participant)"
    return {
        "link": "probit", "n_trials": int(fit.n_obs), "n_participants": int(fit.n_levels["participant"]),
        "n_clips": int(fit.n_levels["clip"]), "fixed_effects": fixed, "d_prime": d_prime, "criterion": criterion,
        "variance_components": fit.random_sd, "deviance": fit.deviance, "converged": fit.converged,
        "method": (f"Probit GLMM guessed_ai ~ is_ai + {slope_text} + (1 | clip), is_ai coded -0.5/+0.5, "
                   "Laplace approximation (lme4's algorithm, Bates et al. 2015), independent random effects. "
                   "d' = is_ai coefficient, c = -intercept (equal-variance SDT as a probit model, DeCarlo 1998). "
                   "Wald 95% intervals from the Hessian of the Laplace deviance."),
    }

"""Is equal-variance signal detection theory right here? The zROC slope from the confidence ratings, and d_a.

d' and c assume that the evidence an AI clip gives has the same spread as a human clip's. The 6-point
confidence scale (1 = sure human ... 6 = sure AI) checks it: under the binormal model the five ROC points
lie on a straight line in z coordinates, ``z(hit) = a + s z(false alarm)``, whose slope ``s`` is the ratio
of the SDs (human over AI); ``s = 1`` is equal variance. When ``s`` differs from 1, d' depends on the
criterion and the unequal-variance index ``d_a = a sqrt(2 / (1 + s^2))`` (Simpson & Fitter 1973;
Macmillan & Creelman 2005, ch. 3) is the sensitivity to report beside it; ``AUC = Phi(d_a / sqrt 2)``.

The model is fitted by maximum likelihood to the pooled confidence counts of the main trials (Dorfman &
Alf 1969: ``a``, ``s`` and the five thresholds), so it describes the pooled (marginal) ROC, the one the
AUC summarises; its d_a is on that scale, smaller than the GLMM's d' (which is relative to the
within-clip noise). The intervals generalise over participants *and* clips: each trial's influence on
the estimates (the inverse information times its score) enters the two-way cluster-robust variance of
:func:`results.statistics.cluster_variance.two_way_variance`, with t(clips - 2) as for the headline's
accuracy and AUC. The slope's interval is computed on the log scale; its test is of ``s = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

from results.statistics.cluster_variance import two_way_variance
from results.statistics.detection import REQUIRED_COLUMNS, main_trials

LEVELS = 6
"""Confidence points (1 = sure human ... 6 = sure AI)."""


@dataclass(frozen=True)
class ZROC:
    """The binormal fit of the confidence ROC (:func:`zroc_fit`).

    Attributes
    ----------
    slope, slope_ci_low, slope_ci_high : float
        zROC slope ``s`` (SD of the human clips' evidence over the AI clips') with its 95 % interval.
    slope_p_value : float
        Test of ``s = 1`` (equal variance), on t(``df``).
    intercept : float
        ``a``, the zROC's z(hit) at z(false alarm) = 0.
    d_a, d_a_ci_low, d_a_ci_high : float
        Unequal-variance sensitivity with its 95 % interval (pooled ROC scale).
    unequal : bool
        Whether the slope's interval excludes 1: d_a, not d', then describes the sensitivity.
    df : float
    n_trials : int
    method : str
    """

    slope: float
    slope_ci_low: float
    slope_ci_high: float
    slope_p_value: float
    intercept: float
    d_a: float
    d_a_ci_low: float
    d_a_ci_high: float
    unequal: bool
    df: float
    n_trials: int
    method: str


def _cumulative(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(confidence <= k), k = 1..5, for human (noise) and AI (signal) trials; params (a, log s, t1, log gaps)."""
    a, log_s = params[0], params[1]
    thresholds = params[2] + np.concatenate([[0.0], np.cumsum(np.exp(params[3:]))])
    return stats.norm.cdf(thresholds), stats.norm.cdf(np.exp(log_s) * thresholds - a)


def _cell_log_likelihood(params: np.ndarray) -> np.ndarray:
    """Log probability of each (source, level) cell, shape (2, 6): row 0 human, row 1 AI."""
    out = []
    for cumulative in _cumulative(params):
        bounds = np.concatenate([[0.0], cumulative, [1.0]])
        out.append(np.log(np.clip(np.diff(bounds), 1e-300, None)))
    return np.array(out)


def _start(counts: np.ndarray) -> np.ndarray:
    """Equal-variance start: thresholds from the human trials' cumulative shares, ``a`` from the AI trials'."""
    shares = np.clip(np.cumsum(counts[0])[:-1] / counts[0].sum(), 0.02, 0.98)
    thresholds = np.maximum.accumulate(stats.norm.ppf(shares)) + np.arange(5) * 1e-3
    ai_shares = np.clip(np.cumsum(counts[1])[:-1] / counts[1].sum(), 0.02, 0.98)
    a = float(np.mean(thresholds - stats.norm.ppf(ai_shares)))
    return np.concatenate([[a, 0.0, thresholds[0]], np.log(np.diff(thresholds))])


def zroc_fit(df: pd.DataFrame, confidence_level: float = 0.95) -> ZROC | None:
    """The zROC slope, d_a and their intervals over participants and clips (module docstring).

    Returns None without confidence ratings, without both sources, with fewer than 3 clips, or when a
    source leaves fewer than three confidence points used (no line to fit).
    """
    if "confidence" not in df.columns:
        return None
    trials = main_trials(df, REQUIRED_COLUMNS + ("confidence",))
    trials = trials[trials["confidence"].notna()]
    if trials.empty or trials["clip_id"].nunique() < 3 or trials["is_ai"].nunique() < 2:
        return None
    source = trials["is_ai"].to_numpy().astype(int)
    level = trials["confidence"].to_numpy(dtype=int) - 1
    counts = np.zeros((2, LEVELS))
    np.add.at(counts, (source, level), 1)
    if min((counts[0] > 0).sum(), (counts[1] > 0).sum()) < 3:
        return None

    def negative_log_likelihood(params: np.ndarray) -> float:
        return -float((counts * _cell_log_likelihood(params)).sum())

    fit = optimize.minimize(negative_log_likelihood, _start(counts), method="BFGS")
    params = fit.x
    information = approx_hess3(params, negative_log_likelihood)
    # Score of each cell (gradient of its log probability), then each trial's influence on the parameters.
    cell_scores = approx_fprime(params, lambda p: _cell_log_likelihood(p).ravel(), centered=True)
    influence = np.linalg.solve(information, cell_scores.T).T[source * LEVELS + level]  # (trials, parameters)
    return _summarise(params, influence, trials, confidence_level)


def _summarise(params: np.ndarray, influence: np.ndarray, trials: pd.DataFrame, confidence_level: float) -> ZROC:
    """Slope and d_a with two-way cluster-robust intervals from the per-trial influence values."""
    participant = pd.factorize(trials["participant_id"])[0]
    clip, clip_levels = pd.factorize(trials["clip_id"])
    clip_is_ai = np.zeros(len(clip_levels), dtype=bool)
    clip_is_ai[clip] = trials["is_ai"].to_numpy().astype(bool)
    a, log_s = float(params[0]), float(params[1])
    s = float(np.exp(log_s))
    d_a = a * np.sqrt(2 / (1 + s**2))
    gradient = np.array([np.sqrt(2 / (1 + s**2)), -a * np.sqrt(2) * s**2 / (1 + s**2) ** 1.5])
    se_log_s = np.sqrt(two_way_variance(influence[:, 1], participant, clip, clip_is_ai))
    se_d_a = np.sqrt(two_way_variance(influence[:, :2] @ gradient, participant, clip, clip_is_ai))
    df = float(len(clip_levels) - 2)
    quantile = stats.t.ppf(0.5 + confidence_level / 2, df)
    low, high = float(np.exp(log_s - quantile * se_log_s)), float(np.exp(log_s + quantile * se_log_s))
    return ZROC(
        slope=s,
        slope_ci_low=low,
        slope_ci_high=high,
        slope_p_value=float(2 * stats.t.sf(abs(log_s) / se_log_s, df)),
        intercept=a,
        d_a=float(d_a),
        d_a_ci_low=float(d_a - quantile * se_d_a),
        d_a_ci_high=float(d_a + quantile * se_d_a),
        unequal=not low <= 1 <= high,
        df=df,
        n_trials=len(trials),
        method=(
            "zROC: binormal model fitted by maximum likelihood to the pooled 6-point confidence counts (Dorfman "
            "and Alf 1969); slope s = SD(human) / SD(AI), 1 under equal-variance SDT; d_a = a sqrt(2 / (1 + s^2)) "
            "(Simpson and Fitter 1973) on the pooled ROC's scale (AUC = Phi(d_a / sqrt 2)). 95% intervals "
            f"generalising over participants and clips (two-way cluster-robust, t({df:.0f})); the slope's on the "
            "log scale, tested against 1."
        ),
    )

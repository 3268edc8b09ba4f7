"""Accuracy and AUC with intervals that generalise over participants *and* clips.

Every trial belongs to one participant and one clip, both samples. An interval over pooled
trials, or one that resamples only participants, treats the clips as fixed; when clips differ in
how "AI" they sound it is far too narrow (43-51 % false positives at 20 clips, issue 10).

The variance here is the two-way cluster-robust ("multiway clustering") estimator of Cameron,
Gelbach & Miller (2011, J. Bus. Econ. Stat. 29(2)) applied to each statistic's influence values:
``V = V_participants + V_clips - V_trials``, where ``V_g`` sums the squared per-cluster totals of
the influence values (with the ``G / (G - 1)`` correction), clips centred within their true
source (the design fixes how many clips of each source there are). The clip component, the one
with few clusters, is CR3 (the approximate jackknife, Bell & McCaffrey 2002; clubSandwich's
``CR3``): each clip's centred total is divided by ``1 - 1/G_s``, its leverage in a stratum of
``G_s`` clips, i.e. the sum is multiplied by ``(G_s / (G_s - 1))**2``. With 20 clips the plain
``G / (G - 1)`` factor left the variance about 3-5 % small (1,000 simulated studies per cell:
4.2-6.4 % false positives and misses at 20 clips, up to 7.1 % at 40); CR3 gives 3.3-6.5 %.
For accuracy the influence value of a trial is ``(correct - accuracy) / N``; for the AUC the DeLong placement values
(DeLong, DeLong & Clarke-Pearson 1988): ``(V10 - AUC) / n_AI`` for an AI trial and
``(V01 - AUC) / n_human`` for a human trial. The interval and the test against chance use
``t(clips - 2)``, the between-within degrees of freedom of a clip-level comparison, so
"p < 0.05" and "the interval excludes chance" agree.

A two-way *bootstrap* (Owen 2007's pigeonhole scheme, participants and clips drawn
independently) was tried first: it counts the trial-level noise twice and, at 20 clips with no
clip variation, never rejected in 200 studies (0 % false positives), so the analytic estimator
is used. ``benchmarks/inference_calibration.py`` measures the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ClusteredEstimate:
    """A statistic with a two-way (participant x clip) cluster-robust interval and test against chance.

    Attributes
    ----------
    estimate : float
        On the data as observed.
    se : float
        Two-way cluster-robust standard error.
    ci_low, ci_high : float
        95 % interval ``estimate +- t(df) * se``.
    p_value : float
        Two-sided t-test against ``chance``.
    df : float
        Clips minus 2.
    chance : float
        0.5 for accuracy and AUC.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    chance: float = 0.5


def _cluster_sum_of_squares(
    psi: np.ndarray, codes: np.ndarray, strata: np.ndarray | None = None, power: int = 1
) -> float:
    """Sum over clusters of squared influence totals, centred within strata, times ``(G / (G - 1))**power``.

    ``power=1`` is the usual small-sample factor (unbiased for independent clusters); ``power=2`` is
    CR3, the approximate jackknife (module docstring).
    """
    totals = np.bincount(codes, psi)
    if strata is None:  # influence values sum to zero overall: no centring
        return (totals.size / max(totals.size - 1, 1)) ** power * float((totals**2).sum())
    out = 0.0
    for stratum in np.unique(strata):
        members = totals[strata == stratum]
        factor = (members.size / max(members.size - 1, 1)) ** power
        out += factor * float(((members - members.mean()) ** 2).sum())
    return out


def two_way_variance(psi: np.ndarray, participant: np.ndarray, clip: np.ndarray, clip_is_ai: np.ndarray) -> float:
    """Two-way cluster-robust variance of a statistic from its per-trial influence values ``psi``.

    ``V_participants + V_clips - V_trials`` (module docstring); when that is not positive, the
    larger one-way variance. ``participant`` and ``clip`` are codes 0..G-1 per trial,
    ``clip_is_ai`` the true source per clip code (clips are centred within their source).
    """
    by_participant = _cluster_sum_of_squares(psi, participant)
    by_clip = _cluster_sum_of_squares(psi, clip, clip_is_ai, power=2)  # CR3-type (module docstring)
    n = psi.size
    by_trial = n / max(n - 1, 1) * float((psi**2).sum())
    variance = by_participant + by_clip - by_trial
    if variance <= 0:  # the estimator is not guaranteed positive; fall back to the larger one-way variance
        variance = max(by_participant, by_clip)
    return variance


def _auc_influence(is_ai: np.ndarray, confidence: np.ndarray) -> tuple[float, np.ndarray]:
    """Mann-Whitney AUC of the 1..6 confidence ratings and each trial's DeLong influence value."""
    signal = np.bincount(confidence[is_ai] - 1, minlength=6).astype(float)
    noise = np.bincount(confidence[~is_ai] - 1, minlength=6).astype(float)
    n_signal, n_noise = signal.sum(), noise.sum()
    beats_noise = (np.cumsum(noise) - noise + 0.5 * noise) / n_noise  # V10 per level
    beaten_by_signal = (n_signal - np.cumsum(signal) + 0.5 * signal) / n_signal  # V01 per level
    auc = float((signal * beats_noise).sum() / n_signal)
    level = confidence - 1
    psi = np.where(is_ai, (beats_noise[level] - auc) / n_signal, (beaten_by_signal[level] - auc) / n_noise)
    return auc, psi


def two_way_clustered(trials: pd.DataFrame, confidence_level: float = 0.95) -> dict[str, ClusteredEstimate]:
    """Accuracy and confidence-ROC AUC with two-way cluster-robust intervals and t-tests against 0.5.

    Parameters
    ----------
    trials : pandas.DataFrame
        Scored main trials (:func:`results.statistics.detection.main_trials`) with ``participant_id``,
        ``clip_id``, ``is_ai``, ``guessed_ai`` and, for the AUC, ``confidence`` (1..6).
    confidence_level : float
        Coverage of the intervals.

    Returns
    -------
    dict
        ``"accuracy"`` and, when both sources and confidence ratings are present, ``"auc"``.
        Empty for fewer than 3 clips.
    """
    participant = pd.factorize(trials["participant_id"])[0]
    clip, clip_levels = pd.factorize(trials["clip_id"])
    if len(clip_levels) < 3:
        return {}
    is_ai = trials["is_ai"].to_numpy().astype(bool)
    clip_is_ai = np.zeros(len(clip_levels), dtype=bool)
    clip_is_ai[clip] = is_ai
    correct = (is_ai == trials["guessed_ai"].to_numpy().astype(bool)).astype(float)
    n = correct.size
    influences = {"accuracy": (float(correct.mean()), (correct - correct.mean()) / n)}
    if "confidence" in trials.columns and trials["confidence"].notna().all() and is_ai.any() and (~is_ai).any():
        influences["auc"] = _auc_influence(is_ai, trials["confidence"].to_numpy(dtype=int))
    df = float(len(clip_levels) - 2)
    quantile = stats.t.ppf(0.5 + confidence_level / 2, df)
    out = {}
    for name, (estimate, psi) in influences.items():
        se = float(np.sqrt(two_way_variance(psi, participant, clip, clip_is_ai)))
        p_value = float(2 * stats.t.sf(abs(estimate - 0.5) / se, df)) if se > 0 else float("nan")
        out[name] = ClusteredEstimate(estimate, se, estimate - quantile * se, estimate + quantile * se, p_value, df)
    return out

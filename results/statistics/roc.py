"""How well did confidence separate AI from human clips: the empirical ROC and its AUC.

The 6-point confidence scale (1 = sure human ... 6 = sure AI) gives five thresholds between
"human" and "AI"; the ROC plots hit against false-alarm rate at each. Main trials only
(:func:`results.statistics.detection.main_trials`).

The AUC interval generalises over participants *and* clips: it is the two-way cluster-robust interval
of :func:`results.statistics.cluster_variance.two_way_clustered` (DeLong placement values, t(clips - 2)),
the headline's. The bootstrap over participants it replaces treated the clips as fixed and covered the
true AUC in only 28-75 % of simulated studies with clip variation (issue 22);
``benchmarks/roc_equivalence_calibration.py`` measures this one: 93.0-96.5 % coverage and 3.5-6.0 % false
positives at 60 x 12, participant d' and criterion SD 0.3, clip SD 0.5 and 1, 20 and 40 clips (200 studies a
cell, seed 7; 91-94 % with another seed at 100 studies a cell).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from results.statistics.cluster_variance import two_way_clustered
from results.statistics.detection import REQUIRED_COLUMNS, main_trials


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
        95 % interval generalising over participants and clips (module docstring); NaN with fewer
        than 3 clips.
    p_value : float
        Two-sided t-test of AUC = 0.5 on the same standard error.
    """

    points: pd.DataFrame
    auc: float
    auc_ci: tuple[float, float]
    p_value: float = float("nan")


CONFIDENCE_LEVELS = np.arange(1, 7)


def _auc_from_counts(signal_counts: np.ndarray, noise_counts: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC from confidence histograms, shape (..., 6) -> (...)."""
    noise_below = np.cumsum(noise_counts, axis=-1) - noise_counts
    wins = (signal_counts * (noise_below + 0.5 * noise_counts)).sum(axis=-1)
    total = signal_counts.sum(axis=-1) * noise_counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, wins / np.where(total > 0, total, 1), np.nan)


def roc_from_confidence(df: pd.DataFrame, *, confidence: float = 0.95) -> ROC:
    """Empirical ROC and AUC of the confidence ratings (1 = sure human ... 6 = sure AI).

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy trial table; main trials with a confidence rating are used.
    confidence : float
        Coverage of the interval.

    Returns
    -------
    ROC
        ``points`` (7 rows), ``auc``, ``auc_ci`` and ``p_value`` (NaN without both AI and human trials).
    """
    trials = main_trials(df, REQUIRED_COLUMNS + ("confidence",))
    trials = trials[trials["confidence"].notna()]
    levels = trials["confidence"].to_numpy(dtype=int)
    if np.any((levels < 1) | (levels > 6)):
        raise ValueError("confidence must be on the 1..6 scale")
    is_ai = trials["is_ai"].to_numpy().astype(bool)
    signal = np.bincount(levels[is_ai] - 1, minlength=6).astype(float)
    noise = np.bincount(levels[~is_ai] - 1, minlength=6).astype(float)
    # "AI" when confidence >= threshold; thresholds 7 (nothing) down to 1 (everything).
    tpr = np.concatenate([[0.0], np.cumsum(signal[::-1])]) / max(signal.sum(), 1)
    fpr = np.concatenate([[0.0], np.cumsum(noise[::-1])]) / max(noise.sum(), 1)
    points = pd.DataFrame({"threshold": np.arange(7, 0, -1), "fpr": fpr, "tpr": tpr})
    auc = float(_auc_from_counts(signal, noise))
    nan = float("nan")
    interval = two_way_clustered(trials, confidence).get("auc") if not np.isnan(auc) else None
    if interval is None:
        return ROC(points, auc, (nan, nan), nan)
    return ROC(points, auc, (interval.ci_low, interval.ci_high), interval.p_value)

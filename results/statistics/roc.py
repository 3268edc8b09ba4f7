"""How well did confidence separate AI from human clips: the empirical ROC and its AUC.

The 6-point confidence scale (1 = sure human ... 6 = sure AI) gives five thresholds between
"human" and "AI"; the ROC plots hit against false-alarm rate at each. Main trials only
(:func:`results.statistics.detection.main_trials`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

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


def roc_from_confidence(df: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0, confidence: float = 0.95) -> ROC:
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

"""Scoring a participant's guesses: signal detection with "AI" as the signal."""

from __future__ import annotations

from scipy.stats import norm


def loglinear_rates(hits, misses, false_alarms, correct_rejections):
    """Hit and false-alarm rates with the log-linear correction (Hautus 1995).

    Parameters
    ----------
    hits, misses, false_alarms, correct_rejections : int or numpy.ndarray
        Counts (scalars or arrays of one shape), "AI" being the signal.

    Returns
    -------
    tuple
        ``(H, F)`` with ``H = (hits + 0.5) / (n_ai + 1)`` and ``F = (false_alarms + 0.5) / (n_human + 1)``,
        never 0 or 1, so z-scores stay finite. This is the one place the correction is written;
        ``results.statistics.detection`` uses it too.
    """
    hit_rate = (hits + 0.5) / (hits + misses + 1.0)
    false_alarm_rate = (false_alarms + 0.5) / (false_alarms + correct_rejections + 1.0)
    return hit_rate, false_alarm_rate


def dprime(hits: int, misses: int, false_alarms: int, correct_rejections: int) -> float:
    """Sensitivity d' with the log-linear correction (Hautus 1995).

    Parameters
    ----------
    hits : int
        AI clips guessed "ai".
    misses : int
        AI clips guessed "human".
    false_alarms : int
        Human clips guessed "ai".
    correct_rejections : int
        Human clips guessed "human".

    Returns
    -------
    float
        ``z(H) - z(F)`` with ``H = (hits + 0.5) / (n_ai + 1)`` and
        ``F = (false_alarms + 0.5) / (n_human + 1)``; finite even for perfect scores.
    """
    hit_rate, false_alarm_rate = loglinear_rates(hits, misses, false_alarms, correct_rejections)
    return float(norm.ppf(hit_rate) - norm.ppf(false_alarm_rate))


def percentile_rank(score: float, others: list[float]) -> float | None:
    """Percentage (0..100) of ``others`` below ``score``, ties counting half; None if no others."""
    if not others:
        return None
    below = sum(1 for other in others if other < score)
    ties = sum(1 for other in others if other == score)
    return 100.0 * (below + 0.5 * ties) / len(others)

"""The smallest simulated sample size that reaches a target power, with its Monte Carlo interval.

The power curve is an estimate from a finite number of simulated worlds
(:func:`results.planning.power.simulate_outcomes`), so the size it recommends is one too. Resampling
the worlds (each world holds every size, common random numbers) and reading the smallest size off
each resampled curve gives the size's Monte Carlo interval: how much the recommendation would move
with another set of simulations of the same design. It says nothing about uncertainty in the design's
assumptions (the expected d' and the SDs); change those to see that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

OUTCOME_COLUMNS = {
    "power_detection": "detected",
    "power_equivalence": "equivalent",
    "power_accuracy": "detect_accuracy",
}
"""Power column of the curve -> per-study outcome column of :func:`results.planning.power.simulate_outcomes`."""


@dataclass(frozen=True)
class SmallestSize:
    """The smallest simulated N with ``power >= target``, and its Monte Carlo percentile interval.

    Attributes
    ----------
    n : int or None
        Smallest simulated size reaching the target; None when no simulated size does.
    low, high : int or None
        The interval's ends over resampled worlds; ``high`` None when in more than 2.5 % of the
        resamples no simulated size reaches the target (the upper end lies beyond the largest size).
    target : float
    confidence : float
        Coverage of the interval (0.95).
    largest : int
        Largest simulated size.
    """

    n: int | None
    low: int | None
    high: int | None
    target: float
    confidence: float
    largest: int

    def sentence(self, what: str) -> str:
        """One sentence: ``"80% power {what}: 120 participants (Monte Carlo 95% interval 100–140)."``."""
        head = f"{self.target:.0%} power {what}: "
        if self.n is None:
            return head + f"none of the simulated sizes (up to {self.largest} participants); simulate larger sizes."
        upper = str(self.high) if self.high is not None else f"more than {self.largest}"
        interval = f"{self.low}" if self.low == self.high else f"{self.low}–{upper}"
        return head + f"{self.n} participants (Monte Carlo {self.confidence:.0%} interval {interval})."


def smallest_size_with_interval(
    outcomes: pd.DataFrame,
    column: str = "power_detection",
    target: float = 0.8,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SmallestSize:
    """The smallest size whose power reaches ``target``, with a percentile interval over resampled worlds.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        :func:`results.planning.power.simulate_outcomes`: one row per world (``sim``) and size.
    column : str
        A power column of the curve (:data:`OUTCOME_COLUMNS`).
    target : float
        Power to reach (0..1).
    n_resamples : int
        Bootstrap resamples of the worlds.
    confidence : float
        Coverage of the interval.
    seed : int
        Seed of the resampling.
    """
    decisions = outcomes.pivot(index="sim", columns="n_participants", values=OUTCOME_COLUMNS[column]).fillna(0.0)
    sizes = decisions.columns.to_numpy(dtype=int)
    matrix = decisions.to_numpy(dtype=float)  # (worlds, sizes); a failed fit counts as no decision
    n_worlds = matrix.shape[0]
    weights = np.random.default_rng(seed).multinomial(n_worlds, np.full(n_worlds, 1 / n_worlds), size=n_resamples)
    resampled = weights @ matrix / n_worlds  # (resamples, sizes): power curves of resampled worlds
    point = _first_reaching(matrix.mean(axis=0, keepdims=True), sizes, target)[0]
    firsts = _first_reaching(resampled, sizes, target)  # inf where no size reaches it
    low, high = np.quantile(firsts, [(1 - confidence) / 2, (1 + confidence) / 2], method="inverted_cdf")
    return SmallestSize(
        n=None if np.isinf(point) else int(point),
        low=None if np.isinf(low) else int(low),
        high=None if np.isinf(high) else int(high),
        target=target,
        confidence=confidence,
        largest=int(sizes.max()),
    )


def _first_reaching(curves: np.ndarray, sizes: np.ndarray, target: float) -> np.ndarray:
    """Per row of ``curves`` (shape (k, sizes)), the first size with power >= ``target``; inf if none."""
    reached = curves >= target - 1e-12
    first = np.where(reached.any(axis=1), sizes[reached.argmax(axis=1)], np.inf)
    return first.astype(float)

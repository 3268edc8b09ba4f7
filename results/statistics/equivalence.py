""" "They could not tell" as a claim: equivalence tests (TOST) and the decision the Overview states.

A non-significant test of chance is not evidence of chance-level detection. Two one-sided tests
(Schuirmann 1987; Lakens 2017) test whether the true value lies *inside* a margin the researcher sets
around chance: accuracy within ``0.5 +- accuracy_margin`` and d' within ``+- d_prime_margin``. Both use
the headline standard errors (two-way clustered for accuracy; the GLMM's for d', times the square root
of its small-sample scale, :func:`results.mixed.inference.small_sample_scale`) on ``t(clips - 2)``;
the TOST p-value is the larger of the two one-sided p-values, and ``p < 0.05`` is the same as the 90 %
interval lying inside the margin.

Decision (:func:`detection_decision`):

* "evidence of detection": the headline d' test (likelihood ratio, :mod:`results.mixed.inference`) rejects
  d' = 0 with d' > 0, or the accuracy test rejects 50 % with accuracy above it;
* "evidence of chance-level detection": both equivalence tests reject (accuracy and d' inside the margins);
* "inconclusive": neither.

No Bayes factor is given: the standard ones (binomial, t-test) assume independent trials or
participants and would ignore the clip sample the headline generalises over.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_ACCURACY_MARGIN = 0.05
"""Accuracy within 45-55 % counts as chance level unless the researcher sets another margin."""
DEFAULT_D_PRIME_MARGIN = 0.2
"""|d'| below 0.2 (a "small" sensitivity) counts as chance level unless the researcher sets another margin."""

DETECTION, CHANCE, INCONCLUSIVE = "evidence of detection", "evidence of chance-level detection", "inconclusive"


@dataclass(frozen=True)
class Equivalence:
    """TOST of one statistic against ``chance +- margin``.

    Attributes
    ----------
    estimate, se, df : float
    chance, margin : float
    p_value : float
        The larger one-sided p-value (< 0.05: inside the margin).
    ci90_low, ci90_high : float
        The 90 % interval that the TOST inverts.
    """

    estimate: float
    se: float
    df: float
    chance: float
    margin: float
    p_value: float
    ci90_low: float
    ci90_high: float


def tost(estimate: float, se: float, df: float, chance: float, margin: float) -> Equivalence:
    """Two one-sided t-tests that ``estimate`` lies within ``chance +- margin``."""
    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0 and margin > 0):
        return Equivalence(estimate, se, df, chance, margin, float("nan"), float("nan"), float("nan"))
    above_lower = stats.t.sf((estimate - (chance - margin)) / se, df)
    below_upper = stats.t.cdf((estimate - (chance + margin)) / se, df)
    half = stats.t.ppf(0.95, df) * se
    return Equivalence(
        estimate, se, df, chance, margin, float(max(above_lower, below_upper)), estimate - half, estimate + half
    )


@dataclass(frozen=True)
class Decision:
    """What the data say about "could listeners tell?" (:func:`detection_decision`).

    Attributes
    ----------
    verdict : str
        :data:`DETECTION`, :data:`CHANCE` or :data:`INCONCLUSIVE`.
    sentence : str
        The verdict with its numbers, for the Overview and the report.
    accuracy, d_prime : Equivalence or None
        The equivalence tests (None when the statistic is missing).
    """

    verdict: str
    sentence: str
    accuracy: Equivalence | None
    d_prime: Equivalence | None


def detection_decision(
    headline, accuracy_margin: float = DEFAULT_ACCURACY_MARGIN, d_prime_margin: float = DEFAULT_D_PRIME_MARGIN
) -> Decision:
    """The decision of the module docstring from a :class:`results.statistics.headline.HeadlineDetection`.

    Parameters
    ----------
    headline : HeadlineDetection
    accuracy_margin : float
        Half-width of the chance band of accuracy (proportion, e.g. 0.05 for 45-55 %).
    d_prime_margin : float
        Half-width of the chance band of d'.
    """
    model, accuracy = headline.model, headline.accuracy
    d_test = (
        tost(model.d_prime.estimate, model.d_prime.se * model.d_prime.scale**0.5, model.d_prime.df, 0.0, d_prime_margin)
        if model is not None
        else None
    )
    acc_test = tost(accuracy.estimate, accuracy.se, accuracy.df, 0.5, accuracy_margin) if accuracy is not None else None
    detected = (model is not None and model.d_prime.p_value < 0.05 and model.d_prime.estimate > 0) or (
        accuracy is not None and accuracy.p_value < 0.05 and accuracy.estimate > 0.5
    )
    equivalent = all(t is not None and t.p_value < 0.05 for t in (d_test, acc_test))
    verdict = DETECTION if detected else CHANCE if equivalent else INCONCLUSIVE
    parts = []
    if acc_test is not None:
        parts.append(f"accuracy within 50% ± {100 * accuracy_margin:.0f} points: TOST p = {acc_test.p_value:.3g}")
    if d_test is not None:
        parts.append(f"d′ within ± {d_prime_margin:g}: TOST p = {d_test.p_value:.3g}")
    sentence = f"{verdict[0].upper()}{verdict[1:]} ({'; '.join(parts) or 'no equivalence test possible'})."
    return Decision(verdict, sentence, acc_test, d_test)

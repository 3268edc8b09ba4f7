""" "They could not tell" as a claim: one equivalence margin, the TOST, and the verdict every view states.

A non-significant test of chance is not evidence of chance-level detection. Two one-sided tests
(Schuirmann 1987; Lakens 2017) test whether the true value lies *inside* a margin around chance.

One margin, on the d' scale
---------------------------
The margin is set once, on d' (the headline GLMM's ``is_ai`` coefficient: sensitivity of a typical
listener to a typical clip), and accuracy and AUC margins are derived from it (:func:`margins_at`).
d' rather than accuracy because accuracy mixes sensitivity with everything else that varies: the
same listeners reach a lower accuracy on a library whose clips differ more, or when their criteria
spread. A margin of ±5 accuracy points meant d' ±0.29 at clip SD 0.5 and ±0.37 at clip SD 1 (issue
22), so an accuracy margin says a different thing in every study; a d' margin means the same
sensitivity everywhere, and it is the quantity the headline test is about. The conversion uses the
study's own random-effect SDs (the GLMM's; a planner uses the design's): with evidence shifted by a
clip effect (SD ``s_clip``), criteria spread by ``s_c`` and d' by ``s_d``, the marginal evidence SD is
``k = sqrt(1 + s_clip^2 + s_c^2 + s_d^2 / 4)`` (:func:`marginal_scale`); a conditional d' of ``m`` is a
marginal d' of ``m / k``, accuracy ``Phi(m / (2k))`` at an unbiased criterion and (equal-variance
binormal) AUC ``Phi(m / (k sqrt 2))``.

Equivalence is limited by clips, not participants: the clip sample's own spread stays in the
standard error of d' however many people listen (about ``s_clip * 2 / sqrt(clips)``), so a margin
below roughly ``1.7 * 2 * s_clip / sqrt(clips)`` cannot be reached by any number of participants
(:func:`results.planning.power.equivalence_floor` says so for a design). Measured at d' = 0, margin ±0.3,
clip SD 0.5, 20 trials a participant (``benchmarks/roc_equivalence_calibration.py``, 100 studies a cell):
40 clips 4-8 % of studies equivalent at N = 60-600 (floor ±0.27); 80 clips 27 / 49 / 61 % at N = 60 / 200 /
600; 160 clips 49 / 88 / 93 %. At true d' = 0.3 (the margin) 2-8 % are called equivalent (the TOST's
size, 5 %); at d' = -0.5, 74-100 % are called reversed detection.

The test
--------
The TOST of d' inverts the headline's own 95 % interval of d' (whatever reference distribution the
headline uses, :mod:`results.mixed.inference`): each side's half-width, divided by the 97.5 % t
quantile on the headline's df, is that side's standard error, so a profile interval's asymmetry is
kept, and "TOST p < 0.05" is "the 90 % interval lies inside ±m".

Verdict (:func:`detection_decision`), exactly one of
----------------------------------------------------
* :data:`DETECTION`: the headline detection test (the GLMM d' test; the two-way clustered accuracy
  test when the GLMM cannot be fitted) rejects chance with d' > 0;
* :data:`REVERSED`: it rejects chance with d' < 0: a systematic reversal (human clips judged AI more
  often than AI clips), not chance;
* :data:`EQUIVALENT`: otherwise, the TOST puts d' within ±m;
* :data:`INCONCLUSIVE`: neither.

The sentence (:func:`results.rendering.sentences.decision_sentence`) quotes the detection test first,
then the equivalence test. No Bayes factor is given:
the standard ones assume independent trials or participants and would ignore the clip sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DEFAULT_D_PRIME_MARGIN = 0.3
"""|d'| below 0.3 counts as chance level unless the researcher preregisters another margin: about ±5
accuracy points at a clip SD of 0.5 (the old accuracy margin), well below the d' = 0.5 studies are
powered to detect."""

DETECTION, REVERSED, EQUIVALENT, INCONCLUSIVE = "detection", "reversed detection", "equivalent", "inconclusive"
VERDICTS = (DETECTION, REVERSED, EQUIVALENT, INCONCLUSIVE)


def marginal_scale(clip_sd: float = 0.0, criterion_sd: float = 0.0, d_prime_sd: float = 0.0) -> float:
    """SD of the marginal evidence when clips, criteria and d' vary (module docstring): d'_cond / d'_marg."""
    return float(np.sqrt(1 + clip_sd**2 + criterion_sd**2 + d_prime_sd**2 / 4))


@dataclass(frozen=True)
class Margins:
    """One equivalence margin on three scales (:func:`margins_at`).

    Attributes
    ----------
    d_prime : float
        The margin as set (GLMM d', conditional on participant and clip).
    accuracy, auc : float
        The same margin as a distance from 0.5 in accuracy and in AUC (proportions).
    scale : float
        :func:`marginal_scale` of the SDs used.
    """

    d_prime: float
    accuracy: float
    auc: float
    scale: float


def margins_at(d_prime_margin: float, scale: float = 1.0) -> Margins:
    """The d' margin with its accuracy and AUC equivalents at marginal scale ``scale`` (module docstring)."""
    marginal = d_prime_margin / scale
    return Margins(
        d_prime_margin,
        float(stats.norm.cdf(marginal / 2) - 0.5),
        float(stats.norm.cdf(marginal / np.sqrt(2)) - 0.5),
        scale,
    )


def study_scale(model) -> float:
    """:func:`marginal_scale` at a fitted detection GLMM's random-effect SDs (components it lacks count 0)."""
    sd = {(c["group"], c["term"]): c["sd"] for c in model.variance_components}
    return marginal_scale(
        sd.get(("clip", "(Intercept)"), 0.0),
        sd.get(("participant", "(Intercept)"), 0.0),
        sd.get(("participant", "is_ai"), 0.0),
    )


@dataclass(frozen=True)
class Equivalence:
    """TOST of one statistic against ``chance +- margin``.

    Attributes
    ----------
    estimate, se, df : float
        ``se`` is the lower side's standard error (the upper side's when the interval is symmetric).
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


def tost(
    estimate: float, se: float, df: float, chance: float, margin: float, se_upper: float | None = None
) -> Equivalence:
    """Two one-sided t-tests that ``estimate`` lies within ``chance +- margin``.

    ``se`` is the standard error below the estimate, ``se_upper`` above it (default ``se``): an
    asymmetric interval gives each one-sided test its own side.
    """
    upper = se if se_upper is None else se_upper
    if not (np.isfinite(estimate) and np.isfinite(se) and np.isfinite(upper) and min(se, upper) > 0 and margin > 0):
        return Equivalence(estimate, se, df, chance, margin, float("nan"), float("nan"), float("nan"))
    above_lower = stats.t.sf((estimate - (chance - margin)) / se, df)
    below_upper = stats.t.cdf((estimate - (chance + margin)) / upper, df)
    quantile = stats.t.ppf(0.95, df)
    return Equivalence(
        estimate,
        se,
        df,
        chance,
        margin,
        float(max(above_lower, below_upper)),
        estimate - quantile * se,
        estimate + quantile * upper,
    )


def interval_tost(term, margin: float, confidence: float = 0.95) -> Equivalence:
    """TOST of d' = 0 ± ``margin`` inverting the term's own interval (module docstring).

    ``term`` has ``estimate``, ``se``, ``ci_low``, ``ci_high`` (at ``confidence``) and ``df``; without a
    finite interval the Wald ``se`` is used on both sides.
    """
    quantile = stats.t.ppf(0.5 + confidence / 2, term.df)
    below, above = (term.estimate - term.ci_low) / quantile, (term.ci_high - term.estimate) / quantile
    if not (np.isfinite(below) and np.isfinite(above) and min(below, above) > 0):
        below = above = term.se
    return tost(term.estimate, below, term.df, 0.0, margin, above)


@dataclass(frozen=True)
class Decision:
    """What the data say about "could listeners tell?" (:func:`detection_decision`).

    :func:`results.rendering.sentences.decision_sentence` says it in words, the detection test first.

    Attributes
    ----------
    verdict : str
        One of :data:`VERDICTS`.
    margins : Margins
        The margin on the d', accuracy and AUC scales (at the study's SDs).
    detection_test : str
        "d′" (the GLMM), "accuracy" (two-way clustered, when the GLMM could not be fitted) or "" (none).
    detection_estimate, detection_ci_low, detection_ci_high, detection_p : float
        That test's estimate, 95 % interval and p-value (NaN without one).
    d_prime : Equivalence or None
        The TOST of d' (None without the GLMM).
    """

    verdict: str
    margins: Margins
    detection_test: str
    detection_estimate: float
    detection_ci_low: float
    detection_ci_high: float
    detection_p: float
    d_prime: Equivalence | None


def verdict(detect_p: float, direction: float, equivalence: Equivalence | None, alpha: float = 0.05) -> str:
    """The verdict of the module docstring from the detection test's p and sign and the TOST (or None)."""
    if detect_p < alpha:
        return DETECTION if direction > 0 else REVERSED
    if equivalence is not None and equivalence.p_value < alpha:
        return EQUIVALENT
    return INCONCLUSIVE


def detection_decision(headline, d_prime_margin: float = DEFAULT_D_PRIME_MARGIN, alpha: float = 0.05) -> Decision:
    """The verdict of the module docstring from a :class:`results.statistics.headline.HeadlineDetection`.

    Parameters
    ----------
    headline : HeadlineDetection
    d_prime_margin : float
        Half-width of the chance band of d' (the preregistered margin).
    alpha : float
        Level of the detection test and of each one-sided equivalence test.
    """
    model, accuracy = headline.model, headline.accuracy
    margins = margins_at(d_prime_margin, study_scale(model) if model is not None else 1.0)
    nan = float("nan")
    if model is not None:
        term = model.d_prime
        equivalence: Equivalence | None = interval_tost(term, d_prime_margin)
        test, numbers, direction = "d′", (term.estimate, term.ci_low, term.ci_high, term.p_value), term.estimate
    elif accuracy is not None:
        equivalence, test, direction = None, "accuracy", accuracy.estimate - 0.5
        numbers = (accuracy.estimate, accuracy.ci_low, accuracy.ci_high, accuracy.p_value)
    else:
        equivalence, test, numbers, direction = None, "", (nan, nan, nan, nan), 0.0
    outcome = verdict(numbers[3], direction, equivalence, alpha)
    return Decision(outcome, margins, test, *numbers, equivalence)

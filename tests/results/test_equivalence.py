"""The verdict: detection, reversed detection, equivalent to chance within one d' margin, or inconclusive."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, stats

from results.planning.simulate import simulate_study
from results.rendering.sentences import decision_sentence
from results.statistics.equivalence import (
    DETECTION,
    EQUIVALENT,
    INCONCLUSIVE,
    REVERSED,
    detection_decision,
    interval_tost,
    marginal_scale,
    margins_at,
    tost,
)
from results.statistics.headline import headline_detection


def test_tost_is_the_larger_one_sided_p_and_inverts_the_90_percent_interval():
    result = tost(0.51, 0.01, 30, 0.5, 0.05)
    assert result.p_value == pytest.approx(
        max(stats.t.sf((0.51 - 0.45) / 0.01, 30), stats.t.cdf((0.51 - 0.55) / 0.01, 30))
    )
    assert result.ci90_low > 0.45 and result.ci90_high < 0.55 and result.p_value < 0.05
    wide = tost(0.51, 0.04, 30, 0.5, 0.05)
    assert wide.p_value > 0.05 and wide.ci90_high > 0.55


def test_the_tost_of_d_prime_inverts_the_reported_interval_side_by_side():
    # An asymmetric (profile) interval: each one-sided test uses its own side's width.
    quantile = stats.t.ppf(0.975, 18)
    term = SimpleNamespace(estimate=0.05, se=0.1, ci_low=0.05 - 0.1 * quantile, ci_high=0.05 + 0.2 * quantile, df=18)
    result = interval_tost(term, 0.5)
    assert result.ci90_low == pytest.approx(0.05 - 0.1 * stats.t.ppf(0.95, 18))
    assert result.ci90_high == pytest.approx(0.05 + 0.2 * stats.t.ppf(0.95, 18))
    assert result.p_value == pytest.approx(stats.t.cdf((0.05 - 0.5) / 0.2, 18))  # the upper side decides


def test_one_margin_means_the_same_sensitivity_on_every_scale():
    """The accuracy and AUC equivalents of a d' margin are the population's accuracy and AUC at that d'."""
    clip_sd, criterion_sd, d_sd, margin = 0.5, 0.3, 0.3, 0.3
    scale = marginal_scale(clip_sd, criterion_sd, d_sd)
    margins = margins_at(margin, scale)
    # Population accuracy at d' = margin, integrating over clip, criterion and participant d' (unbiased on average).
    spread = np.sqrt(clip_sd**2 + criterion_sd**2 + d_sd**2 / 4)
    accuracy, _ = integrate.quad(lambda u: stats.norm.cdf(margin / 2 + u) * stats.norm.pdf(u, 0, spread), -8, 8)
    assert 0.5 + margins.accuracy == pytest.approx(accuracy, abs=1e-6)
    # Issue 22: ±5 accuracy points is d' ≈ 0.29 at clip SD 0.5 (participant SDs 0).
    assert margins_at(0.29, marginal_scale(0.5)).accuracy == pytest.approx(0.05, abs=0.002)
    # Binormal AUC at the marginal d'.
    assert 0.5 + margins.auc == pytest.approx(stats.norm.cdf(margin / scale / np.sqrt(2)))


def test_verdicts_on_simulated_studies():
    """A large null study: equivalent; clear ability: detection; a reversal: reversed; a tiny study: inconclusive."""
    null = headline_detection(
        simulate_study(150, 24, d_prime=0.0, n_clips=60, cue_weight=0.3, label_effects={}, seed=2)
    )
    equivalent = detection_decision(null, d_prime_margin=0.3)
    assert equivalent.verdict == EQUIVALENT
    assert decision_sentence(equivalent).startswith("Equivalent to chance within the preregistered margin ±0.3 d′")
    # The same data with a margin too narrow to be shown: inconclusive, not "chance".
    assert detection_decision(null, d_prime_margin=0.01).verdict == INCONCLUSIVE

    able = detection_decision(
        headline_detection(simulate_study(60, 12, d_prime=1.5, n_clips=20, label_effects={}, seed=3))
    )
    sentence = decision_sentence(able)
    assert able.verdict == DETECTION and sentence.startswith("Detection: d′ = ")
    assert sentence.index("detection test p") < sentence.index("TOST")  # the detection test is quoted first

    reversal = headline_detection(simulate_study(60, 12, d_prime=-1.0, n_clips=20, label_effects={}, seed=5))
    reversed_decision = detection_decision(reversal)
    assert reversed_decision.verdict == REVERSED and reversed_decision.detection_estimate < 0
    assert decision_sentence(reversed_decision).startswith("Reversed detection")

    tiny = headline_detection(simulate_study(8, 6, d_prime=0.0, n_clips=12, label_effects={}, seed=4))
    assert detection_decision(tiny).verdict == INCONCLUSIVE

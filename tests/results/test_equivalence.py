"""The equivalence decision: chance-level, detection or inconclusive, with the researcher's margins."""

from __future__ import annotations

import pytest
from scipy import stats

from results.planning.simulate import simulate_study
from results.statistics.equivalence import (
    CHANCE,
    DETECTION,
    INCONCLUSIVE,
    detection_decision,
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


def test_decision_on_simulated_studies():
    """No ability and a large study: chance level; clear ability: detection; a tiny study: inconclusive."""
    null = headline_detection(
        simulate_study(150, 24, d_prime=0.0, n_clips=60, cue_weight=0.3, label_effects={}, seed=2)
    )
    assert detection_decision(null, accuracy_margin=0.05, d_prime_margin=0.25).verdict == CHANCE
    # The same data with a margin too narrow to be shown: inconclusive, not "chance".
    assert detection_decision(null, accuracy_margin=0.002, d_prime_margin=0.01).verdict == INCONCLUSIVE
    able = headline_detection(simulate_study(60, 12, d_prime=1.5, n_clips=20, label_effects={}, seed=3))
    decision = detection_decision(able)
    assert decision.verdict == DETECTION and decision.sentence.startswith("Evidence of detection")
    tiny = headline_detection(simulate_study(8, 6, d_prime=0.0, n_clips=12, label_effects={}, seed=4))
    assert detection_decision(tiny).verdict == INCONCLUSIVE

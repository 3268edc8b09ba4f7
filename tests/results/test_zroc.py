"""The equal-variance check: the zROC slope finds unequal variance where it was planted, and d_a follows it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from results.analysis import Analysis
from results.planning.simulate import simulate_study
from results.rendering.sentences import zroc_sentence
from results.rendering.stats import to_jsonable
from results.statistics.roc import roc_from_confidence
from results.statistics.zroc import zroc_fit


def _study(ai_sd: float, seed: int):
    return simulate_study(
        80, 16, d_prime=1.0, n_clips=40, cue_weight=0.5, label_effects={}, ai_evidence_sd=ai_sd, seed=seed
    )


def test_planted_unequal_variance_is_found_and_d_a_replaces_d_prime():
    study = _study(1.6, seed=3)
    fit = zroc_fit(study)
    true_slope = np.sqrt((1 + 0.25) / (1.6**2 + 0.25))  # pooled over clips (SD 0.5): 0.667
    assert fit.slope_ci_low < true_slope < fit.slope_ci_high and fit.slope_ci_high < 1
    assert fit.unequal and fit.slope_p_value < 0.05
    true_d_a = 1.0 / np.sqrt((1 + 1.6**2) / 2 + 0.25)
    assert fit.d_a_ci_low < true_d_a < fit.d_a_ci_high
    # The binormal AUC Phi(d_a / sqrt 2) agrees with the empirical AUC of the same ratings.
    assert stats.norm.cdf(fit.d_a / np.sqrt(2)) == pytest.approx(roc_from_confidence(study).auc, abs=0.02)
    assert "unequal-variance sensitivity is d_a" in zroc_sentence(fit)


def test_equal_variance_keeps_the_slope_near_one_and_says_so_everywhere():
    study = _study(1.0, seed=4)
    fit = zroc_fit(study)
    assert fit.slope_ci_low < 1 < fit.slope_ci_high and not fit.unequal
    assert "consistent with equal-variance SDT" in zroc_sentence(fit)
    assert to_jsonable(Analysis.of_trials(study).zroc)["unequal"] is False  # the stats JSON's block
    # Without confidence ratings there is nothing to fit, and the sentence says so.
    assert zroc_fit(study.drop(columns="confidence")) is None
    assert zroc_sentence(None).startswith("zROC: no confidence ratings")

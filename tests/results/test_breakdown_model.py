"""Detection by group from the GLMM: unbiased d' per level, a calibrated test of equal d', natural order."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from results.analysis import BREAKDOWN_ATTRIBUTES, Analysis, AnalysisPlan
from results.planning.simulate import simulate_study
from results.statistics.breakdown import breakdown
from results.statistics.breakdown_model import LEVEL_COLUMNS, breakdown_model, natural_order


def test_equal_true_d_prime_across_levels_gives_equal_estimates_and_no_difference():
    """d' = 1 for every clip and listener: the per-level estimates cover 1 and the test rarely rejects,
    while the old mean of per-participant d' over a few trials per level sits well below 1."""
    p_values, covered, model_means, participant_means = [], [], [], []
    for seed in range(5):
        study = simulate_study(60, 16, d_prime=1.0, n_clips=40, cue_weight=0.5, label_effects={}, seed=seed)
        result = breakdown_model(study, "vocals")
        assert list(result.levels.columns) == list(LEVEL_COLUMNS)
        assert list(result.levels["level"]) == ["vocal", "instrumental"]
        p_values.append(result.p_value)
        covered += list((result.levels["ci_low"] < 1.0) & (1.0 < result.levels["ci_high"]))
        model_means.append(result.levels["d_prime"].mean())
        participant_means.append(breakdown(study, "vocals")["mean_participant_d_prime"].mean())
    assert sum(p < 0.05 for p in p_values) <= 1
    assert sum(covered) >= 8  # of 10 intervals
    assert np.mean(model_means) == pytest.approx(1.0, abs=0.2)
    # Per-participant d' also counts clip differences as noise and is shrunk by the correction.
    assert np.mean(participant_means) < np.mean(model_means) - 0.2


def test_a_real_difference_between_groups_is_found():
    n = 80
    study = simulate_study(
        n, 16, d_prime=np.where(np.arange(n) < n // 2, 0.3, 1.7), n_clips=40, cue_weight=0.5, label_effects={}, seed=3
    )
    study["training_years"] = np.where(study["participant_id"] <= n // 2, "none", "10+")
    result = breakdown_model(study, "training_years")
    levels = result.levels.set_index("level")
    assert list(levels.index) == ["none", "10+"]
    assert levels.loc["none", "ci_low"] < 0.3 < levels.loc["none", "ci_high"]
    assert levels.loc["10+", "ci_low"] < 1.7 < levels.loc["10+", "ci_high"]
    assert result.p_value < 0.001 and result.df_numerator == 1


def test_ai_only_attribute_measures_each_level_against_all_human_clips():
    study = simulate_study(60, 16, d_prime=1.0, n_clips=40, cue_weight=0.5, label_effects={}, seed=4)
    result = breakdown_model(study, "ai_system")
    assert list(result.levels["level"]) == ["System A", "System B"]
    assert "AI-only attribute" in result.method


def test_levels_sort_in_their_natural_order():
    assert natural_order(["3-5", "none", "10+", "1-2", "6-9", "(missing)"], "training_years") == [
        "none",
        "1-2",
        "3-5",
        "6-9",
        "10+",
        "(missing)",
    ]
    assert natural_order(["often", "never", "rarely", "sometimes"], "ai_exposure") == [
        "never",
        "rarely",
        "sometimes",
        "often",
    ]
    assert natural_order(["A lot", "None", "Some", "One or two pieces"], "ai_exposure") == [
        "None",
        "One or two pieces",
        "Some",
        "A lot",
    ]


def test_breakdown_tests_are_one_holm_family_named_on_the_analysis():
    """The plan's breakdowns form one family; an attribute a page adds joins it; a real difference survives."""
    n = 80
    study = simulate_study(
        n, 16, d_prime=np.where(np.arange(n) < n // 2, 0.3, 1.7), n_clips=40, cue_weight=0.5, label_effects={}, seed=3
    )
    study["training_years"] = np.where(study["participant_id"] <= n // 2, "none", "10+")
    analysis = Analysis.of_trials(study, AnalysisPlan(breakdowns=("training_years", "vocals")))
    family = analysis.breakdown_family()
    assert list(family.table["by"]) == ["training_years", "vocals"]
    assert np.allclose(family.table["p_holm"], multipletests(family.table["p_value"], method="holm")[1])
    assert family.p_holm("training_years") < 0.05
    assert "2 breakdown tests" in family.family and BREAKDOWN_ATTRIBUTES["vocals"] in family.family
    widened = analysis.breakdown_family(shown="genre")
    assert list(widened.table["by"]) == ["training_years", "vocals", "genre"]
    assert widened.p_holm("vocals") >= family.p_holm("vocals")

"""Moderators of detection: a participant covariate that raises d' is found, one that does nothing is not."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.multitest import multipletests

from results.planning.simulate import simulate_study
from results.statistics.moderators import MODERATOR_COLUMNS, moderator_model


def test_training_that_raises_d_prime_is_found_and_attitude_that_does_nothing_is_not():
    n = 120
    rng = np.random.default_rng(1)
    score = rng.integers(7, 50, size=n)  # Gold-MSI Musical Training, 7..49
    z = (score - score.mean()) / score.std()
    study = simulate_study(n, 16, d_prime=1.0 + 0.5 * z, n_clips=40, cue_weight=0.5, label_effects={}, seed=1)
    study["training_score"] = score[study["participant_id"].to_numpy() - 1]
    study = study.drop(columns=["ai_exposure"])
    result = moderator_model(study)
    table = result.table.set_index(["moderator", "effect_on"])
    assert list(result.table.columns) == list(MODERATOR_COLUMNS)
    training = table.loc[("training_score", "d_prime")]
    assert training["ci_low"] < 0.5 < training["ci_high"] and training["p_value"] < 0.01
    attitude = table.loc[("ai_attitude", "d_prime")]
    assert attitude["ci_low"] < 0 < attitude["ci_high"]
    assert result.n_participants == n


def test_moderator_tests_are_one_holm_family_and_a_strong_effect_survives_it():
    n = 120
    rng = np.random.default_rng(2)
    score = rng.integers(7, 50, size=n)
    z = (score - score.mean()) / score.std()
    study = simulate_study(n, 16, d_prime=1.0 + 0.6 * z, n_clips=40, cue_weight=0.5, label_effects={}, seed=2)
    study["training_score"] = score[study["participant_id"].to_numpy() - 1]
    result = moderator_model(study)
    table = result.table
    assert np.allclose(table["p_holm"], multipletests(table["p_value"], method="holm")[1])
    assert (table["p_holm"] >= table["p_value"]).all()
    assert f"{len(table)} moderator tests" in result.family
    training = table.set_index(["moderator", "effect_on"]).loc[("training_score", "d_prime")]
    assert training["p_holm"] < 0.05

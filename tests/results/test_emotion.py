"""Emotion ratings by true and guessed source: scipy/statsmodels agreement, known effects, the collider case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from core.vocabulary import SCALES
from results.mixed.terms import ModelFitError
from results.planning.simulate import simulate_study
from results.statistics import emotion, models
from results.statistics.intervals import cohen_dz


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    """Judging a clip AI lowers "moved" by 0.8 points; AI clips are liked 1 point more."""
    return simulate_study(
        200,
        40,
        d_prime=1.0,
        label_effects={"moved": -0.8},
        source_effects={"liking": 1.0},
        n_attention_trials=2,
        rating_missing_rate=0.03,
        seed=21,
    )


def participant_means(data: pd.DataFrame, scale: str, by: str) -> pd.DataFrame:
    main = data[(data["kind"] == "main") & data[scale].notna()]
    return main.groupby(["participant_id", by])[scale].apply(lambda s: s.astype(float).mean()).unstack(by).dropna()


def test_paired_tests_match_scipy_and_holm_matches_statsmodels(study):
    table = emotion.emotion_tests(study)
    assert list(table.columns) == list(emotion.TEST_COLUMNS)
    assert list(table["scale"].unique()) == list(SCALES)
    for _, row in table.iterrows():
        by = "is_ai" if row["effect"] == "true_source" else "guessed_ai"
        means = participant_means(study, row["scale"], by)
        reference = stats.ttest_rel(means[True], means[False])
        assert row["n_participants"] == len(means)
        assert row["mean_difference"] == pytest.approx((means[True] - means[False]).mean())
        assert row["t"] == pytest.approx(reference.statistic)
        assert row["p_value"] == pytest.approx(reference.pvalue)
        interval = reference.confidence_interval(0.95)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
        differences = means[True] - means[False]
        assert row["cohen_dz"] == pytest.approx(differences.mean() / differences.std(ddof=1))
    for _, family in table.groupby("effect"):
        reject, adjusted, _, _ = multipletests(family["p_value"], method="holm")
        assert family["p_holm"].to_numpy() == pytest.approx(adjusted)
        assert list(family["significant_holm"]) == list(reject)


def test_cohen_dz_interval_inverts_the_noncentral_t():
    rng = np.random.default_rng(3)
    differences = rng.normal(0.4, 1.0, 25)
    result = cohen_dz(differences)
    n = differences.size
    t_observed = result["dz"] * np.sqrt(n)
    # By construction the observed t sits at the 97.5th / 2.5th percentile of the bounding distributions.
    assert stats.nct.cdf(t_observed, n - 1, result["ci_low"] * np.sqrt(n)) == pytest.approx(0.975, abs=1e-6)
    assert stats.nct.cdf(t_observed, n - 1, result["ci_high"] * np.sqrt(n)) == pytest.approx(0.025, abs=1e-6)
    # And for a large sample it approaches the normal approximation of Cohen's d_z.
    large = rng.normal(0.4, 1.0, 2000)
    wide = cohen_dz(large)
    approx_se = np.sqrt(1 / 2000 + wide["dz"] ** 2 / (2 * 2000))
    assert wide["ci_low"] == pytest.approx(wide["dz"] - 1.96 * approx_se, abs=0.005)
    assert wide["ci_high"] == pytest.approx(wide["dz"] + 1.96 * approx_se, abs=0.005)


def test_guessed_source_association_recovers_the_rating_difference(study):
    table = emotion.emotion_tests(study).set_index(["scale", "effect"])
    moved = table.loc[("moved", emotion.GUESSED_SOURCE_ASSOCIATION)]
    assert moved["mean_difference"] == pytest.approx(-0.8, abs=0.15)
    assert moved["p_holm"] < 0.001


def test_true_source_effect_is_the_total_effect_of_the_source(study):
    """Without the guess in the model, is_ai is the total effect of the true source: on "liking" the
    direct +1; on "moved" the -0.8 of judging a clip AI times how much more often AI clips are judged AI."""
    result = models.emotion_mixed_model(study, "moved")
    effects = {row["term"]: row for row in result.fixed_effects}
    assert list(effects) == list(models.EMOTION_TERMS)
    main = study[study["kind"] == "main"]
    extra_ai_judgements = main.groupby("is_ai")["guessed_ai"].mean().diff().iloc[-1]
    assert effects["is_ai"]["ci_low"] < -0.8 * extra_ai_judgements < effects["is_ai"]["ci_high"]
    liking = {row["term"]: row for row in models.emotion_mixed_model(study, "liking").fixed_effects}
    assert liking["is_ai"]["ci_low"] < 1.0 < liking["is_ai"]["ci_high"]
    assert liking["is_ai"]["ci_low"] > 0
    groups = [(c["group"], c["term"]) for c in result.variance_components]
    assert groups == [
        ("participant", "(Intercept)"),
        ("participant", "is_ai"),
        ("clip", "(Intercept)"),
        ("residual", ""),
    ]
    assert result.n_participants == 200 and result.n_clips == 60
    assert result.n_ratings == int(study.loc[study["kind"] == "main", "moved"].notna().sum())


def test_collider_no_effects_means_no_true_source_effect_and_no_causal_label_claim():
    """The listening experience drives both the guess and the rating; neither the source nor the guess
    changes the rating. Adjusting for the guess (the old model) manufactured a "label effect" and biased
    the true-source term; the model without the guess finds nothing, and the guess is only an association."""
    study = simulate_study(120, 20, d_prime=1.0, label_effects={}, source_effects={}, n_clips=40, seed=5)
    rng = np.random.default_rng(5)
    experience = rng.normal(size=len(study))
    evidence = np.where(study["is_ai"], 0.5, -0.5) - 1.0 * experience + rng.normal(size=len(study))
    study["guessed_ai"] = pd.array(evidence > 0, dtype="boolean")
    study["moved"] = pd.array(
        np.clip(np.rint(5 + 1.5 * experience + rng.normal(size=len(study))), 1, 9).astype(int), dtype="Int64"
    )
    model = models.emotion_mixed_model(study, "moved")
    true_source = {row["term"]: row for row in model.fixed_effects}["is_ai"]
    assert true_source["ci_low"] < 0 < true_source["ci_high"]
    assert "guessed_ai" not in [row["term"] for row in model.fixed_effects]
    assert "guess" not in model.method.split("~")[1].split(",")[0]  # the formula has no guess
    # The association is strong (that is what the old model called a "label effect") and is named so.
    table = emotion.emotion_tests(study, ["moved"]).set_index("effect")
    assert table.loc[emotion.GUESSED_SOURCE_ASSOCIATION, "p_value"] < 1e-6
    assert "association" in emotion.GUESSED_SOURCE_ASSOCIATION
    # The old adjusted model would have reported a biased true-source effect here.
    adjusted = _adjusted_true_source(study)
    assert abs(adjusted) > abs(true_source["estimate"]) + 0.2


def _adjusted_true_source(study: pd.DataFrame) -> float:
    """is_ai coefficient of the old model rating ~ is_ai + guessed_ai (OLS is enough to show the bias)."""
    main = study[(study["kind"] == "main")]
    X = np.column_stack([np.ones(len(main)), main["is_ai"].to_numpy(float), main["guessed_ai"].to_numpy(float)])
    return float(np.linalg.lstsq(X, main["moved"].to_numpy(float), rcond=None)[0][1])


def test_means_by_source_are_participant_averages_with_t_intervals(study):
    table = emotion.emotion_by_source(study, ["moved"])
    assert list(table.columns) == list(emotion.BY_SOURCE_COLUMNS)
    assert len(table) == 4
    main = study[(study["kind"] == "main") & study["moved"].notna()]
    for _, row in table.iterrows():
        cell = main[(main["source"] == row["source"]) & (main["guess"] == row["perceived"])]
        means = cell.groupby("participant_id")["moved"].apply(lambda s: s.astype(float).mean())
        interval = stats.ttest_1samp(means, 0).confidence_interval(0.95)
        assert row["n_participants"] == len(means) and row["n_ratings"] == len(cell)
        assert row["mean"] == pytest.approx(means.mean())
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    cells = table.set_index(["source", "perceived"])["mean"]
    assert cells[("human", "ai")] < cells[("human", "human")] - 0.5  # the label bias on human clips


def test_scales_that_were_not_asked_are_left_out(study):
    without_arousal = study.assign(arousal=pd.array([pd.NA] * len(study), dtype="Int64"))
    assert "arousal" not in set(emotion.emotion_tests(without_arousal)["scale"])
    assert "arousal" not in set(emotion.emotion_by_source(without_arousal)["scale"])
    with pytest.raises(ModelFitError, match="no arousal ratings"):
        models.emotion_mixed_model(without_arousal, "arousal")
    with pytest.raises(ValueError, match="liking"):
        emotion.emotion_tests(study.drop(columns="liking"))


def test_mixed_model_reports_degenerate_data(study):
    human_only = study[~study["is_ai"]]
    with pytest.raises(ModelFitError, match="is_ai"):
        models.emotion_mixed_model(human_only, "moved")
    with pytest.raises(ModelFitError, match="too few trials"):
        models.emotion_mixed_model(study.iloc[:5], "moved")

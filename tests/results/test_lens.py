"""The lens model per clip: feature associations, the lens model equation, and the clip tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from results.planning.simulate import simulate_study
from results.statistics import lens


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    """Listeners lean on feat_listener_cue (unrelated to the source); feat_source_marker tracks the source."""
    return simulate_study(150, 40, d_prime=0.8, cue_weight=0.8, n_clips=80, n_attention_trials=2, seed=33)


def clip_table(data: pd.DataFrame) -> pd.DataFrame:
    main = data[data["kind"] == "main"]
    return main.groupby("clip_id").agg(
        is_ai=("is_ai", "first"),
        judged=("guessed_ai", lambda s: s.astype(float).mean()),
        cue=("feat_listener_cue", "first"),
        marker=("feat_source_marker", "first"),
    )


def test_associations_match_scipy_and_benjamini_hochberg(study):
    table = lens.feature_associations(study)
    assert list(table.columns) == list(lens.ASSOCIATION_COLUMNS)
    assert set(table["feature"]) == {c for c in study.columns if c.startswith("feat_")}
    clips = clip_table(study)
    marker = table.set_index("feature").loc["feat_source_marker"]
    reference = stats.pearsonr(clips["marker"], clips["is_ai"].astype(float))
    interval = reference.confidence_interval(0.95)  # Fisher z
    assert marker["n_clips"] == len(clips) == 80
    assert marker["source_r"] == pytest.approx(reference.statistic)
    assert marker["source_p"] == pytest.approx(reference.pvalue)
    assert (marker["source_r_ci_low"], marker["source_r_ci_high"]) == pytest.approx((interval.low, interval.high))
    # The point-biserial p is the equal-variance t-test's p.
    ai, human = clips.loc[clips["is_ai"], "marker"], clips.loc[~clips["is_ai"], "marker"]
    assert marker["source_p"] == pytest.approx(stats.ttest_ind(ai, human).pvalue)
    pooled = np.sqrt(((len(ai) - 1) * ai.var() + (len(human) - 1) * human.var()) / (len(ai) + len(human) - 2))
    assert marker["source_d"] == pytest.approx((ai.mean() - human.mean()) / pooled)
    assert marker["source_d_ci_low"] < marker["source_d"] < marker["source_d_ci_high"]
    cue = table.set_index("feature").loc["feat_listener_cue"]
    assert cue["judgement_r"] == pytest.approx(stats.pearsonr(clips["cue"], clips["judged"]).statistic)
    for family in ("source", "judgement"):
        assert table[f"{family}_q"].to_numpy() == pytest.approx(multipletests(table[f"{family}_p"], method="fdr_bh")[1])


def test_associations_find_the_true_marker_and_the_misleading_cue(study):
    table = lens.feature_associations(study).set_index("feature")
    assert table.loc["feat_source_marker", "source_q"] < 0.01  # true SMD = 1
    assert (
        table.loc["feat_source_marker", "source_d_ci_low"] < 1.0 < table.loc["feat_source_marker", "source_d_ci_high"]
    )
    assert table.loc["feat_listener_cue", "judgement_q"] < 0.001  # listeners follow it ...
    assert table.loc["feat_listener_cue", "source_q"] > 0.05  # ... though it says nothing about the source
    assert table.loc["feat_unrelated_a", "judgement_q"] > 0.05


def test_lens_model_equation_reconstructs_achievement(study):
    summary = lens.lens_summary(study)
    clips = clip_table(study)
    achievement = stats.pearsonr(clips["is_ai"].astype(float), clips["judged"])
    assert summary.achievement.r == pytest.approx(achievement.statistic)
    assert summary.n_clips == summary.n_clips_model == 80
    assert {"feat_source_marker", "feat_listener_cue"} <= set(summary.cues)
    assert summary.lens_equation == pytest.approx(summary.achievement.r, abs=1e-9)
    assert summary.environment.multiple_r > 0.3 and summary.judgement.multiple_r > 0.3
    assert summary.cue_selection == "top |r| on the same data"
    given = lens.lens_summary(study, ["feat_listener_cue"])
    assert given.cues == ["feat_listener_cue"] and given.cue_selection == "given"
    assert given.judgement.multiple_r == pytest.approx(abs(stats.pearsonr(clips["cue"], clips["judged"]).statistic))
    with pytest.raises(ValueError, match="feat_nope"):
        lens.lens_summary(study, ["feat_nope"])


def test_lens_without_features_gives_achievement_only(study):
    bare = study.drop(columns=[c for c in study.columns if c.startswith("feat_")])
    assert lens.feature_associations(bare).empty
    summary = lens.lens_summary(bare)
    assert summary.cues == [] and summary.environment is None
    assert summary.achievement.r > 0


def test_clip_summary_counts_main_trials_with_wilson_intervals(study):
    table = lens.clip_summary(study)
    assert list(table.columns) == list(lens.CLIP_SUMMARY_COLUMNS)
    main = study[study["kind"] == "main"]
    row = table.iloc[0]
    rows = main[main["clip_id"] == row["clip_id"]]
    judged_ai = int(rows["guessed_ai"].sum())
    low, high = proportion_confint(judged_ai, len(rows), method="wilson")
    assert (row["n_ratings"], row["n_judged_ai"]) == (len(rows), judged_ai)
    assert (row["prop_ci_low"], row["prop_ci_high"]) == pytest.approx((low, high))
    assert row["mean_confidence"] == pytest.approx(rows["confidence"].astype(float).mean())
    assert row["mean_moved"] == pytest.approx(rows["moved"].astype(float).mean())
    assert table["n_ratings"].sum() == len(main)


def test_fooling_clips_are_sorted_and_of_the_right_source(study):
    human_sounding = lens.most_human_sounding_ai(study, 5)
    ai_sounding = lens.most_ai_sounding_human(study, 5)
    assert len(human_sounding) == len(ai_sounding) == 5
    assert human_sounding["is_ai"].all() and not ai_sounding["is_ai"].any()
    assert human_sounding["prop_judged_ai"].is_monotonic_increasing
    assert ai_sounding["prop_judged_ai"].is_monotonic_decreasing
    all_clips = lens.clip_summary(study)
    assert human_sounding.iloc[0]["prop_judged_ai"] == all_clips.loc[all_clips["is_ai"], "prop_judged_ai"].min()
    assert lens.most_human_sounding_ai(study, 5, min_ratings=10_000).empty

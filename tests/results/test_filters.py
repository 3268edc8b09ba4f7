"""Exclusions act on whole participants and report what they removed."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from results.analysis import Analysis, AnalysisPlan
from results.data.filters import apply_filters
from results.planning.simulate import simulate_study
from results.rendering.stats import analysis_stats


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    return simulate_study(
        80, 12, n_clips=24, share_incomplete=0.25, share_flagged=0.2, n_attention_trials=1, n_study_versions=2, seed=9
    )


def participants_with(data: pd.DataFrame, column: str) -> set:
    return set(data.loc[data[column].astype(bool), "participant_id"])


def test_no_filter_keeps_everything_and_counts_main_trials(study):
    kept, counts = apply_filters(study, completed_only=False)
    assert len(kept) == len(study)
    assert counts["n_participants_before"] == counts["n_participants_after"] == 80
    assert counts["n_trials_before"] == counts["n_trials_after"] == int((study["kind"] == "main").sum())
    assert counts["steps"] == []


def test_incomplete_participants_leave_with_all_their_trials(study):
    kept, counts = apply_filters(study)
    incomplete = set(study.loc[~study["completed"], "participant_id"])
    assert incomplete and not incomplete & set(kept["participant_id"])
    assert kept["completed"].all()
    expected = study[study["completed"]]
    assert counts["n_participants_after"] == expected["participant_id"].nunique()
    assert counts["n_trials_after"] == int((expected["kind"] == "main").sum())
    assert counts["steps"] == [
        {"step": "completed", "n_participants": counts["n_participants_after"], "n_trials": counts["n_trials_after"]}
    ]


def test_quality_flags_and_screening(study):
    data = study.copy()
    data["screening_passed"] = data["screening_passed"].astype("boolean")
    clean = data.groupby("participant_id")[["flag_attention_failed", "flag_too_fast", "flag_inconsistent"]].any()
    unscreened_id = clean.index[~clean.any(axis=1)][0]
    data.loc[data["participant_id"] == unscreened_id, "screening_passed"] = pd.NA  # not screened: must stay
    kept, counts = apply_filters(
        data,
        completed_only=False,
        exclude_failed_screening=True,
        exclude_attention_failed=True,
        exclude_too_fast=True,
        exclude_inconsistent=True,
    )
    failed = set(data.loc[data["screening_passed"].eq(False).fillna(False), "participant_id"])
    flagged = (
        failed
        | participants_with(data, "flag_attention_failed")
        | participants_with(data, "flag_too_fast")
        | participants_with(data, "flag_inconsistent")
    )
    assert flagged and set(kept["participant_id"]) == set(data["participant_id"]) - flagged
    assert unscreened_id in set(kept["participant_id"])
    assert [s["step"] for s in counts["steps"]] == ["screening", "attention checks", "too fast", "inconsistent"]
    assert [s["n_participants"] for s in counts["steps"]] == sorted(
        (s["n_participants"] for s in counts["steps"]), reverse=True
    )


def test_date_range_keeps_whole_sessions_by_their_first_answer(study):
    start = study.groupby("participant_id")["answered_at"].min()
    day = start.iloc[40].date()
    kept, _ = apply_filters(study, completed_only=False, date_from=day, date_to=day)
    expected = set(start[(start.dt.date == day)].index)
    assert set(kept["participant_id"]) == expected
    # Whole sessions: every kept participant keeps all their rows.
    assert len(kept) == int(study["participant_id"].isin(expected).sum())
    as_text, _ = apply_filters(study, completed_only=False, date_from=day.isoformat(), date_to=day.isoformat())
    assert set(as_text["participant_id"]) == expected
    moment = start.iloc[40]
    after, _ = apply_filters(study, completed_only=False, date_from=moment)
    assert set(after["participant_id"]) == set(start[start >= moment].index)
    with pytest.raises(ValueError, match="after"):
        apply_filters(study, date_from=dt.date(2025, 3, 20), date_to=dt.date(2025, 3, 1))


def test_study_versions(study):
    kept, counts = apply_filters(study, completed_only=False, study_versions=[2])
    assert set(kept["study_version_id"]) == {2}
    assert counts["steps"][0]["step"] == "study versions"
    with pytest.raises(ValueError, match="study_version_id"):
        apply_filters(study.drop(columns="study_version_id"), study_versions=[1])


def test_analysis_stats_are_json_safe_and_complete(study):
    kept, _ = apply_filters(study)
    stats = analysis_stats(Analysis.of_trials(kept))
    text = json.dumps(stats, allow_nan=False)  # NaN would be invalid JSON
    assert set(stats) == {
        "headline",
        "fixed_clips",
        "mixed_models",
        "roc",
        "breakdowns",
        "breakdown_tests",
        "moderators",
        "zroc",
        "emotion_by_source",
        "emotion_tests",
        "lens",
        "clips",
    }
    assert np.isfinite(stats["headline"]["detection"]["model"]["d_prime"]["estimate"])
    assert stats["headline"]["decision"]["verdict"] in ("detection", "reversed detection", "equivalent", "inconclusive")
    assert (
        stats["headline"]["decision_sentence"]
        .split(":")[0]
        .lower()
        .startswith(stats["headline"]["decision"]["verdict"].split()[0])
    )
    assert stats["roc"]["generalises"] == "generalising over participants and clips"
    assert stats["fixed_clips"]["label"].startswith("treats clips as fixed")
    assert set(stats["breakdowns"]) == {"training_years", "ai_exposure", "genre", "vocals", "ai_system"}
    assert stats["fixed_clips"]["detection"]["n_trials"] == int((kept["kind"] == "main").sum())
    assert len(stats["roc"]["points"]) == 7
    assert json.loads(text)["fixed_clips"]["detection"]["hit_rate"]["n"] == int(
        kept.loc[kept["kind"] == "main", "is_ai"].sum()
    )
    assert stats["headline"]["sentence"].startswith("Listeners ")
    assert stats["headline"]["generalises"] == "generalising over participants and clips"
    assert {"pooled", "model", "p_holm"} <= set(stats["breakdowns"]["genre"])
    # Multiplicity: each breakdown's test of equal d' has its Holm p beside the raw p, and the family is named.
    family = stats["breakdown_tests"]
    assert family["family"].startswith(f"Holm over the {len(family['table'])} breakdown tests")
    for row in family["table"]:
        assert row["p_holm"] >= row["p_value"]
        assert stats["breakdowns"][row["by"]]["p_holm"] == row["p_holm"]
    if "failure" not in stats["moderators"]:
        assert all(row["p_holm"] >= row["p_value"] for row in stats["moderators"]["table"])
        assert "moderator tests" in stats["moderators"]["family"]
    empty = analysis_stats(Analysis.of_trials(study.iloc[0:0]))
    json.dumps(empty, allow_nan=False)
    fixed = empty["fixed_clips"]["detection"]
    assert fixed["n_trials"] == 0 and fixed["d_prime"]["mean"] is None


def test_analysis_stats_with_emotion_models(study):
    stats = analysis_stats(Analysis.of_trials(study, AnalysisPlan(emotion_models=True)))
    json.dumps(stats, allow_nan=False)
    models = stats["mixed_models"]
    assert np.isfinite(models["detection"]["d_prime"]["estimate"])
    assert set(models["emotion"]) == {"valence", "arousal", "moved", "liking"}
    # The ordinal model is the emotion analysis (one p-value per scale); the linear model its sensitivity check.
    analysis = stats["emotion_analysis"]
    assert "participants and clips" in analysis["generalises"]
    assert analysis["sensitivity_check"] == "sensitivity check (linear model)"
    effects = {row["scale"]: row for row in analysis["effects"]}
    assert set(effects) == set(models["emotion"])
    ordinal = models["emotion"]["moved"]["ordinal"]
    assert effects["moved"]["effect_logit"] == ordinal["effect"]["estimate"]
    assert effects["moved"]["p_value"] == ordinal["effect"]["p_value"]
    assert 0 < effects["moved"]["probability_higher"] < 1
    assert "linear_sensitivity_check" in models["emotion"]["moved"]

"""Paired (2AFC) detection: one answer per pair, d' = sqrt(2) z(pc) per participant and from the GLMM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from results.data.table import pair_correct
from results.mixed.inference import fit_with_fallback, profile_term
from results.mixed.terms import RandomFactor
from results.planning.paired_simulate import simulate_paired_study
from results.statistics.paired_detection import (
    MIN_CLIPS_PER_SOURCE,
    detection_side_by_side,
    has_paired_data,
    pair_choices,
    paired_design,
    paired_detection,
    per_participant_paired,
)


def simulated_pairs(dprime: float, n_participants: int = 40, n_pairs: int = 10, seed: int = 3) -> pd.DataFrame:
    """A paired trial table: two rows per pair (one per clip), the pair's choice on both."""
    rng = np.random.default_rng(seed)
    pc = norm.cdf(dprime / math.sqrt(2))
    rows = []
    for participant in range(1, n_participants + 1):
        ai_first = rng.permutation([True, False] * (n_pairs // 2))
        for number in range(1, n_pairs + 1):
            ai_position = 1 if ai_first[number - 1] else 2
            choice = ai_position if rng.random() < pc else 3 - ai_position
            for position in (1, 2):
                is_ai = position == ai_position
                rows.append(
                    {
                        "participant_id": participant,
                        "kind": "main",
                        "clip_id": (100 if is_ai else 0) + number,
                        "source": "ai" if is_ai else "human",
                        "pair_trial": number,
                        "pair_position": position,
                        "pair_choice": choice,
                    }
                )
    table = pd.DataFrame(rows)
    table["pair_correct"] = pair_correct(table)
    return table


def test_each_pair_counts_once_and_per_participant_dprime_is_sqrt2_z_pc():
    table = simulated_pairs(1.0, n_participants=3, n_pairs=4)
    assert has_paired_data(table)
    pairs = pair_choices(table)
    assert len(pairs) == 12 and pairs["stimulus"].nunique() == 4
    # both rows of a pair agree on whether the choice was right
    assert (table.groupby(["participant_id", "pair_trial"])["pair_correct"].nunique() == 1).all()
    scores = per_participant_paired(table)
    for row in scores.itertuples():
        assert row.dprime == pytest.approx(math.sqrt(2) * norm.ppf((row.n_correct + 0.5) / (row.n_pairs + 1)))


def test_the_glmm_recovers_a_planted_paired_dprime_with_an_interval():
    result = paired_detection(simulated_pairs(1.0))
    assert result is not None and result.n_pairs == 400
    assert result.ci_low < 1.0 < result.ci_high
    assert result.ci_low > 0.5 and result.p_value < 0.001
    null = paired_detection(simulated_pairs(0.0, seed=5))
    assert null.ci_low < 0.0 < null.ci_high


def test_single_and_paired_detection_side_by_side():
    table = simulated_pairs(1.0, n_participants=10, n_pairs=6)
    side = detection_side_by_side(table)
    assert list(side["design"]) == ["paired (2AFC)"]  # no single-clip answers in this table
    assert side["answers"].iloc[0] == 60
    assert not has_paired_data(table.assign(pair_choice=None))


def test_the_report_shows_single_clip_and_paired_detection_side_by_side():
    from results.analysis import Analysis
    from results.rendering.report_designs import design_section

    html = design_section(
        Analysis.of_trials(simulated_pairs(1.0, n_participants=10, n_pairs=6).assign(condition="blind"))
    )
    assert "Single-clip vs paired detection" in html and "paired (2AFC)" in html


def _per_pair_model_p_value(table: pd.DataFrame) -> float:
    """The test this module used before issue 22: one random intercept per pair, F(1, pairs - 1)."""
    pairs = pair_choices(table)
    y, X, names, _ = paired_design(pairs)
    ones = np.ones((len(pairs), 1))
    factors = [
        RandomFactor(group, pd.factorize(pairs[column])[0], ones, ("(Intercept)",))
        for group, column in (("participant", "participant_id"), ("pair", "stimulus"))
    ]
    structure = fit_with_fallback(y, X, names, [("per pair", factors)])
    return profile_term(y, X, names, structure, "(Intercept)", df=pairs["stimulus"].nunique() - 1).p_value


def test_a_random_pairing_null_study_is_not_called_detection_where_the_per_pair_test_was():
    # No detection (d' = 0), clips differ (SD 1), pairs drawn at random from 10 + 10 clips: the pairs
    # share clips, so treating each pair as its own sample found "detection" here.
    table = simulate_paired_study(30, 8, d_prime=0.0, clip_sd=1.0, n_clips=20, pairing="random", seed=0)
    assert _per_pair_model_p_value(table) < 0.01
    result = paired_detection(table)
    assert not result.fixed_pairs and (result.n_ai_clips, result.n_human_clips) == (10, 10)
    assert "(1 | ai_clip) + (1 | human_clip)" in result.fit_status
    assert result.p_value > 0.05 and result.ci_low < 0.0 < result.ci_high
    # df from the clips: between min(J_ai, J_human) - 1 and J_ai + J_human - 2, not pairs - 1 (= 72)
    assert 9 <= result.df <= 18


def test_fixed_pairs_get_one_intercept_per_pair_and_pairs_minus_one_df():
    table = simulate_paired_study(30, 8, d_prime=1.0, clip_sd=0.5, n_clips=20, pairing="matched", seed=1)
    result = paired_detection(table)
    assert result.fixed_pairs and "(1 | pair)" in result.fit_status and result.df == 9
    assert result.ci_low < 1.0 < result.ci_high and result.p_value < 0.05


def test_too_few_clips_or_pairs_are_not_estimable_with_the_reason():
    few_pairs = simulated_pairs(1.0, n_participants=10, n_pairs=4)  # 4 fixed pairs
    result = paired_detection(few_pairs)
    assert math.isnan(result.dprime) and math.isnan(result.ci_low) and math.isnan(result.p_value)
    expected = f"only 4 fixed pairs of clips; a d' that generalises over clips needs at least {MIN_CLIPS_PER_SOURCE}"
    assert result.not_estimable == expected
    few_answers = simulate_paired_study(2, 6, n_clips=20, seed=2)  # 12 pairs of 2 participants
    assert "answered pairs" in paired_detection(few_answers).not_estimable
    side = detection_side_by_side(few_pairs)
    assert side["not_estimable"].iloc[0].startswith("only 4 fixed pairs")


def test_every_view_shows_the_paired_dprime_or_why_it_is_not_estimable():
    from results.analysis import Analysis
    from results.rendering.report_designs import design_section, side_by_side_rows
    from results.rendering.stats import analysis_stats

    def study(n_pairs: int) -> Analysis:
        table = simulated_pairs(1.0, n_participants=10, n_pairs=n_pairs)
        # as in the real table: the single-clip columns exist, empty on paired trials
        return Analysis.of_trials(table.assign(condition="blind", is_ai=table["source"] == "ai", guessed_ai=None))

    few = study(4)
    row = side_by_side_rows(few.paired_side_by_side)[0]
    assert row[4].startswith("not estimable: only 4 fixed pairs") and row[5] == ""  # Overview and report rows
    assert "not estimable: only 4 fixed pairs" in design_section(few)
    assert "42" not in row[4]
    stats = analysis_stats(few)["paired"]
    assert stats["side_by_side"][0]["not_estimable"].startswith("only 4 fixed pairs")
    assert stats["side_by_side"][0]["dprime"] is None
    enough = study(6)
    paired = analysis_stats(enough)["paired"]["side_by_side"][0]
    assert paired["not_estimable"] == "" and paired["ci_low"] < paired["dprime"] < paired["ci_high"]
    row = side_by_side_rows(enough.paired_side_by_side)[0]
    assert row[4].startswith(f"{paired['dprime']:.2f}")

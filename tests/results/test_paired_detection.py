"""Paired (2AFC) detection: one answer per pair, d' = sqrt(2) z(pc) per participant and from the GLMM."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from results.data.table import pair_correct
from results.statistics.paired_detection import (
    detection_side_by_side,
    has_paired_data,
    pair_choices,
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

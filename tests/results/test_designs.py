"""The design analyses: a planted label effect is recovered, and the design columns reach the table and codebook."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, Trial
from core.vocabulary import CONDITIONS, Condition
from results.analysis import Analysis
from results.data.dataset import Filters, load_dataset
from results.mixed.terms import ModelFitError
from results.planning.designs_simulate import simulate_design_study
from results.rendering.export import codebook_frame
from results.rendering.report import build_report_html
from results.rendering.report_designs import design_section
from results.statistics.designs import (
    condition_counts,
    guess_question_effects,
    has_guess_question_data,
    has_label_data,
    label_effects,
)
from tests.experiment.drive import add_clips, complete_participant, configure


def test_a_planted_label_effect_of_half_a_point_is_recovered_with_an_interval_that_covers_it():
    study = simulate_design_study(60, 12, label_effect=0.5, source_effect=-0.3, seed=11, scales=("moved", "liking"))
    effects = label_effects(study, ("moved", "liking"))
    table = effects.table.set_index(["scale", "term"])
    for scale in ("moved", "liking"):
        label = table.loc[(scale, "label_ai")]
        assert label["ci_low"] < 0.5 < label["ci_high"] and label["p_holm"] < 0.05
        assert abs(label["estimate"] - 0.5) < 0.25
        assert table.loc[(scale, "label_ai:is_ai"), "ci_low"] < 0 < table.loc[(scale, "label_ai:is_ai"), "ci_high"]
    assert effects.n_participants == 60 and effects.n_clips == 40 and "causal" in effects.method


def test_no_label_effect_is_not_found_and_asking_is_compared_between_conditions():
    null = simulate_design_study(40, 12, seed=5, scales=("moved",))
    label = label_effects(null, ("moved",)).table.set_index("term").loc["label_ai"]
    assert label["ci_low"] < 0 < label["ci_high"]
    both = simulate_design_study(80, 12, conditions=(Condition.BLIND, Condition.RATE_ONLY), asked_effect=0.8, seed=6)
    assert has_guess_question_data(both) and not has_label_data(both)
    asked = guess_question_effects(both).table.set_index(["scale", "term"]).loc[("moved", "asked")]
    assert asked["ci_low"] < 0.8 < asked["ci_high"] and asked["p_value"] < 0.05
    with pytest.raises(ModelFitError):
        label_effects(both)
    html = design_section(Analysis.of_trials(both))
    assert "Effect of being asked to guess" in html and "Effect of the AI label" not in html
    assert design_section(Analysis.of_trials(simulate_design_study(4, 4, conditions=(Condition.BLIND,), seed=1))) == ""


def test_label_model_gets_a_by_clip_label_slope_when_clips_answer_to_the_label_differently():
    """Clips differ in how the label moves them (SD 1 scale point): the slope is fitted, the label term's df
    come from the clips' variance too (far below participants - 1), and the interval still covers the truth."""
    covered = 0
    for seed in range(5):
        study = simulate_design_study(
            60, 12, label_effect=0.5, clip_label_sd=1.0, n_clips=30, seed=seed, scales=("moved",)
        )
        effects = label_effects(study, ("moved",))
        label = effects.table.set_index("term").loc["label_ai"]
        assert effects.structures == ("moved: (1 + label_ai || clip), label terms on Satterthwaite df",)
        assert label["df"] < 59
        covered += label["ci_low"] < 0.5 < label["ci_high"]
    assert covered >= 4
    # Eight clips cannot carry a variance of their own: the model says so and falls back.
    few = simulate_design_study(40, 8, n_clips=8, seed=13, scales=("moved",))
    (note,) = label_effects(few, ("moved",)).structures
    assert "without a by-clip label slope (only" in note and "t(participants - 1)" in note


@pytest.mark.usefixtures("data_env")
def test_condition_and_labels_reach_the_trial_table_export_and_codebook(database_url):
    add_clips(8, 8)
    configure(
        n_trials=6,
        screening="off",
        title="A listening study",
        information_text="Short music clips.",
        conditions=tuple(CONDITIONS),
    )
    for _ in range(3):
        complete_participant()
    dataset = load_dataset(Filters())
    trials = dataset.trials
    assert set(trials["condition"]) == set(CONDITIONS)
    with db.session_scope() as s:
        stored = {
            (p, i): (shown, mode)
            for p, i, shown, mode in s.execute(
                select(Trial.participant_id, Trial.trial_index, Trial.label_shown, Trial.label_mode)
            )
        }
        conditions = dict(s.execute(select(Participant.id, Participant.condition)).all())
    for row in trials.itertuples():
        assert row.condition == conditions[row.participant_id]
        shown, mode = stored[(row.participant_id, row.trial_index)]
        if row.condition == Condition.LABELLED:
            assert (row.label_shown, row.label_mode) == (shown, mode)
            assert bool(row.label_true) == (shown == row.source)
        else:
            assert pd.isna(row.label_true) and shown is None
        assert pd.isna(row.confidence) == (row.condition != Condition.BLIND)
    counts = condition_counts(dataset.participants).set_index("condition")
    assert counts["n_participants"].to_dict() == {c: 1 for c in CONDITIONS}
    book = codebook_frame(dataset)
    described = set(book.loc[book["table"] == "trials", "column"])
    assert {"condition", "label_shown", "label_mode", "label_true", "training_score"} <= described
    assert {"condition", "training_score", "believed_ai_present"} <= set(
        book.loc[book["table"] == "participants", "column"]
    )
    # The report shows the section even without blind participants (no detection data at all).
    assert "Study designs" in build_report_html(Analysis.of_trials(trials[trials["condition"] != Condition.BLIND]))

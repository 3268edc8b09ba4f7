"""What researchers read: numbers without "-0", "None" or four decimals, and no code names in tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audio.features import FEATURE_DESCRIPTIONS
from core.vocabulary import SCALES
from results.planning.simulate import simulate_study
from results.rendering.formatting import (
    EMPTY_CELL,
    column_formats,
    format_cell,
    format_count_change,
    format_number,
    format_percent,
)
from results.rendering.labels import feature_label, with_value_labels
from results.statistics import emotion


def test_numbers_that_round_to_zero_have_no_sign():
    assert format_number(-0.001) == "0.00" and format_number(-0.0) == "0.00"
    assert format_percent(-0.00001) == "0.0%" and format_number(-0.004, 3) == "-0.004"
    assert format_number(-0.5) == "-0.50" and format_cell("d_prime", -1e-9) == "0.00"
    assert format_count_change(0) == "0" and format_count_change(3) == "−3" and format_count_change(np.nan) == ""
    assert format_count_change(pd.NA) == "" and format_number(pd.NA) == "n/a"


def test_table_cells_never_show_none_nan_or_four_decimals():
    frame = pd.DataFrame(
        {
            "stage": ["arrived", None],
            "removed": pd.array([None, 2], dtype="Int64"),
            "mean_difference": [-0.34091, np.nan],
            "p_value": [0.00002, 0.4567],
            "completed": [True, False],
        }
    )
    shown = frame.style.format(column_formats(frame)).to_html()
    for bad in (">None<", ">nan<", "-0.00", "0.3409", "True", "False"):
        assert bad not in shown, bad
    for good in (f">{EMPTY_CELL}<", ">2<", ">-0.34<", "< .001", ">0.457<", ">yes<", ">no<"):
        assert good in shown, good


def test_effects_scales_and_features_are_shown_as_words():
    tests = emotion.emotion_tests(simulate_study(10, 8, n_clips=8, seed=2))
    shown = with_value_labels(tests)
    assert not shown["effect"].str.contains("_").any() and not shown["scale"].isin(SCALES).any()
    assert set(shown["effect"]) == {"True source (AI − human clips)", "Guessed source (association)"}
    labels = [feature_label(name) for name in FEATURE_DESCRIPTIONS]
    assert all("_" not in label and label[0].isupper() for label in labels)
    assert len(set(labels)) == len(labels)  # two features never share a name
    assert feature_label("feat_spectral_rolloff_99_hz_mean") == "Spectral rolloff 99 mean (Hz)"

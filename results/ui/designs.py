"""The overview's design-conditions section: participants per condition, the label effect, the asking effect.

Drawn only when the data hold labelled, rate-only or paired (2AFC) answers (:mod:`results.statistics.designs`,
:mod:`results.statistics.paired_detection`); paired data add single-clip vs paired detection side by side.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.data.dataset import Dataset
from results.mixed.terms import ModelFitError
from results.rendering.report_designs import HEADER, SIDE_BY_SIDE_HEADER, effects_rows, side_by_side_rows
from results.statistics.designs import (
    DesignEffects,
    condition_counts,
    guess_question_effects,
    has_guess_question_data,
    has_label_data,
    label_effects,
)
from results.statistics.paired_detection import METHODS as PAIRED_METHODS
from results.statistics.paired_detection import detection_side_by_side, has_paired_data


def design_section(dataset: Dataset) -> None:
    """Counts per condition and each design's model, when those conditions have data."""
    trials = dataset.trials
    labelled, asked = has_label_data(trials), has_guess_question_data(trials)
    paired = has_paired_data(trials)
    if not (labelled or asked or paired):
        return
    st.subheader("Study designs")
    counts = condition_counts(dataset.participants)
    st.dataframe(counts, hide_index=True)
    if paired:
        st.markdown("#### Single-clip vs paired detection")
        side = detection_side_by_side(trials)
        st.dataframe(pd.DataFrame(side_by_side_rows(side), columns=SIDE_BY_SIDE_HEADER), hide_index=True)
        st.caption(PAIRED_METHODS)
    if labelled:
        _effects("Effect of the AI label", lambda: label_effects(trials))
    if asked:
        _effects("Effect of being asked to guess", lambda: guess_question_effects(trials))


def _effects(title: str, fit) -> None:
    st.markdown(f"#### {title}")
    try:
        effects: DesignEffects = fit()
    except ModelFitError as error:
        st.info(f"Not modelled: {error}")
        return
    st.dataframe(pd.DataFrame(effects_rows(effects), columns=HEADER), hide_index=True)
    st.caption(
        f"{effects.n_participants} participants, {effects.n_clips} clips, {effects.n_ratings} ratings. {effects.method}"
    )

"""The overview's design-conditions section: participants per condition, the label effect, the asking effect.

Drawn only when the data hold labelled or rate-only participants (:mod:`results.designs`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.dataset import Dataset
from results.designs import (
    DesignEffects,
    condition_counts,
    guess_question_effects,
    has_guess_question_data,
    has_label_data,
    label_effects,
)
from results.mixed import ModelFitError
from results.report_designs import HEADER, effects_rows


def design_section(dataset: Dataset) -> None:
    """Counts per condition and each design's model, when those conditions have data."""
    trials = dataset.trials
    labelled, asked = has_label_data(trials), has_guess_question_data(trials)
    if not (labelled or asked):
        return
    st.subheader("Study designs")
    counts = condition_counts(dataset.participants)
    st.dataframe(counts, hide_index=True)
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

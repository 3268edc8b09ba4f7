"""The overview's design-conditions section: participants per condition, the label effect, the asking effect.

Drawn only when the data hold labelled, rate-only or paired (2AFC) answers (:mod:`results.statistics.designs`,
:mod:`results.statistics.paired_detection`); paired data add single-clip vs paired detection side by side.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.analysis import Analysis, Failure
from results.rendering.report_designs import HEADER, SIDE_BY_SIDE_HEADER, effects_rows, side_by_side_rows
from results.statistics.designs import (
    DesignEffects,
    condition_counts,
)
from results.statistics.paired_detection import METHODS as PAIRED_METHODS


def design_section(analysis: Analysis) -> None:
    """Counts per condition and each design's model, when those conditions have data."""
    labelled, asked, paired = analysis.label_effects, analysis.guess_question_effects, analysis.paired_side_by_side
    if labelled is None and asked is None and paired is None:
        return
    st.subheader("Study designs")
    st.dataframe(condition_counts(analysis.dataset.participants), hide_index=True)
    if paired is not None:
        st.markdown("#### Single-clip vs paired detection")
        st.dataframe(pd.DataFrame(side_by_side_rows(paired), columns=SIDE_BY_SIDE_HEADER), hide_index=True)
        st.caption(PAIRED_METHODS)
    if labelled is not None:
        _effects("Effect of the AI label", labelled)
    if asked is not None:
        _effects("Effect of being asked to guess", asked)


def _effects(title: str, effects: DesignEffects | Failure) -> None:
    st.markdown(f"#### {title}")
    if isinstance(effects, Failure):
        st.info(f"Not modelled: {effects.reason}")
        return
    st.dataframe(pd.DataFrame(effects_rows(effects), columns=HEADER), hide_index=True)
    st.caption(
        f"{effects.n_participants} participants, {effects.n_clips} clips, {effects.n_ratings} ratings. {effects.method}"
        + "".join(f"  \n{structure}" for structure in effects.structures)
    )

"""The overview's design-conditions section: participants per condition, the label effect, the asking effect.

Drawn only when the data hold labelled, rate-only or paired (2AFC) answers (:mod:`results.statistics.designs`,
:mod:`results.statistics.paired_detection`); paired data add single-clip vs paired detection side by side,
and similar and random pairs their comparison (:mod:`results.statistics.pairing_effect`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from results.analysis import Analysis, Failure
from results.rendering.report_designs import (
    HEADER,
    PAIRING_GENERALISES,
    PAIRING_HEADER,
    PAIRING_TITLE,
    SIDE_BY_SIDE_HEADER,
    effects_rows,
    pairing_rows,
    side_by_side_rows,
)
from results.rendering.sentences import pairing_sentence
from results.statistics.designs import (
    DesignEffects,
    condition_counts,
)
from results.statistics.paired_detection import METHODS as PAIRED_METHODS
from results.statistics.pairing_effect import PairingEffect
from results.statistics.roles import role_tag


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
        st.caption(f"{role_tag('paired_detection')}. {PAIRED_METHODS}")
    if analysis.pairing_effect is not None:
        _pairing(analysis.pairing_effect)
    if labelled is not None:
        _effects(f"Effect of the AI label: {role_tag('label')}", labelled)
    if asked is not None:
        _effects(f"Effect of being asked to guess: {role_tag('asked')}", asked)


def _pairing(effect: PairingEffect | Failure) -> None:
    """Detection in similar and in random pairs, and the difference with its interval (issue 26)."""
    st.markdown(f"#### {PAIRING_TITLE}")
    st.caption(role_tag("pairing"))
    if isinstance(effect, Failure):
        st.info(f"Not modelled: {effect.reason}")
        return
    st.write(pairing_sentence(effect))
    st.dataframe(pd.DataFrame(pairing_rows(effect), columns=PAIRING_HEADER), hide_index=True)
    st.caption(f"{PAIRING_GENERALISES}  \n{effect.methods}  \nFit: {effect.fit_status}")


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

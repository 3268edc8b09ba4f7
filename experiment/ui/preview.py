"""Streamlit drawing of the preview's "start at" control: jump to any step of the journey."""

from __future__ import annotations

import streamlit as st

from core import db
from core.vocabulary import Step
from experiment.preview import jump_targets, start_preview_at
from experiment.progress import JourneyError
from experiment.ui import journey as ui_journey


def _restart_with(token: str | None) -> None:
    # Same keys as the preview's own "Restart preview" button, so no step state leaks across.
    for key in (ui_journey._PREVIEW_TOKEN, *ui_journey._SESSION_KEYS):  # noqa: SLF001 (one journey, two views)
        st.session_state.pop(key, None)
    if token:
        st.session_state[ui_journey._PREVIEW_TOKEN] = token  # noqa: SLF001


def jump_control(study_id: int) -> None:
    """A step selector that starts a fresh preview participant of the study at that step (trials assigned)."""
    with db.session_scope() as session:
        targets = jump_targets(session, study_id)
    titles = {step: title for step, title in targets}
    with st.form("preview_jump", border=True):
        left, middle, right = st.columns([3, 2, 2], vertical_alignment="bottom")
        step = left.selectbox(
            "Start the preview at",
            [step for step, _ in targets],
            format_func=lambda s: f"{titles[s]} ({s})",
            index=0,
        )
        position = middle.number_input("Clip (for Listening)", min_value=1, value=1, step=1)
        go = right.form_submit_button("Start here", type="primary", width="stretch")
    if not go:
        return
    if step == Step.CONSENT:
        _restart_with(None)
        st.rerun()
    try:
        with db.session_scope() as session:
            participant = start_preview_at(session, Step(step), int(position), study_id=study_id)
            token = participant.resume_token
    except JourneyError as error:
        st.error(str(error))
        return
    _restart_with(token)
    st.rerun()

"""The reasons part of the study settings: when "What made you think so?" is asked, and the cue words.

Drawn inside :func:`experiment.ui.study_settings.settings_form` (no ``st.form``: only "Save as new
version" saves, so a change is a new version, audited with its diff).
"""

from __future__ import annotations

import streamlit as st

from core.vocabulary import REASON_MODES, ReasonMode
from experiment.reason_cues import DEFAULT_REASON_CUES
from experiment.settings import StudySettings
from experiment.ui.setting_labels import labelled

REASON_MODE_LABELS: dict[str, str] = {
    ReasonMode.OFF: "Off",
    ReasonMode.PER_TRIAL: "After every guess (paired: after every pair's choice)",
    ReasonMode.AT_END: "Once, after the last clip",
}


def reason_fields(k: str, s: StudySettings) -> dict[str, object]:
    """The reason widgets; returns {setting name: value entered}. ``k`` prefixes the widget keys."""
    st.markdown("**Reasons for the guess**")
    st.caption(
        'An optional free-text question, "What made you think so?", for participants who guess the source '
        "(the blind condition; never in rate-only or labelled). The Results page's Reasons view counts the "
        "cue words below in the answers."
    )
    mode = st.radio(
        labelled("ask_reason", "Ask for the reason"),
        REASON_MODES,
        index=REASON_MODES.index(ReasonMode(s.ask_reason)),
        format_func=REASON_MODE_LABELS.__getitem__,
        horizontal=True,
        key=k + "ask_reason",
    )
    cues = st.text_area(
        labelled("reason_cues", "Cue words counted in the reasons (one cue a line: code: term, term)"),
        s.reason_cues,
        height=220,
        key=k + "reason_cues",
        help=(
            "A term matches words beginning with it, in any case ('vocal' matches 'Vocals'); a term starting "
            "with * matches inside a word too ('*gesang' matches 'Hintergrundgesang'). Write the German words "
            "beside the English ones. Empty the box and save to return to the default list."
        ),
    )
    return {"ask_reason": mode, "reason_cues": cues.strip() or DEFAULT_REASON_CUES}

"""Streamlit drawing of one trial (practice or rated): the blind player, the rating form, the submit.

The trial shown is the first unanswered one in the database on every run, never "index + 1" from
the browser session. Blinding: widget keys come from the trial's position or its random
``audio_nonce``, never from a clip id, and the page shows nothing about the clip.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core import db
from core.vocabulary import Scale, TrialKind
from experiment import trials
from experiment.ui.player import ListeningReport, blind_player, player_key
from experiment.ui.steps import StepPage, act, confidence_label, show_error

# Felt (not perceived) emotion, worded as such; names match experiment.quality.SCALE_NAMES so the
# attention-check instruction ("set pleasantness to 9") points at a label the participant sees.
SCALE_QUESTIONS: dict[str, tuple[str, str, str]] = {
    Scale.VALENCE: ("Pleasantness: how pleasant or unpleasant did you feel?", "very unpleasant", "very pleasant"),
    Scale.AROUSAL: ("Excitement: how calm or excited did you feel?", "very calm", "very excited"),
    Scale.MOVED: ("How moved you felt: how much did this music move you?", "not moved at all", "deeply moved"),
    Scale.LIKING: ("Liking: how much did you like it?", "not at all", "very much"),
}
CONFIDENCE_OPTIONS: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
# Narrower scale buttons so a 9-point scale stays on one row on a 390 px phone (default: 41 px each).
_COMPACT_SCALES_CSS = (
    "<style>[data-testid='stForm'] button[data-variant='segmented_control']"
    "{padding-left:0.7rem;padding-right:0.7rem}</style>"
)


def trial_step(page: StepPage) -> bool:
    """The current unanswered trial of the practice or trials step, taken from the database.

    One form sends ratings, guess and the player's listening report together; the submit button
    stays disabled until the browser reports the listening requirement met, and the server checks
    it again. The answer is stored by the button's callback (see :mod:`experiment.ui.steps`: a
    click is never lost to a player report), so this run already draws whatever trial is now
    first unanswered in the database.
    """
    session, participant = page.session, page.participant
    view = trials.current_trial(session, participant)
    if view is None:
        return True  # nothing left in this step: the stored step has moved on
    # Its own scope: the moment a clip is first shown is kept even if this run is interrupted.
    with db.session_scope() as shown:
        trials.mark_shown(shown, participant, view.trial_index)
    audio = trials.audio_for(session, participant, view.audio_nonce)

    if view.kind == TrialKind.PRACTICE:
        st.subheader("Practice clip")
        st.caption("This one is for practice and is not scored.")
    else:
        st.progress((view.position - 1) / max(view.n_total, 1), text=f"Clip {view.position} of {view.n_total}")

    if view.label:  # labelled condition: the announcement comes before the clip plays
        st.info(view.label)
    report = blind_player(
        audio,
        key=player_key(view.audio_nonce),
        required_s=view.required_listen_s,
        tolerance_s=0.0,  # the service's required_listen_s already includes the tolerance
        label="Music clip",
        mime=view.audio_mime,
    )
    unlocked = report.requirement_met or view.required_listen_s <= 0
    if view.instructions:
        st.warning(view.instructions)
    _rating_form(view, participant.resume_token, report, unlocked)
    return False


def trials_step(page: StepPage) -> bool:
    """The rated trials: :func:`trial_step` plus a reminder of the resume link."""
    changed = trial_step(page)
    if not changed and page.resume_url:  # on a change the page reruns at once: nothing more to draw
        st.caption(f"Your answers are saved after every clip. To continue later, use: {page.resume_url}")
    return changed


def _rating_form(view: trials.TrialView, token: str, report: ListeningReport, unlocked: bool) -> None:
    """The ratings, the guess and the optional questions in one form; sent by :func:`_save_answer`."""
    form_key = f"trial_{view.trial_index}"
    st.html(_COMPACT_SCALES_CSS)
    show_error()
    with st.form(form_key, border=False):
        st.markdown("#### How did this music make YOU feel?")
        st.caption("Not what the music expresses, but what you felt while listening.")
        for scale in view.scales:
            question, low, high = SCALE_QUESTIONS[scale]
            # A segmented control keeps all 9 points on one row even on a 390 px phone screen
            # (a horizontal radio wraps after 7); nothing is preselected, so no default biases.
            st.segmented_control(
                f"{question}  \n*1 = {low}, {view.scale_points} = {high}*",
                list(range(1, view.scale_points + 1)),
                key=f"{form_key}_{scale}",
            )
        if view.ask_source:
            _source_question(form_key)
        if view.ask_familiarity:
            st.radio(
                "Did you know this piece before? (optional)",
                ("No", "Yes"),
                index=None,
                horizontal=True,
                key=f"{form_key}_familiar",
            )
        if view.ask_comment:
            st.text_area("Anything you would like to add? (optional)", max_chars=2000, key=f"{form_key}_comment")
        st.form_submit_button(
            "Save and continue",
            type="primary",
            disabled=not unlocked,
            on_click=_save_answer,
            args=(token, view.trial_index, tuple(view.scales), player_key(view.audio_nonce), report),
        )
    if not unlocked:
        st.caption("The questions can be sent once you have listened to the clip.")


def _source_question(form_key: str) -> None:
    """Who made the clip, with confidence (blind condition only)."""
    st.markdown("#### Who do you think made this clip?")
    # Vertical: six labels in one column read as a scale on a phone too (a horizontal
    # radio wraps them into uneven rows there).
    st.radio(
        "Who made it: a person or an AI system?",
        CONFIDENCE_OPTIONS,
        index=None,
        format_func=confidence_label,
        key=f"{form_key}_confidence",
        label_visibility="collapsed",
    )


def _save_answer(
    token: str, trial_index: int, scales: tuple[str, ...], player: str, drawn_report: ListeningReport
) -> None:
    """The submit button's callback: store the form's answer to trial ``trial_index``.

    The listening report is the player's latest state (it may have reported after the form was
    drawn), else the one the form was drawn with.
    """
    form_key = f"trial_{trial_index}"
    state = st.session_state.get(player)
    report = ListeningReport.from_state(state.get("report")) if isinstance(state, Mapping) else drawn_report
    if report.listened_s < drawn_report.listened_s:
        report = drawn_report
    familiar = st.session_state.get(f"{form_key}_familiar")
    answer = trials.Answer(
        confidence=st.session_state.get(f"{form_key}_confidence"),
        familiar=None if familiar is None else familiar == "Yes",
        comment=st.session_state.get(f"{form_key}_comment") or None,
        plays=report.plays,
        pauses=report.pauses,
        seeks=report.seeks,
        listened_s=report.listened_s,
        time_to_first_play_ms=report.first_play_ms,
        **{scale: st.session_state.get(f"{form_key}_{scale}") for scale in scales},
    )
    result = act(token, lambda session, participant: trials.submit_answer(session, participant, trial_index, answer))
    if result is not None and result.status == "rejected":
        st.session_state["journey_error"] = result.message

"""Streamlit drawing of one trial (practice or rated): the blind player, the rating form, the submit.

The trial shown is the first unanswered one in the database on every run, never "index + 1" from
the browser session. Blinding: widget keys come from the trial's position or its random
``audio_nonce``, never from a clip id, and the page shows nothing about the clip.
"""

from __future__ import annotations

import streamlit as st

from core import db
from core.vocabulary import Scale, TrialKind
from experiment import trials
from experiment.ui.player import ListeningReport, blind_player, player_key
from experiment.ui.steps import StepPage, confidence_label

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
    it again. After a recorded (or duplicate) answer the caller's scope commits and the page
    reruns, showing whatever trial is now first unanswered in the database.
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
    answer = _rating_form(view, report, unlocked)
    if answer is None:
        return False
    result = trials.submit_answer(session, participant, view.trial_index, answer)
    if result.status == "rejected":
        st.error(result.message)
        return False
    return True


def trials_step(page: StepPage) -> bool:
    """The rated trials: :func:`trial_step` plus a reminder of the resume link."""
    changed = trial_step(page)
    if not changed and page.resume_url:  # on a change the page reruns at once: nothing more to draw
        st.caption(f"Your answers are saved after every clip. To continue later, use: {page.resume_url}")
    return changed


def _rating_form(view: trials.TrialView, report: ListeningReport, unlocked: bool) -> trials.Answer | None:
    """The ratings, the guess and the optional questions in one form; the answer once sent."""
    form_key = f"trial_{view.trial_index}"
    st.html(_COMPACT_SCALES_CSS)
    with st.form(form_key, border=False):
        st.markdown("#### How did this music make YOU feel?")
        st.caption("Not what the music expresses, but what you felt while listening.")
        ratings: dict[str, int | None] = {}
        for scale in view.scales:
            question, low, high = SCALE_QUESTIONS[scale]
            # A segmented control keeps all 9 points on one row even on a 390 px phone screen
            # (a horizontal radio wraps after 7); nothing is preselected, so no default biases.
            ratings[scale] = st.segmented_control(
                f"{question}  \n*1 = {low}, {view.scale_points} = {high}*",
                list(range(1, view.scale_points + 1)),
                key=f"{form_key}_{scale}",
            )
        st.markdown("#### Who do you think made this clip?")
        # Vertical: six labels in one column read as a scale on a phone too (a horizontal
        # radio wraps them into uneven rows there).
        confidence = st.radio(
            "Who made it: a person or an AI system?",
            CONFIDENCE_OPTIONS,
            index=None,
            format_func=confidence_label,
            key=f"{form_key}_confidence",
            label_visibility="collapsed",
        )
        familiar = None
        if view.ask_familiarity:
            familiar = st.radio(
                "Did you know this piece before? (optional)",
                ("No", "Yes"),
                index=None,
                horizontal=True,
                key=f"{form_key}_familiar",
            )
        comment = None
        if view.ask_comment:
            comment = st.text_area(
                "Anything you would like to add? (optional)", max_chars=2000, key=f"{form_key}_comment"
            )
        submitted = st.form_submit_button("Save and continue", type="primary", disabled=not unlocked)
    if not unlocked:
        st.caption("The questions can be sent once you have listened to the clip.")
    if not submitted:
        return None
    return trials.Answer(
        confidence=confidence,
        familiar=None if familiar is None else familiar == "Yes",
        comment=comment or None,
        plays=report.plays,
        pauses=report.pauses,
        seeks=report.seeks,
        listened_s=report.listened_s,
        time_to_first_play_ms=report.first_play_ms,
        **{scale: ratings.get(scale) for scale in view.scales},
    )

"""The participant's journey as Streamlit pages: which step to draw, for a participant or a staff preview.

:data:`STEP_PAGES` binds each step of the registry :data:`experiment.journey.STEPS` to the
function that draws it (consent excepted: it is drawn before a participant row exists).

Progress lives in the database. A participant's browser holds only the resume token, in the URL
(``?resume=<token>``, set right after consent), so a refresh, a new tab with that link or a server
restart lands on the step - and the first unanswered trial - stored in the database. A staff
preview runs the same steps for a preview participant (``is_preview``, never counted) whose token
stays in the browser session instead of the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import streamlit as st
from sqlalchemy.orm import Session

from core import db
from core.models import Participant
from core.vocabulary import Step
from experiment import repository
from experiment.entry import (
    Entry,
    arrive,
    begin,
    decline,
    load_participant,
    parse_entry,
    resume_link,
    start_preview,
)
from experiment.progress import RESUME_PARAM, JourneyError, settings_for
from experiment.ui import design_steps
from experiment.ui import steps as ui_steps
from experiment.ui.steps import StepPage
from experiment.ui.trial_page import trial_step, trials_step

STEP_PAGES: dict[str, Callable[[StepPage], bool]] = {
    Step.QUESTIONNAIRE: ui_steps.questionnaire_step,
    Step.AUDIO_CHECK: ui_steps.audio_check_step,
    Step.INSTRUCTIONS: ui_steps.instructions_step,
    Step.PRACTICE: trial_step,
    Step.TRIALS: trials_step,
    Step.AFTER_TRIALS: design_steps.after_trials_step,
    Step.DEBRIEF: ui_steps.debrief_step,
    Step.SCREENED_OUT: ui_steps.screened_out_step,
}
"""The function that draws each step stored in ``Participant.step``; True means "progress changed"."""

# Browser-session keys of the journey's own (non-widget) state; cleared when a preview restarts.
_SESSION_KEYS = ("calibrated", "screening_answers", "screening_message", "declined")
_PREVIEW_TOKEN = "preview_token"


def current_page_url() -> str | None:
    """This page's address without query or fragment (None outside a browser, e.g. in AppTest)."""
    url = st.context.url
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def participant_page() -> None:
    """The public study page: arrival, consent, then the participant's current step."""
    try:
        entry = parse_entry(st.query_params.to_dict())
    except JourneyError as error:
        st.error(str(error))
        return
    with db.session_scope() as session:
        changed = _participant_flow(session, entry)
    if changed:
        st.rerun()


def _participant_flow(session: Session, entry: Entry) -> bool:
    try:
        arrival = arrive(session, entry)
    except JourneyError as error:
        st.error(str(error))
        return False
    settings = arrival.settings
    if arrival.status == "resume":
        participant = arrival.participant
        assert participant is not None  # a "resume" arrival carries its participant
        if entry.resume_token is None:  # a returning Prolific participant: switch to the resume link
            st.query_params.from_dict({RESUME_PARAM: participant.resume_token})
        settings = settings_for(session, participant)
        st.title(settings.title)
        page_url = current_page_url()
        resume_url = resume_link(page_url, participant) if page_url else None
        return draw_step(session, participant, resume_url)

    st.title(settings.title)
    if arrival.status != "consent":
        st.info(arrival.message)
        return False
    if st.session_state.get("declined"):
        ui_steps.declined_message()
        return False
    choice = ui_steps.consent_form(settings)
    if choice == "decline":
        decline(session)
        st.session_state["declined"] = True
        return True
    if choice == "agree":
        try:
            participant = begin(session, entry)
        except JourneyError as error:
            st.error(str(error))
            return False
        # From now on the URL carries only the resume token (the Prolific ids are stored).
        st.query_params.from_dict({RESUME_PARAM: participant.resume_token})
        return True
    return False


def draw_step(session: Session, participant: Participant, resume_url: str | None) -> bool:
    """Draw the participant's stored step; True when progress changed and the page should rerun."""
    draw = STEP_PAGES.get(participant.step)
    if draw is None:
        st.error("Something went wrong with your session. Please reload the page.")
        return False
    return draw(StepPage(session, participant, settings_for(session, participant), resume_url))


# ----------------------------------------------------------------------------------------------
# Staff preview


def preview_page() -> None:
    """Walk through the participant journey as a preview participant (stored, but never counted)."""
    st.caption(
        "Preview: this is exactly what participants see, under the current settings. Preview answers "
        "are marked as previews and excluded from exposure counts, scores and every result."
    )
    if st.button("Restart preview", key="preview_restart"):
        for key in (_PREVIEW_TOKEN, *_SESSION_KEYS):
            st.session_state.pop(key, None)
        st.rerun()
    with db.session_scope() as session:
        changed = _preview_flow(session)
    if changed:
        st.rerun()


_RANDOM_CONDITION = "as a participant would get it"


def _preview_condition(conditions: tuple[str, ...]) -> str | None:
    """The design condition the staff member wants to preview (None: drawn as for a participant)."""
    if len(conditions) < 2:
        return conditions[0] if conditions else None
    choice = st.selectbox("Condition to preview", (_RANDOM_CONDITION, *conditions), key="preview_condition_choice")
    return None if choice == _RANDOM_CONDITION else choice


def _preview_flow(session: Session) -> bool:
    token = st.session_state.get(_PREVIEW_TOKEN)
    if token is None:
        _, settings = repository.current_settings(session)
        condition = _preview_condition(settings.conditions)
        st.title(settings.title)
        choice = ui_steps.consent_form(settings, key="preview_consent")
        if choice == "decline":
            st.info(
                "A participant who declines sees a short thank-you; only the number of declines is stored "
                "(not counted for previews)."
            )
            return False
        if choice == "agree":
            try:
                participant = start_preview(session, condition)
            except JourneyError as error:
                st.error(str(error))
                return False
            st.session_state[_PREVIEW_TOKEN] = participant.resume_token
            return True
        return False
    try:
        participant = load_participant(session, token)
    except JourneyError:
        st.session_state.pop(_PREVIEW_TOKEN, None)
        return True
    st.title(settings_for(session, participant).title)
    return draw_step(session, participant, resume_url=None)

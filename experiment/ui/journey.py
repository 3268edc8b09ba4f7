"""The participant's journey as Streamlit pages: which step to draw, for a participant or a staff preview.

:data:`STEP_PAGES` binds each step of the registry :data:`experiment.journey.STEPS` to the
function that draws it (consent excepted: it is drawn before a participant row exists).

Language: the consent page is shown in the ``?lang=`` language, else the one the browser prefers
(``Accept-Language``), else English, and offers a switch; consenting stores that language on the
participant, and every later page (resume included) is drawn in it (:mod:`core.i18n`).

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
from core.i18n import LANGUAGE_NAMES, LANGUAGE_PARAM, LANGUAGES, _, active_language, choose_language, using_language
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
from experiment.ui import debrief_page, design_steps, paired_page
from experiment.ui import steps as ui_steps
from experiment.ui.player import forget_clip_urls
from experiment.ui.session_participant import forget_participant, participant_for_run
from experiment.ui.steps import StepPage

STEP_PAGES: dict[str, Callable[[StepPage], bool]] = {
    Step.QUESTIONNAIRE: ui_steps.questionnaire_step,
    Step.AUDIO_CHECK: ui_steps.audio_check_step,
    Step.INSTRUCTIONS: ui_steps.instructions_step,
    Step.PRACTICE: paired_page.practice_step,  # the practice pair of a paired study, else one clip
    Step.TRIALS: paired_page.trials_step,  # paired (2AFC) trials, else the single-clip page
    Step.AFTER_TRIALS: design_steps.after_trials_step,
    Step.DEBRIEF: debrief_page.debrief_step,
    Step.SCREENED_OUT: ui_steps.screened_out_step,
}
"""The function that draws each step stored in ``Participant.step``; True means "progress changed"."""

FRAGMENT_STEPS = frozenset({Step.AUDIO_CHECK, Step.PRACTICE, Step.TRIALS})
"""Steps drawn inside an ``st.fragment`` (:func:`_step_fragment`).

Their player reports and button clicks then rerun only the step, not the whole app (the door,
the navigation, the arrival checks): about three quarters of a participant's script runs are
these, and each full run cost several times a fragment run (issue 23). Moving between two of
them (practice to trials) stays inside the fragment; leaving them reruns the whole page.
"""

# Browser-session keys of the journey's own (non-widget) state; cleared when a preview restarts.
_SESSION_KEYS = ("screening_message", "declined")
_PREVIEW_TOKEN = "preview_token"
_LANGUAGE_KEY = "language"


def current_page_url() -> str | None:
    """This page's address without query or fragment (None outside a browser, e.g. in AppTest)."""
    url = st.context.url
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


# Less empty space above the first heading (Streamlit leaves room for a header participants do
# not have): on a 390 px phone it was a sixth of the screen.
_PAGE_CSS = (
    "<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}"
    # WCAG AA contrast (4.5:1 on white): Streamlit's faded captions (#828180, 3.9:1) and links inside
    # them (#7c95d2, 3.0:1) fail it (axe-core, tests/e2e/test_accessibility.py); these are 6.0:1 and 6.7:1.
    "[data-testid='stCaptionContainer']{opacity:1 !important}"
    "[data-testid='stCaptionContainer'],[data-testid='stCaptionContainer'] p{color:#5f6368 !important}"
    "[data-testid='stMain'] a{color:#1d4ed8 !important}"
    # The chosen button of a segmented control (language, rating points): 4.47:1 on its tint, now 6.5:1.
    "[data-testid='stMain'] button[data-selected='true'] p{color:#a3202f !important}</style>"
)


def participant_page() -> None:
    """The public study page: arrival, consent, then the participant's current step."""
    forget_participant()  # a full run draws from the database (the step fragment keeps it until a change)
    st.html(_PAGE_CSS)
    params = st.query_params.to_dict()
    language = choose_language(
        params.get(LANGUAGE_PARAM),
        accept_language=st.context.headers.get("Accept-Language"),
        browser_locale=st.context.locale,
    )
    with using_language(language):
        try:
            entry = parse_entry(params)
        except JourneyError as error:
            st.error(str(error))
            return
        with db.session_scope() as session:
            changed = _participant_flow(session, entry)
    if changed:
        st.rerun()


def language_switch() -> None:
    """A choice of language (in each language's own name), top right; a choice goes into the URL (``?lang=``)."""
    with st.container(horizontal=True, horizontal_alignment="right"):
        st.segmented_control(
            _("Language"),
            LANGUAGES,
            default=active_language(),
            required=True,
            format_func=LANGUAGE_NAMES.__getitem__,
            key=_LANGUAGE_KEY,
            label_visibility="collapsed",
            on_change=_switch_language,
        )


def _switch_language() -> None:
    chosen = st.session_state.get(_LANGUAGE_KEY)
    if chosen in LANGUAGES:
        st.query_params[LANGUAGE_PARAM] = chosen


def _participant_flow(session: Session, entry: Entry) -> bool:
    if st.session_state.get(debrief_page.WITHDRAWN_KEY):  # nothing of them is left to show
        st.success(_(str(st.session_state[debrief_page.WITHDRAWN_KEY])))
        return False
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
        with using_language(participant.language):  # the language they consented in, not the browser's
            # The study's title opens the consent page only; later steps start with their own heading.
            st.set_page_config(page_title=settings_for(session, participant).browser_title)
            page_url = current_page_url()
            resume_url = resume_link(page_url, participant) if page_url else None
            return draw_step(session, participant, resume_url)

    st.set_page_config(page_title=settings.browser_title)
    settings = settings.localised(active_language())
    language_switch()
    st.title(settings.title, anchor=False)
    if arrival.status != "consent":
        st.info(arrival.message)
        return False
    if st.session_state.get("declined"):
        ui_steps.declined_message()
        return False
    choice = ui_steps.consent_form(settings)
    if choice == "decline":
        decline(session, entry)
        st.session_state["declined"] = True
        return True
    if choice == "agree":
        try:
            participant = begin(session, entry, active_language())
        except JourneyError as error:
            st.error(str(error))
            return False
        # From now on the URL carries only the resume token (the Prolific ids are stored).
        st.query_params.from_dict({RESUME_PARAM: participant.resume_token})
        return True
    return False


def draw_step(session: Session, participant: Participant, resume_url: str | None) -> bool:
    """Draw the participant's stored step; True when progress changed and the page should rerun.

    The caller has made the participant's language the active one.
    """
    if participant.step in FRAGMENT_STEPS:
        _step_fragment(participant.resume_token, resume_url)
        return False
    return _draw_stored_step(session, participant, resume_url)


def _draw_stored_step(session: Session, participant: Participant, resume_url: str | None) -> bool:
    draw = STEP_PAGES.get(participant.step)
    if draw is None:
        st.error(_("Something went wrong with your session. Please reload the page."))
        return False
    settings = settings_for(session, participant).localised(participant.language, participant.condition)
    return draw(StepPage(session, participant, settings, resume_url))


@st.fragment
def _step_fragment(token: str, resume_url: str | None) -> None:
    """One of :data:`FRAGMENT_STEPS`, drawn from the database in its own session scope.

    A fragment rerun gets these arguments again (never a closed session); the participant row is
    the one this browser session loaded since progress last changed
    (:mod:`experiment.ui.session_participant`). Once the step is no longer one of
    :data:`FRAGMENT_STEPS`, or the step reports a change, the whole page reruns (after this scope
    has committed), and that run loads the participant afresh.
    """
    changed = True
    with db.session_scope() as session:
        try:
            participant = participant_for_run(session, token)
        except JourneyError as error:
            st.error(str(error))
            return
        if participant.step in FRAGMENT_STEPS:
            with using_language(participant.language):
                changed = _draw_stored_step(session, participant, resume_url)
    if changed:
        st.rerun(scope="app")


# ----------------------------------------------------------------------------------------------
# Staff preview


def preview_page(study_id: int) -> None:
    """Walk through the participant journey as a preview participant (stored, but never counted)."""
    forget_participant()  # a full run draws from the database, as the participant page does
    st.caption(
        "Preview: this is exactly what participants see, under the current settings. Preview answers "
        "are marked as previews and excluded from exposure counts, scores and every result."
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        language = st.selectbox(
            "Participant's language",
            LANGUAGES,
            format_func=LANGUAGE_NAMES.__getitem__,
            key="preview_language",
            help="Applies from the consent page; restart the preview to change it mid-way.",
        )
        restart = st.button("Restart preview", key="preview_restart")
    if restart:
        for key in (_PREVIEW_TOKEN, *_SESSION_KEYS):
            st.session_state.pop(key, None)
        forget_clip_urls()  # the new preview participant's sounds differ under the same player keys
        st.rerun()
    with db.session_scope() as session:
        changed = _preview_flow(session, language, study_id)
    if changed:
        st.rerun()


_RANDOM_CONDITION = "as a participant would get it"


def _preview_condition(conditions: tuple[str, ...]) -> str | None:
    """The design condition the staff member wants to preview (None: drawn as for a participant)."""
    if len(conditions) < 2:
        return conditions[0] if conditions else None
    choice = st.selectbox(_("Condition to preview"), (_RANDOM_CONDITION, *conditions), key="preview_condition_choice")
    return None if choice == _RANDOM_CONDITION else choice


def _preview_flow(session: Session, language: str, study_id: int) -> bool:
    token = st.session_state.get(_PREVIEW_TOKEN)
    if token is None:
        _version, settings = repository.current_settings(session, study_id)
        condition = _preview_condition(settings.conditions)
        with using_language(language):
            return _preview_consent(session, language, condition, study_id)
    try:
        participant = load_participant(session, token)
        if participant.study_id != study_id:  # the staff member switched study: preview that one afresh
            raise JourneyError("another study")
    except JourneyError:
        st.session_state.pop(_PREVIEW_TOKEN, None)
        return True
    with using_language(participant.language):
        return draw_step(session, participant, resume_url=None)


def _preview_consent(session: Session, language: str, condition: str | None, study_id: int) -> bool:
    """The consent page of the study's preview, in ``language``; True once the preview participant exists."""
    _version, settings = repository.current_settings(session, study_id)
    settings = settings.localised(language)
    st.title(settings.title, anchor=False)
    choice = ui_steps.consent_form(settings, key="preview_consent")
    if choice == "decline":
        st.info(
            "A participant who declines sees a short thank-you; only the number of declines is stored "
            "(not counted for previews)."
        )
        return False
    if choice == "agree":
        try:
            participant = start_preview(session, condition, language=language, study_id=study_id)
        except JourneyError as error:
            st.error(str(error))
            return False
        st.session_state[_PREVIEW_TOKEN] = participant.resume_token
        return True
    return False

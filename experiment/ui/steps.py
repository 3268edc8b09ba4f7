"""Streamlit drawing of the journey's steps other than the trials (oTree style: one function per page).

Each step function takes a :class:`StepPage` (the open session, the participant loaded from the
database, their settings) and draws the step. It returns ``True`` only when it finds the stored
progress moved on under it, so the caller reruns the script after its session scope has
committed. The logic - validation, storage, assignment, scoring - lives in the step services;
nothing here writes SQL. Which function draws which step is :data:`experiment.ui.journey.STEP_PAGES`.

Every button that moves a participant on acts in its ``on_click`` callback (:func:`act`), never in
the script body. Why: a click is a one-shot trigger, and a run that carries it is stopped by the
next rerun request (the blind player reports play/ended while the participant clicks) before the
body reaches the button; the new run no longer sees the click, so the page stood still until a
second click (issue 12). Streamlit calls callbacks before the body, with nothing that can stop
them, so the click is stored (in its own ``session_scope``) and the same run already draws the
next page: no lost click and no extra rerun.

Blinding: widget keys are built from the step name and a position, never from a clip id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from core import db
from core.i18n import _, using_language
from core.models import Participant
from core.plain_text import markdown_without_images
from experiment import audio_check, clip_count, paired, quality, questionnaire, screening, trials
from experiment.entry import load_participant
from experiment.progress import JourneyError
from experiment.settings import StudySettings
from experiment.ui import design_text
from experiment.ui.paired_text import paired_instructions
from experiment.ui.player import blind_player
from experiment.ui.session_participant import forget_participant

SCREENING_SOUND_S = 3 * screening.INTERVAL_S + 2 * screening.GAP_S
"""Length of one headphone-check sound (three noises and two gaps), seconds."""
CALIBRATION_LISTEN_S = 3.0
"""Seconds of the (looping) calibration noise to play before "My volume is set" unlocks."""


@dataclass(frozen=True)
class StepPage:
    """What every step's drawing function gets.

    Attributes
    ----------
    session : Session
        The page's open session (its scope commits after the step returns).
    participant : Participant
    settings : StudySettings
        The settings the participant runs under.
    resume_url : str or None
        The participant's resume link (None in a staff preview or outside a browser).
    """

    session: Session
    participant: Participant
    settings: StudySettings
    resume_url: str | None


_ERROR_KEY = "journey_error"


def act(token: str, service: Callable[[Session, Participant], Any]) -> Any:
    """Run ``service(session, participant)`` for the participant with resume ``token``, in its own scope.

    Meant for ``on_click`` callbacks (see the module docstring): the answer is committed before
    the body draws the next page. A :class:`JourneyError` is kept for :func:`show_error`.

    Returns
    -------
    object or None
        What ``service`` returned; None when it raised a :class:`JourneyError`.
    """
    forget_participant()  # the service may store progress: the run it starts loads the participant again
    try:
        with db.session_scope() as session:
            participant = load_participant(session, token)
            # Callbacks run before the page body sets the language: messages in the participant's.
            with using_language(participant.language):
                return service(session, participant)
    except JourneyError as error:  # its message is in the participant's language (set above)
        st.session_state[_ERROR_KEY] = str(error)
        return None


def show_error() -> None:
    """Show (once) the message of the last :func:`act` that was refused."""
    message = st.session_state.pop(_ERROR_KEY, None)
    if message:
        st.error(message)


def confidence_label(value: int) -> str:
    """The label of a 1..6 guess: "Sure human" ... "Sure AI" (in the active language)."""
    return _(quality.CONFIDENCE_LABELS[value])


# ----------------------------------------------------------------------------------------------
# Consent (drawn before a participant row exists, so not a StepPage)


def consent_form(settings: StudySettings, *, key: str = "consent") -> str | None:
    """The information sheet and the consent question.

    Returns
    -------
    {"agree", "decline"} or None
        What the participant chose in this run, None until they choose.
    """
    st.subheader(_("Information about this study"), anchor=False)
    st.markdown(markdown_without_images(settings.with_facts(settings.information_text)), anchors=False)
    st.subheader(_("Consent"), anchor=False)
    st.markdown(markdown_without_images(settings.with_facts(settings.consent_text)), anchors=False)
    with st.container(horizontal=True):
        agree = st.button(_("I agree, start the study"), type="primary", key=f"{key}_agree")
        decline = st.button(_("I do not agree"), key=f"{key}_decline")
    if agree:
        return "agree"
    if decline:
        return "decline"
    return None


def declined_message() -> None:
    st.success(
        _(
            "Thank you for considering this study. You chose not to take part, so nothing about you "
            "has been stored. You can close this page now."
        )
    )


# ----------------------------------------------------------------------------------------------
# Questionnaire


def questionnaire_step(page: StepPage) -> bool:
    """The "About you" questionnaire in one form; stores the answers and advances."""
    st.subheader(_("About you"), anchor=False)
    st.write(_("A few short questions before we start. There are no right or wrong answers."))
    show_error()
    with st.form("questionnaire", border=False):
        for question in questionnaire.questions_before(page.settings):
            if question.kind == "choice":
                st.radio(_(question.prompt), question.options, index=None, format_func=_, key=f"q_{question.key}")
            else:
                points = list(range(question.low, question.high + 1))
                st.radio(  # a plain label: screen readers read Markdown asterisks aloud
                    f"{_(question.prompt)} ({question.low} = {_(question.low_label)}, "
                    f"{question.high} = {_(question.high_label)})",
                    points,
                    index=None,
                    horizontal=True,
                    key=f"q_{question.key}",
                )
        st.form_submit_button(
            _("Continue"), type="primary", on_click=_save_questionnaire, args=(page.participant.resume_token,)
        )
    return False


def _save_questionnaire(token: str) -> None:
    answers = {question.key: st.session_state.get(f"q_{question.key}") for question in questionnaire.QUESTIONNAIRE}
    act(token, lambda session, participant: questionnaire.save_questionnaire(session, participant, answers))


# ----------------------------------------------------------------------------------------------
# Audio check


def audio_check_step(page: StepPage) -> bool:
    """Calibration (set the volume) then the three-interval headphone screening, one sound at a time.

    The progress (volume set, answers so far) is stored on the server at every click
    (:mod:`experiment.audio_check`), so a reload resumes at the same sound; the screening result
    is stored after the last sound.
    """
    st.subheader(_("Audio check"), anchor=False)
    progress = audio_check.screening_progress(page.session, page.participant)
    if not progress.calibrated:
        _calibration(page.participant.resume_token)
        return False
    _screening(page, len(progress.answers))
    return False


def _calibration(token: str) -> None:
    """The calibration noise plays in a loop while the volume is set; the button unlocks once it has played."""
    st.write(
        _(
            "Please put on your headphones. Play this sound (it repeats until you continue) and set "
            "your volume so that it is comfortable but clearly audible. Keep that volume for the rest "
            "of the study."
        )
    )
    report = blind_player(
        audio_check.calibration_wav,
        key="calibration",
        required_s=CALIBRATION_LISTEN_S,
        tolerance_s=0.0,
        label=_("Calibration noise"),
        todo_text=_("Press play and set your volume while the sound plays."),
        done_text=_("Set your volume while the sound plays, then continue."),
        mime="audio/wav",
        loop=True,
    )
    st.button(
        _("My volume is set, continue"),
        type="primary",
        key="calibration_done",
        disabled=not report.requirement_met,
        on_click=act,
        args=(token, audio_check.note_calibrated),
    )


def _screening(page: StepPage, n_answered: int) -> None:
    n_sounds = page.settings.screening_trials
    number = min(n_answered, n_sounds - 1) + 1
    st.write(
        _(
            "Each sound has three noises. In one of them you will hear a faint tone inside the noise. "
            "Listen to the whole sound, then choose the noise (1, 2 or 3) that held the tone. "
            "This works only with headphones."
        )
    )
    st.progress(
        n_answered / n_sounds,
        text=_("Sound {number} of {total}").format(number=number, total=n_sounds),
    )
    report = blind_player(
        # Made only when this browser session has no URL for the sound yet, not on every run.
        lambda: audio_check.screening_wav(page.session, page.participant, number),
        key=f"screening_{number}",
        required_s=SCREENING_SOUND_S - 0.5,
        label=_("Headphone check sound {number}").format(number=number),
        todo_text=_("Please listen to the whole sound, then choose 1, 2 or 3."),
        done_text=_("Which noise held the tone?"),
        mime="audio/wav",
    )
    show_error()
    with st.container(horizontal=True):
        for interval in range(1, audio_check.ScreeningTrialView.n_intervals + 1):
            st.button(
                str(interval),
                key=f"screening_{number}_{interval}",
                disabled=not report.requirement_met,
                on_click=_answer_screening,
                args=(page.participant.resume_token, number, interval),
            )


def _answer_screening(token: str, number: int, interval: int) -> None:
    """Store the answer to sound ``number``; after the last one the result (a double click counts once)."""
    outcome = act(token, lambda session, participant: audio_check.answer_sound(session, participant, number, interval))
    if outcome is not None:
        st.session_state["screening_message"] = outcome.message


def screened_out_step(page: StepPage) -> bool:
    """The polite end for a participant who failed a required headphone screening."""
    message = _(
        "Thank you for trying. This study needs headphones, and the audio check suggests they are "
        "not in use, so we cannot continue. No further answers are needed."
    )
    if page.settings.prolific_enabled:
        message += " " + _("Please return your submission on Prolific.")
    st.info(message)
    return False


# ----------------------------------------------------------------------------------------------
# Instructions


def instructions_step(page: StepPage) -> bool:
    """How a trial works in the participant's condition; the button moves on to the first clip."""
    message = st.session_state.pop("screening_message", None)
    if message:
        st.success(message)
    st.subheader(_("Instructions"), anchor=False)
    settings = page.settings
    # The same count as the progress bar's "Clip k of N" and the debrief (experiment.clip_count).
    n_clips = clip_count.clips_to_hear(settings)
    if settings.practice_trial:
        count = _("You will hear **{n} short music clips**, after one practice clip. For each clip:")
    else:
        count = _("You will hear **{n} short music clips**. For each clip:")
    listen = (
        _("Play it and listen to the whole clip. The questions unlock once you have listened.")
        if settings.listening_requirement >= 1.0
        else _("Play it and listen. The questions unlock once you have listened.")
    )
    if paired.is_paired(settings):  # pairs of clips, asked which one was AI
        st.markdown(paired_instructions(settings))
    else:
        st.markdown(
            count.format(n=n_clips) + "\n\n1. " + listen + "\n" + design_text.task_steps(page.participant.condition)
        )
    if page.resume_url:
        st.caption(
            _("Your progress is saved after every clip. To continue later, keep this link: {url}").format(
                url=page.resume_url
            )
        )
    show_error()
    st.button(
        _("Start"),
        type="primary",
        key="instructions_done",
        on_click=act,
        args=(page.participant.resume_token, trials.acknowledge_instructions),
    )
    return False

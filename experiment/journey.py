"""The participant's journey as a whole: its ordered steps and how a participant moves along them.

No Streamlit here. The journey is an ordered list of steps (oTree style, :data:`STEPS`); each step
decides whether it is shown under the participant's study settings and what it records. Progress
lives in the database (``Participant.step``), so a refresh, a new tab with the resume link or a
server restart returns the participant to where they were, with the same stored trial list.

Each step has its own service module; this one holds only what they share: the steps, the error
every step raises, the settings a participant runs under and :func:`advance`, the one place a
participant moves on (and gets their trial list stored when due). How a page uses the services
(every call takes an open session from ``core.db.session_scope``)::

    entry = parse_entry(st.query_params)            # experiment.entry; JourneyError -> show its message
    arrival = arrive(session, entry)                # consent page, resume, closed or refused
    participant = begin(session, entry)             # consent given: participant + resume token
    participant = load_participant(session, token)  # every later rerun
    step = current_step(participant)                # experiment.journey: which page to draw
    save_questionnaire(session, participant, answers)  # experiment.questionnaire
    outcome = save_screening(session, participant, answers)  # experiment.audio_check
    acknowledge_instructions(session, participant)  # experiment.trials, as are the next four
    view = current_trial(session, participant)      # TrialView: no clip id, no source
    mark_shown(session, participant, view.trial_index)
    data = audio_for(session, participant, view.audio_nonce)
    result = submit_answer(session, participant, view.trial_index, Answer(...))
    info = debrief(session, participant)            # experiment.debrief; only once every trial is stored
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import Participant
from experiment import repository
from experiment.assignment import AssignmentError, AssignmentRules, assign_trials
from experiment.settings import StudySettings

# ----------------------------------------------------------------------------------------------
# Steps


@dataclass(frozen=True)
class Step:
    """One page of the journey.

    Attributes
    ----------
    name : str
        Stored in ``Participant.step``.
    title : str
        A short heading for the page.
    settings_flag : str or None
        Name of the boolean :class:`StudySettings` field that switches the step on, or
        ``None`` when the step is always shown. Exception: "audio_check" (calibration sound and
        headphone screening) is shown unless ``settings.screening == "off"``.
    """

    name: str
    title: str
    settings_flag: str | None = None

    def is_shown(self, settings: StudySettings) -> bool:
        """Whether this step appears for a participant running under ``settings``."""
        if self.name == "audio_check":
            return settings.screening != "off"
        if self.settings_flag is None:
            return True
        return bool(getattr(settings, self.settings_flag))


STEPS: tuple[Step, ...] = (
    Step("consent", "Information and consent"),
    Step("questionnaire", "About you"),
    Step("audio_check", "Audio check"),
    Step("instructions", "Instructions"),
    Step("practice", "Practice", settings_flag="practice_trial"),
    Step("trials", "Listening"),
    Step("debrief", "Thank you"),
)
"""The journey in order. ``consent`` happens before a participant row exists."""

SCREENED_OUT = "screened_out"
"""Terminal step for participants who failed a *required* headphone screening."""

RESUME_PARAM = "resume"
"""URL query parameter carrying the resume token."""


class JourneyError(ValueError):
    """Something the participant must be told; ``str(error)`` is a polite, clear message.

    Nothing was stored when this is raised.
    """


NOT_READY = "This study is not ready for participants yet. Please try again later."
"""Participant-facing message when the clip library cannot supply a trial list under the settings."""


def steps_for(settings: StudySettings) -> tuple[Step, ...]:
    """The steps shown under ``settings``, in order (for a progress indicator)."""
    return tuple(step for step in STEPS if step.is_shown(settings))


def settings_for(session: Session, participant: Participant) -> StudySettings:
    """The study settings the participant runs under (their stored version)."""
    return repository.settings_version(session, participant.study_version_id)


def current_step(participant: Participant) -> str:
    """The name of the step to show: one of ``STEPS`` names (not "consent") or :data:`SCREENED_OUT`."""
    return participant.step


# ----------------------------------------------------------------------------------------------
# Moving on


def advance(session: Session, participant: Participant) -> None:
    """Move to the next step shown under the participant's settings; assign trials when due.

    The step services call this once their step is done and commit afterwards.
    """
    settings = settings_for(session, participant)
    names = [step.name for step in STEPS]
    index = names.index(participant.step)
    for step in STEPS[index + 1:]:
        if step.is_shown(settings):
            break
    if names.index(step.name) >= names.index("instructions"):
        _ensure_trials(session, participant, settings)
    participant.step = step.name


def _ensure_trials(session: Session, participant: Participant, settings: StudySettings) -> None:
    """Assign and store the trial list once (after the audio check, so screen-outs use no clips)."""
    if repository.trials_of(session, participant):
        return
    try:
        planned = assign_trials(
            repository.active_clips(session),
            repository.exposure_counts(session),
            AssignmentRules.from_settings(settings),
            participant.seed,
        )
    except AssignmentError as error:
        raise JourneyError(NOT_READY) from error
    nonces = [secrets.token_urlsafe(18) for _ in planned]
    try:
        with session.begin_nested():
            repository.store_trials(session, participant, planned, nonces)
    except IntegrityError:  # a second tab of the same participant stored the list first
        session.expire(participant)

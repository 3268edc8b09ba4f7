"""The participant's journey as data: one ordered registry of steps, oTree ``page_sequence`` style.

No Streamlit here. Each :class:`JourneyStep` says what the step is called, when it is shown (a
predicate on :class:`~experiment.settings.StudySettings`), whether the trial list must exist from
it on, and which service completes it (named, and imported when asked for: the services move the
participant on through :mod:`experiment.progress`, which reads this registry, so importing them here
would make an import circle). The function that *draws* each step is bound in
:data:`experiment.ui.journey.STEP_PAGES` (logic modules never import Streamlit); a test checks that
both cover every step. Adding a step or a condition is one entry here, its service and its page.

Progress lives in the database (``Participant.step``), so a refresh, a new tab with the resume
link or a server restart returns the participant to where they were, with the same stored trial
list; :func:`experiment.progress.advance` is the one place a participant moves on. How a page uses
the services (every call takes an open session from ``core.db.session_scope``, which commits)::

    entry = parse_entry(st.query_params)            # experiment.entry; JourneyError -> show its message
    arrival = arrive(session, entry)                # consent page, resume, closed or refused
    participant = begin(session, entry)             # consent given: participant + resume token
    participant = load_participant(session, token)  # every later rerun
    step = current_step(participant)                # which page to draw
    save_questionnaire(session, participant, answers)  # experiment.questionnaire
    outcome = save_screening(session, participant, answers)  # experiment.audio_check
    acknowledge_instructions(session, participant)  # experiment.trials, as are the next four
    view = current_trial(session, participant)      # TrialView: no clip id, no source
    mark_shown(session, participant, view.trial_index)
    data = audio_for(session, participant, view.audio_nonce)
    result = submit_answer(session, participant, view.trial_index, Answer(...))
    save_after_trials(session, participant, answers)  # experiment.questionnaire; completes the participant
    info = debrief(session, participant)            # experiment.debrief; only once every trial is stored
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.i18n import N_
from core.models import Participant
from core.vocabulary import Condition, ReasonMode, ScreeningMode, Step
from experiment.settings import StudySettings


def always(settings: StudySettings) -> bool:
    """Shown under every setting."""
    return True


def never(settings: StudySettings) -> bool:
    """Never reached by moving on: a step that a service sends the participant to directly."""
    return False


def screening_on(settings: StudySettings) -> bool:
    """The audio check (calibration and headphone screening) runs unless screening is off."""
    return settings.screening != ScreeningMode.OFF


def after_trials_on(settings: StudySettings) -> bool:
    """Questions follow the clips: AI exposure and attitude (not asked before), rate-only's source question,
    or the one reason for the guesses (asked once after the last clip)."""
    return (
        not settings.ai_questions_before
        or Condition.RATE_ONLY in settings.conditions
        or settings.ask_reason == ReasonMode.AT_END
    )


def practice_on(settings: StudySettings) -> bool:
    """The unscored practice trial is switched on."""
    return settings.practice_trial


@dataclass(frozen=True)
class JourneyStep:
    """One page of the journey.

    Attributes
    ----------
    name : Step
        Stored in ``Participant.step``.
    title : str
        A short heading for the page: a message id, translated with ``core.i18n._`` where shown.
    shown : callable
        ``shown(settings) -> bool``: whether the step appears for a participant under ``settings``.
    needs_trials : bool
        The participant's trial list must exist when they reach this step (it is assigned on the
        way in, after the audio check, so screen-outs use no clips).
    complete : str or None
        The service that records the step and moves the participant on, as ``"module:function"``
        (None for an end step); :meth:`service` imports it.
    """

    name: Step
    title: str
    shown: Callable[[StudySettings], bool] = always
    needs_trials: bool = False
    complete: str | None = None

    def is_shown(self, settings: StudySettings) -> bool:
        """Whether this step appears for a participant running under ``settings``."""
        return self.shown(settings)

    def service(self) -> Callable[..., Any] | None:
        """The function named by :attr:`complete` (None for an end step)."""
        if self.complete is None:
            return None
        module, function = self.complete.split(":")
        return getattr(importlib.import_module(module), function)


STEPS: tuple[JourneyStep, ...] = (
    JourneyStep(Step.CONSENT, N_("Information and consent"), complete="experiment.entry:begin"),
    JourneyStep(Step.QUESTIONNAIRE, N_("About you"), complete="experiment.questionnaire:save_questionnaire"),
    JourneyStep(
        Step.AUDIO_CHECK, N_("Audio check"), shown=screening_on, complete="experiment.audio_check:save_screening"
    ),
    JourneyStep(
        Step.INSTRUCTIONS, N_("Instructions"), needs_trials=True, complete="experiment.trials:acknowledge_instructions"
    ),
    JourneyStep(
        Step.PRACTICE, N_("Practice"), shown=practice_on, needs_trials=True, complete="experiment.trials:submit_answer"
    ),
    JourneyStep(Step.TRIALS, N_("Listening"), needs_trials=True, complete="experiment.trials:submit_answer"),
    JourneyStep(
        Step.AFTER_TRIALS,
        N_("A few last questions"),
        shown=after_trials_on,
        needs_trials=True,
        complete="experiment.questionnaire:save_after_trials",
    ),
    JourneyStep(Step.DEBRIEF, N_("Thank you"), needs_trials=True),
    JourneyStep(Step.SCREENED_OUT, N_("Thank you"), shown=never),
)
"""The journey in order. ``consent`` happens before a participant row exists; ``screened_out`` is
where :func:`experiment.audio_check.save_screening` sends a participant who failed a *required*
headphone screening."""

STEP_BY_NAME: dict[Step, JourneyStep] = {step.name: step for step in STEPS}


def steps_for(settings: StudySettings) -> tuple[JourneyStep, ...]:
    """The steps shown under ``settings``, in order (for a progress indicator)."""
    return tuple(step for step in STEPS if step.is_shown(settings))


def current_step(participant: Participant) -> Step:
    """The step to show: one of :data:`STEPS` (never consent, which precedes the participant row)."""
    return Step(participant.step)

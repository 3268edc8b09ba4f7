"""Staff preview that starts at any step of the journey (no Streamlit here).

To check the debrief an organiser should not sit through the audio check and every clip. A
preview participant (``is_preview``: stored, never counted) is created under the current
settings and put straight at the chosen step, with its trial list assigned when the step needs
one. Reaching a later clip or the debrief needs the earlier trials answered: they are answered
here with neutral sample answers through the ordinary :func:`experiment.trials.submit_answer`, so
the debrief shows a real reveal and score, and the completion code is set as for anyone.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from sqlalchemy.orm import Session

from core.i18n import _
from core.models import Participant, utcnow
from core.vocabulary import Step
from experiment import repository
from experiment.entry import start_preview
from experiment.journey import STEP_BY_NAME, STEPS, steps_for
from experiment.progress import JourneyError, assign_trials_if_needed, settings_for
from experiment.questionnaire import Question, after_trials_questions, save_after_trials
from experiment.trials import Answer, current_trial, submit_answer

JUMP_STEPS: tuple[Step, ...] = tuple(step.name for step in STEPS)
"""The steps a preview can start at: the whole journey in order (``screened_out``: the polite ending)."""

_AFTER_THE_CLIPS = (Step.AFTER_TRIALS, Step.DEBRIEF)


def jump_targets(session: Session, study_id: int | None = None) -> list[tuple[Step, str]]:
    """``(step, title)`` of every step a preview can start at under the study's current settings."""
    _version, settings = repository.current_settings(session, study_id)
    shown = {step.name for step in steps_for(settings)} | {Step.SCREENED_OUT}
    return [(step, STEP_BY_NAME[step].title) for step in JUMP_STEPS if step in shown]


def _sample_answer(duration_s: float, scale_points: int, scales: tuple[str, ...], rng: random.Random) -> Answer:
    """A plausible answer that meets the listening requirement (the whole clip heard once)."""
    middle = (scale_points + 1) // 2
    ratings = {scale: min(scale_points, max(1, middle + rng.choice((-1, 0, 1)))) for scale in scales}
    answer = Answer(
        confidence=rng.randint(1, 6),
        plays=1,
        listened_s=float(duration_s),
        time_to_first_play_ms=500,
        client_time_to_answer_ms=int(duration_s * 1000) + 3000,
    )
    return dataclasses.replace(answer, **ratings)  # type: ignore[arg-type]  # scale names are Answer fields


def sample_answers(questions: tuple[Question, ...]) -> dict[str, object]:
    """A valid answer to each question: the first option of a choice, the middle of a scale."""
    return {q.key: q.options[0] if q.kind == "choice" else (q.low + q.high) // 2 for q in questions}


def answer_until(session: Session, participant: Participant, position: int | None = None) -> None:
    """Answer the participant's trials in order with sample answers, up to rated clip ``position``.

    ``position`` is 1-based among the rated (non-practice) trials: the preview then stands at that
    clip; None answers everything (the participant reaches the debrief). The practice trial, when
    present, is answered first. Each trial is marked as shown one clip-length earlier, as if the
    organiser had listened, so the server's timing checks see an ordinary answer.
    """
    rng = random.Random(participant.seed)
    while (view := current_trial(session, participant)) is not None:
        if position is not None and view.position >= position:
            return
        trial = repository.trial_at(session, participant, view.trial_index)
        if trial is not None and trial.first_shown_at is None:
            trial.first_shown_at = utcnow() - timedelta(seconds=view.duration_s + 3.0)
        answer = _sample_answer(view.duration_s, view.scale_points, view.scales, rng)
        result = submit_answer(session, participant, view.trial_index, answer)
        if result.status == "rejected":
            raise JourneyError(
                _("The preview could not answer clip {position}: {message}").format(
                    position=view.position, message=result.message
                )
            )


def start_preview_at(
    session: Session, step: Step, position: int | None = None, study_id: int | None = None
) -> Participant:
    """A preview participant of the study (None: the default) at ``step`` (after consent).

    The trial list is assigned when the step needs it.

    Parameters
    ----------
    step : Step
        Any of :data:`JUMP_STEPS` but consent (the consent page comes before a participant exists).
    position : int or None
        For ``trials``: the rated clip to start at (1-based; earlier clips get sample answers).

    Raises
    ------
    JourneyError
        The step is switched off under the current settings, or the library cannot supply trials.
    """
    participant = start_preview(session, study_id=study_id)
    settings = settings_for(session, participant)
    target = STEP_BY_NAME[step]
    if step == Step.CONSENT or (step != Step.SCREENED_OUT and not target.is_shown(settings)):
        raise JourneyError(
            _('The step "{title}" is not shown under the current study settings.').format(title=_(target.title))
        )
    if step in (Step.PRACTICE, Step.TRIALS, *_AFTER_THE_CLIPS):
        assign_trials_if_needed(session, participant)
        practice_on = STEP_BY_NAME[Step.PRACTICE].is_shown(settings)
        participant.step = Step.PRACTICE if practice_on and step != Step.TRIALS else Step.TRIALS
        if step == Step.TRIALS:
            answer_until(session, participant, max(1, position or 1))
        elif step in _AFTER_THE_CLIPS:
            answer_until(session, participant)
        if step == Step.DEBRIEF and participant.step == Step.AFTER_TRIALS:
            save_after_trials(session, participant, sample_answers(after_trials_questions(session, participant)))
        return participant
    if target.needs_trials:
        assign_trials_if_needed(session, participant)
    participant.step = step
    return participant

"""The audio check step: the calibration sound and the headphone screening. No Streamlit here.

The sounds come from :mod:`experiment.screening`; the correct intervals stay on the server.
Progress within the step (volume set, answers so far) is a draft on the server
(:func:`experiment.repository.draft`), so a reload resumes at the same sound (issue 24).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from core.i18n import _
from core.models import Participant
from core.vocabulary import ScreeningMode, Step
from experiment import repository, screening
from experiment.progress import JourneyError, advance, settings_for
from experiment.settings import StudySettings


@dataclass(frozen=True)
class ScreeningTrialView:
    """One headphone-screening trial as the page plays it: three noises, one holds a faint tone.

    ``wav`` is a stereo 16-bit WAV (three intervals separated by silence); the correct interval
    stays on the server.
    """

    number: int  # 1-based
    wav: bytes
    n_intervals: int = 3


@dataclass(frozen=True)
class ScreeningOutcome:
    """The stored screening result.

    ``may_continue`` is False only when screening is "required" and the participant failed;
    the participant is then at :attr:`Step.SCREENED_OUT` and ``message`` says so politely.
    """

    n_correct: int
    n_trials: int
    passed: bool
    may_continue: bool
    message: str


@dataclass(frozen=True)
class ScreeningProgress:
    """How far the participant is in the audio check: volume set, answers (1..3) to the first sounds."""

    calibrated: bool = False
    answers: tuple[int, ...] = ()


_DRAFT = "audio_check"


def screening_progress(session: Session, participant: Participant) -> ScreeningProgress:
    """The participant's progress within the audio check, as stored so far."""
    stored = repository.draft(session, participant, _DRAFT)
    answers = stored.get("answers")
    if not (isinstance(answers, list) and all(a in (1, 2, 3) for a in answers)):
        answers = []
    return ScreeningProgress(bool(stored.get("calibrated")), tuple(answers))


def note_calibrated(session: Session, participant: Participant) -> None:
    """The participant has set the volume (the caller's session scope commits)."""
    if participant.step != Step.AUDIO_CHECK:
        return
    progress = screening_progress(session, participant)
    repository.save_draft(session, participant, _DRAFT, {"calibrated": True, "answers": list(progress.answers)})


def answer_sound(session: Session, participant: Participant, number: int, interval: int) -> ScreeningOutcome | None:
    """Keep the answer ``interval`` to sound ``number`` (1-based); after the last sound, score and store all.

    A second answer to a sound already answered (a double click, a second tab) changes nothing.

    Returns
    -------
    ScreeningOutcome or None
        The stored result after the last sound; None before.

    Raises
    ------
    JourneyError
        Not at the audio check, or an answer outside 1..3; nothing stored.
    """
    if participant.step != Step.AUDIO_CHECK:
        raise JourneyError(_("The audio check is not the current step."))
    if interval not in (1, 2, 3):
        raise JourneyError(_("Please choose 1, 2 or 3 for every sound."))
    repository.lock_participant(session, participant)  # two tabs answering at once: one after the other
    progress = screening_progress(session, participant)
    if len(progress.answers) != number - 1:
        return None
    answers = [*progress.answers, interval]
    if len(answers) < settings_for(session, participant).screening_trials:
        repository.save_draft(session, participant, _DRAFT, {"calibrated": True, "answers": answers})
        return None
    outcome = save_screening(session, participant, answers)
    repository.drop_draft(session, participant, _DRAFT)
    return outcome


def calibration_wav() -> bytes:
    """The calibration sound (stereo pink noise at a fixed level) as WAV bytes."""
    return _calibration_wav_cached()


def screening_trials(session: Session, participant: Participant) -> list[ScreeningTrialView]:
    """The participant's headphone-screening trials (deterministic from their seed)."""
    n_trials = settings_for(session, participant).screening_trials
    return [
        ScreeningTrialView(number=number, wav=screening_wav(session, participant, number))
        for number in range(1, n_trials + 1)
    ]


def screening_wav(session: Session, participant: Participant, number: int) -> bytes:
    """Sound ``number`` (1-based) of the participant's headphone screening as WAV bytes (only that one)."""
    return _screening_wav(participant.seed, settings_for(session, participant).screening_trials, number)


def save_screening(session: Session, participant: Participant, answers: Sequence[int]) -> ScreeningOutcome:
    """Score and store the screening answers (1-based interval numbers), then advance.

    Raises
    ------
    JourneyError
        Wrong number of answers or an answer outside 1..3; nothing stored.
    """
    settings = settings_for(session, participant)
    if participant.step != Step.AUDIO_CHECK:
        if participant.screening:  # already stored: report it again, change nothing
            return _screening_outcome(participant.screening, settings, participant.step != Step.SCREENED_OUT)
        raise JourneyError(_("The audio check is not the current step."))
    targets = screening.screening_targets(participant.seed, settings.screening_trials)
    try:
        values = [int(a) for a in answers]
    except (TypeError, ValueError):
        raise JourneyError(_("Please choose 1, 2 or 3 for every sound.")) from None
    if len(values) != len(targets) or any(v not in (1, 2, 3) for v in values):
        raise JourneyError(_("Please choose 1, 2 or 3 for each of the {n} sounds.").format(n=len(targets)))
    score = screening.score_screening(values, targets, settings.screening_pass_mark)
    participant.screening = {
        "test": "huggins_pitch",
        "mode": settings.screening,
        "answers": values,
        "targets": targets,
        "n_correct": score.n_correct,
        "n_trials": score.n_trials,
        "pass_mark": settings.screening_pass_mark,
        "criterion": settings.screening_criterion,
        "passed": score.passed,
    }
    participant.screening_passed = score.passed
    may_continue = score.passed or settings.screening != ScreeningMode.REQUIRED
    if not score.passed:
        participant.flags = {**(participant.flags or {}), "screening_failed": True}
    if may_continue:
        advance(session, participant)
    else:
        participant.step = Step.SCREENED_OUT
    return _screening_outcome(participant.screening, settings, may_continue)


# ----------------------------------------------------------------------------------------------
# Internals


@lru_cache(maxsize=1)
def _calibration_wav_cached() -> bytes:
    return screening.to_wav_bytes(screening.calibration_noise(), screening.SAMPLE_RATE)


@lru_cache(maxsize=16)
def _screening_wav(seed: int, n_trials: int, number: int) -> bytes:
    sound = screening.screening_sound(seed, number, n_trials)
    return screening.to_wav_bytes(sound.audio, sound.sample_rate)


def _screening_outcome(stored: Mapping[str, Any], settings: StudySettings, may_continue: bool) -> ScreeningOutcome:
    passed = bool(stored["passed"])
    if passed:
        message = _("Thank you - your audio setup works for this study.")
    elif may_continue:
        message = _("Thank you. Please make sure you are wearing headphones for the rest of the study.")
    else:
        message = _(
            "Thank you for trying. This study needs headphones, and the audio check suggests they are "
            "not in use, so we cannot continue. No further answers are needed."
        )
        if settings.prolific_enabled:
            message += " " + _("Please return your submission on Prolific.")
    return ScreeningOutcome(
        n_correct=int(stored["n_correct"]),
        n_trials=int(stored["n_trials"]),
        passed=passed,
        may_continue=may_continue,
        message=message,
    )

"""The instructions, the practice trial and the rated trials: what is shown, what is stored. No Streamlit here.

Every answer is validated and committed before the next trial is shown; quality flags
(:mod:`experiment.quality`) are updated with it, and the last answer completes the participant.

Blinding
--------
Nothing returned here names a clip, its file, hash, creator or source (that waits for
:mod:`experiment.debrief`): :class:`TrialView` carries only an opaque, per-participant,
per-trial ``audio_nonce``, and a repeat trial is presented as an ordinary "main" trial.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from audio import library
from core.models import Participant, Response, Trial, utcnow
from experiment import quality, repository
from experiment.journey import JourneyError, advance, settings_for
from experiment.settings import SCALES, StudySettings

LISTEN_TOLERANCE_S = 0.5
"""Slack on the listening requirement: the player reports positions a few times a second."""


@dataclass(frozen=True)
class TrialView:
    """What the rating page needs for the current trial; never a clip id or source.

    Attributes
    ----------
    trial_index : int
        The stored position (0-based over all trials, practice included); send it back on submit.
    position : int
        1-based position among the non-practice trials (0 for the practice trial).
    n_total : int
        Number of non-practice trials.
    kind : {"practice", "main", "attention"}
        A repeat trial is shown as "main" so that it stays a consistency check.
    audio_nonce : str
        Opaque handle for :func:`audio_for`.
    audio_mime : str
        MIME type of the served bytes (e.g. "audio/mpeg").
    duration_s : float
        Clip duration in seconds.
    required_listen_s : float
        Seconds of distinct audio that must be heard before answers are accepted.
    scales : tuple of str
        Rating scales to ask (subset of ``experiment.settings.SCALES``).
    scale_points : int
        Points per rating scale.
    ask_familiarity, ask_comment : bool
    instructions : str
        For attention trials: the instruction to show on the rating screen; '' otherwise.
    """

    trial_index: int
    position: int
    n_total: int
    kind: str
    audio_nonce: str
    audio_mime: str
    duration_s: float
    required_listen_s: float
    scales: tuple[str, ...]
    scale_points: int
    ask_familiarity: bool
    ask_comment: bool
    instructions: str = ""


@dataclass(frozen=True)
class Answer:
    """A participant's answer to one trial plus the player's listening telemetry.

    Ratings are integers ``1..scale_points`` (``None`` when the scale is not asked).
    ``confidence`` is 1..6: 1 "sure human" ... 6 "sure AI"; the guess is "ai" when >= 4.
    Telemetry: ``plays``, ``pauses``, ``seeks`` counts; ``listened_s`` seconds of distinct audio
    heard; ``time_to_first_play_ms`` and ``client_time_to_answer_ms`` as measured in the browser
    (the server measures its own time to answer from ``Trial.first_shown_at``).
    """

    confidence: int | None
    valence: int | None = None
    arousal: int | None = None
    moved: int | None = None
    liking: int | None = None
    familiar: bool | None = None
    comment: str | None = None
    plays: int = 0
    pauses: int = 0
    seeks: int = 0
    listened_s: float = 0.0
    time_to_first_play_ms: int | None = None
    client_time_to_answer_ms: int | None = None


@dataclass(frozen=True)
class SubmitResult:
    """Outcome of :func:`submit_answer`.

    Attributes
    ----------
    status : {"recorded", "duplicate", "rejected"}
        "recorded": stored and committed. "duplicate": this trial was already answered; nothing
        changed. "rejected": the answer is invalid (``message`` says why); nothing stored.
    message : str
        Participant-facing explanation ('' when recorded).
    next_step : str
        The participant's step after this call (e.g. "trials" or "debrief").
    """

    status: str
    message: str
    next_step: str


def guess_from_confidence(confidence: int) -> str:
    """"ai" when ``confidence >= 4`` on the 1..6 scale, else "human"."""
    return "ai" if confidence >= 4 else "human"


def required_listen_seconds(duration_s: float, listening_requirement: float) -> float:
    """Seconds of distinct audio that must be heard: ``duration * requirement - tolerance`` (>= 0)."""
    return max(0.0, float(duration_s) * float(listening_requirement) - LISTEN_TOLERANCE_S)


def acknowledge_instructions(session: Session, participant: Participant) -> None:
    """The participant has read the instructions: advance (assigns the trial list if not yet)."""
    if participant.step != "instructions":
        return
    advance(session, participant)
    session.commit()


def current_trial(session: Session, participant: Participant) -> TrialView | None:
    """The first unanswered trial of the current step ("practice" or "trials"); None otherwise."""
    if participant.step not in ("practice", "trials"):
        return None
    settings = settings_for(session, participant)
    trials = repository.trials_of(session, participant)
    answered = repository.answered_indices(session, participant)
    wanted_practice = participant.step == "practice"
    trial = next(
        (t for t in trials if t.trial_index not in answered and (t.kind == "practice") == wanted_practice),
        None,
    )
    if trial is None:
        return None
    rated = [t for t in trials if t.kind != "practice"]
    position = 0 if trial.kind == "practice" else rated.index(trial) + 1
    instructions = ""
    if trial.kind == "attention":
        instructions = _attention(participant, settings).instructions()
    served = library.served_audio_facts(session, trial.clip_id)
    return TrialView(
        trial_index=trial.trial_index,
        position=position,
        n_total=len(rated),
        kind="main" if trial.kind == "repeat" else trial.kind,
        audio_nonce=trial.audio_nonce,
        audio_mime=served.mime,
        duration_s=served.duration_s,
        required_listen_s=required_listen_seconds(served.duration_s, settings.listening_requirement),
        scales=tuple(settings.scales),
        scale_points=settings.scale_points,
        ask_familiarity=settings.ask_familiarity,
        ask_comment=settings.ask_comment,
        instructions=instructions,
    )


def mark_shown(session: Session, participant: Participant, trial_index: int) -> None:
    """Record when the trial was first shown (idempotent: later calls change nothing)."""
    trial = repository.trial_at(session, participant, trial_index)
    if trial is not None and trial.first_shown_at is None:
        trial.first_shown_at = utcnow()
        session.commit()


def audio_for(session: Session, participant: Participant, audio_nonce: str) -> bytes:
    """The served audio bytes for one of this participant's trials.

    Raises
    ------
    JourneyError
        The nonce does not belong to this participant.
    """
    trial = repository.trial_by_nonce(session, participant, audio_nonce) if isinstance(audio_nonce, str) else None
    if trial is None:
        raise JourneyError("This sound is not available. Please reload the page.")
    return library.served_audio(session, trial.clip_id)


def submit_answer(session: Session, participant: Participant, trial_index: int, answer: Answer) -> SubmitResult:
    """Store the answer to trial ``trial_index`` exactly once, committed before returning.

    Rejected (nothing stored): a trial that is not the current one, a rating missing or out of
    range, ``listened_s`` below ``duration_s * listening_requirement`` (0.25 s tolerance).
    A second submit of an answered trial returns "duplicate" and changes nothing. Quality flags
    are updated; after the last trial the participant is completed (completion code set).
    """
    trial = repository.trial_at(session, participant, trial_index) if isinstance(trial_index, int) else None
    if trial is None:
        return SubmitResult("rejected", "This trial does not exist. Please reload the page.", participant.step)
    if trial.response is not None or trial_index in repository.answered_indices(session, participant):
        return SubmitResult("duplicate", "Your answer to this clip was already recorded.", participant.step)
    current = current_trial(session, participant)
    if current is None or current.trial_index != trial_index:
        if trial_index in repository.answered_indices(session, participant):  # answered meanwhile
            return SubmitResult("duplicate", "Your answer to this clip was already recorded.", participant.step)
        return SubmitResult("rejected", "Please answer the clip currently shown. Reload the page if in doubt.",
                            participant.step)
    settings = settings_for(session, participant)
    problem = _answer_problem(answer, settings, current)
    if problem:
        return SubmitResult("rejected", problem, participant.step)

    now = utcnow()
    server_ms = None
    if trial.first_shown_at is not None:
        server_ms = max(0, int((now - _aware(trial.first_shown_at)).total_seconds() * 1000))
    extra: dict[str, Any] = {"kind": trial.kind, "client_time_to_answer_ms": answer.client_time_to_answer_ms}
    ratings = {scale: getattr(answer, scale) if scale in settings.scales else None for scale in SCALES}
    if trial.kind == "attention":
        target = _attention(participant, settings)
        extra["attention_target"] = target.as_dict()
        extra["attention_passed"] = quality.attention_passed(target, answer.confidence, ratings)
    response = Response(
        trial_id=trial.id,
        participant_id=participant.id,
        trial_index=trial_index,
        study_version_id=participant.study_version_id,
        answered_at=now,
        guess=guess_from_confidence(answer.confidence),
        confidence=answer.confidence,
        familiar=answer.familiar if settings.ask_familiarity else None,
        comment=(answer.comment or "").strip() or None if settings.ask_comment else None,
        attention_answer=_attention_answer(answer, ratings) if trial.kind == "attention" else None,
        plays=answer.plays,
        pauses=answer.pauses,
        seeks=answer.seeks,
        listened_s=float(answer.listened_s),
        time_to_first_play_ms=answer.time_to_first_play_ms,
        time_to_answer_ms=server_ms if server_ms is not None else answer.client_time_to_answer_ms,
        extra=extra,
        **ratings,
    )
    if not repository.insert_response(session, response):
        return SubmitResult("duplicate", "Your answer to this clip was already recorded.", participant.step)

    _update_flags(session, participant, settings, trial, response)
    if trial.kind == "practice":
        participant.practice_done_at = now
        advance(session, participant)
    elif current_trial(session, participant) is None:
        _complete(session, participant)
    session.commit()
    return SubmitResult("recorded", "", participant.step)


# ----------------------------------------------------------------------------------------------
# Internals


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for stored UTC values; make them comparable."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _attention(participant: Participant, settings: StudySettings) -> quality.AttentionTarget:
    return quality.attention_target(participant.seed, tuple(settings.scales), settings.scale_points)


def _attention_answer(answer: Answer, ratings: Mapping[str, int | None]) -> str:
    """The attention answer in a compact readable form, e.g. ``confidence=1;valence=1``."""
    parts = [f"confidence={answer.confidence}"]
    parts += [f"{scale}={value}" for scale, value in ratings.items() if value is not None]
    return ";".join(parts)[:64]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _answer_problem(answer: Answer, settings: StudySettings, view: TrialView) -> str:
    """Why ``answer`` cannot be stored ('' when it can)."""
    if not _is_int(answer.confidence) or not 1 <= answer.confidence <= 6:
        return "Please say who you think made this clip (choose one of the six options)."
    for scale in settings.scales:
        value = getattr(answer, scale)
        if not _is_int(value) or not 1 <= value <= settings.scale_points:
            return f"Please answer every rating (missing: {quality.SCALE_NAMES.get(scale, scale)})."
    for name in ("plays", "pauses", "seeks"):
        if not _is_int(getattr(answer, name)) or getattr(answer, name) < 0:
            return f"The player reported an invalid {name} count. Please reload the page."
    for name in ("time_to_first_play_ms", "client_time_to_answer_ms"):
        value = getattr(answer, name)
        if value is not None and (not _is_int(value) or value < 0):
            return f"The player reported an invalid {name}. Please reload the page."
    listened = answer.listened_s
    if isinstance(listened, bool) or not isinstance(listened, (int, float)) or not math.isfinite(listened) or listened < 0:
        return "The player reported an invalid listening time. Please reload the page."
    if listened < view.required_listen_s:
        return (
            f"Please listen to the clip before answering: {listened:.0f} of the required "
            f"{view.required_listen_s:.0f} seconds heard so far."
        )
    if answer.familiar is not None and not isinstance(answer.familiar, bool):
        return "Please answer whether you knew the piece with yes or no."
    if answer.comment is not None and (not isinstance(answer.comment, str) or len(answer.comment) > 2000):
        return "Please keep your comment under 2000 characters."
    return ""


def _update_flags(
    session: Session, participant: Participant, settings: StudySettings, trial: Trial, response: Response
) -> None:
    """Refresh the quality flags touched by this response (see :mod:`experiment.quality`)."""
    flags = dict(participant.flags or {})
    if trial.kind == "attention":
        flags["attention_failed"] = not response.extra["attention_passed"]
    if trial.kind in ("main", "repeat") and quality.is_too_fast(response.time_to_answer_ms, settings.min_answer_seconds):
        response.extra = {**response.extra, "too_fast": True}
        flags["too_fast_trials"] = int(flags.get("too_fast_trials", 0)) + 1
        flags["too_fast"] = True
    if trial.kind in ("main", "repeat"):
        pair = _repeat_pair(session, participant)
        if pair is not None:
            original, repeat = pair
            comparison = quality.compare_repeat(
                original.confidence, repeat.confidence,
                {s: getattr(original, s) for s in SCALES}, {s: getattr(repeat, s) for s in SCALES},
            )
            flags["repeat_inconsistent"] = comparison.inconsistent
            flags["repeat_confidence_diff"] = comparison.confidence_diff
            flags["repeat_rating_diffs"] = comparison.rating_diffs
    participant.flags = flags  # a new dict, so the JSON column is written


def _repeat_pair(session: Session, participant: Participant) -> tuple[Response, Response] | None:
    """(original, repeat) responses once both exist."""
    trials = repository.trials_of(session, participant)
    repeat = next((t for t in trials if t.kind == "repeat"), None)
    if repeat is None:
        return None
    original = next((t for t in trials if t.kind == "main" and t.clip_id == repeat.clip_id), None)
    responses = repository.responses_of(session, participant)
    if original is None or original.trial_index not in responses or repeat.trial_index not in responses:
        return None
    return responses[original.trial_index], responses[repeat.trial_index]


def _complete(session: Session, participant: Participant) -> None:
    """Mark the participant complete with their completion code (current settings' code)."""
    _, current = repository.current_settings(session)
    if participant.is_preview:
        code = "PREVIEW"
    else:
        code = current.completion_code or secrets.token_hex(4).upper()
    participant.completion_code = code
    participant.completed_at = utcnow()
    participant.step = "debrief"

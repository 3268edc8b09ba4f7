"""The instructions, the practice trial and the rated trials: what is shown, what is stored. No Streamlit here.

Every answer is validated and stored before the next trial is shown (the page's session scope
commits it before it reruns); quality flags (:mod:`experiment.quality`) are updated with it, and
the last answer completes the participant. The listening requirement is checked twice: the
browser's report of what it played, and the server's clock since the clip was sent
(:mod:`experiment.listening`). What counts as a clip, and its number, is :mod:`experiment.clip_count`.

Blinding
--------
Nothing returned here names a clip, its file, hash, creator or source (that waits for
:mod:`experiment.debrief`): :class:`TrialView` carries only an opaque, per-participant,
per-trial ``audio_nonce``, and a repeat trial is presented as an ordinary "main" trial.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from audio import library
from core.i18n import N_, _
from core.models import Participant, Response, Trial, utcnow
from core.vocabulary import SCALES, Step, TrialKind
from experiment import conditions, listening, paired, quality, reasons, repository, trial_drafts
from experiment.answers import (
    LISTEN_TOLERANCE_S,
    Answer,
    answer_problem,
    attention_answer_text,
    guess_from_confidence,
    required_listen_seconds,
)
from experiment.clip_count import clip_numbers
from experiment.progress import JourneyError, advance, settings_for
from experiment.settings import StudySettings
from experiment.trial_drafts import Listening

__all__ = [  # Answer and the listening rule live in experiment.answers; callers of the trial service see them here
    "LISTEN_TOLERANCE_S",
    "Answer",
    "Listening",
    "SubmitResult",
    "TrialView",
    "acknowledge_instructions",
    "audio_for",
    "current_trial",
    "mark_listened",
    "mark_shown",
    "required_listen_seconds",
    "submit_answer",
]

_TRIAL_STEPS = (Step.PRACTICE, Step.TRIALS)
_DUPLICATE = N_("Your answer to this clip was already recorded.")


@dataclass(frozen=True)
class TrialView:
    """What the rating page needs for the current trial; never a clip id or source.

    Attributes
    ----------
    trial_index : int
        The stored position (0-based over all trials, practice included); send it back on submit.
    position : int
        The clip's number, 1-based among the non-practice trials (0 for the practice trial); see
        :mod:`experiment.clip_count`.
    n_total : int
        Number of non-practice trials (main, repeat and attention): the "N" of "Clip k of N".
    kind : TrialKind
        Practice, main or attention: a repeat trial is shown as "main" so that it stays a
        consistency check.
    audio_nonce : str
        Opaque handle for :func:`audio_for`.
    audio_mime : str
        MIME type of the served bytes (e.g. "audio/mpeg").
    duration_s : float
        Clip duration in seconds.
    required_listen_s : float
        Seconds of distinct audio that must be heard before answers are accepted.
    scales : tuple of str
        Rating scales to ask (subset of :data:`core.vocabulary.SCALES`).
    scale_points : int
        Points per rating scale.
    ask_familiarity, ask_comment : bool
    instructions : str
        For attention trials: the instruction to show on the rating screen; '' otherwise.
    ask_source : bool
        Ask who made the clip (the blind condition only; see :mod:`experiment.conditions`).
    label : str
        Labelled condition: the announcement shown before the clip plays (only the shown label's
        text, never whether it is true); '' otherwise.
    ask_reason : bool
        Ask "What made you think so?" after the guess (:func:`experiment.reasons.asks_reason_per_trial`).
    heard : bool
        The server has accepted the listening requirement (before a refresh, say): the questions
        are open without hearing the clip again.
    """

    trial_index: int
    position: int
    n_total: int
    kind: TrialKind
    audio_nonce: str
    audio_mime: str
    duration_s: float
    required_listen_s: float
    scales: tuple[str, ...]
    scale_points: int
    ask_familiarity: bool
    ask_comment: bool
    instructions: str = ""
    ask_source: bool = True
    label: str = ""
    ask_reason: bool = False
    heard: bool = False


@dataclass(frozen=True)
class SubmitResult:
    """Outcome of :func:`submit_answer`.

    Attributes
    ----------
    status : {"recorded", "duplicate", "rejected"}
        "recorded": stored (the caller's session scope commits). "duplicate": this trial was
        already answered; nothing changed. "rejected": the answer is invalid (``message`` says
        why); nothing stored.
    message : str
        Participant-facing explanation ('' when recorded).
    next_step : str
        The participant's step after this call (e.g. "trials" or "debrief").
    """

    status: str
    message: str
    next_step: str


def acknowledge_instructions(session: Session, participant: Participant) -> None:
    """The participant has read the instructions: advance (assigns the trial list if not yet)."""
    if participant.step != Step.INSTRUCTIONS:
        return
    advance(session, participant)


def current_trial(session: Session, participant: Participant) -> TrialView | None:
    """The first unanswered trial of the current step (practice or trials); None otherwise."""
    if participant.step not in _TRIAL_STEPS:
        return None
    settings = settings_for(session, participant)
    trials, answered = repository.trials_and_answered(session, participant)
    trial = _first_unanswered(trials, answered, participant.step)
    if trial is None:
        return None
    numbers = clip_numbers(trials)
    instructions = ""
    if trial.kind == TrialKind.ATTENTION:
        instructions = _attention(participant, settings).instructions()
    label = conditions.label_text(trial.label_shown) if trial.label_shown else ""
    served = library.served_audio_facts(session, trial.clip_id)
    return TrialView(
        trial_index=trial.trial_index,
        position=numbers.get(trial.trial_index, 0),
        n_total=len(numbers),
        kind=TrialKind.MAIN if trial.kind == TrialKind.REPEAT else TrialKind(trial.kind),
        audio_nonce=trial.audio_nonce,
        audio_mime=served.mime,
        duration_s=served.duration_s,
        required_listen_s=required_listen_seconds(served.duration_s, settings.listening_requirement),
        scales=tuple(settings.scales),
        scale_points=settings.scale_points,
        ask_familiarity=settings.ask_familiarity,
        ask_comment=settings.ask_comment,
        instructions=instructions,
        ask_source=_asks_source(participant, settings),
        label=label,
        ask_reason=_asks_source(participant, settings)
        and reasons.asks_reason_per_trial(settings, participant.condition, trial.kind),
        heard=trial_drafts.heard_by_player(session, participant, trial),
    )


def mark_shown(session: Session, participant: Participant, trial_index: int) -> None:
    """Record when the trial was first shown, just before its clip is sent (idempotent).

    Without a listening requirement the requirement is met at that moment too.
    """
    trial = repository.trial_at(session, participant, trial_index)
    if trial is not None and trial.first_shown_at is None:
        trial.first_shown_at = utcnow()
        listening.note_requirement_met(trial, trial.first_shown_at, *_listening_terms(session, participant, trial))


def mark_listened(session: Session, participant: Participant, trial_index: int, heard: Listening) -> bool:
    """The browser reports the listening requirement met: record when, if the server's clock agrees.

    The accepted report is kept in the trial's draft (:mod:`experiment.trial_drafts`), so after a
    refresh the questions stay open and the answer carries it.

    Parameters
    ----------
    heard : Listening
        What the player reports (``listened_s``: seconds of distinct audio it played).

    Returns
    -------
    bool
        True when the trial's ``listen_met_at`` is set (now or earlier).
    """
    trial = repository.trial_at(session, participant, trial_index)
    if trial is None:
        return False
    if trial.listen_met_at is not None and trial_drafts.heard_so_far(session, participant, trial_index) is not None:
        return True  # every rerun after the report asks again: answer cheaply
    if trial.response is not None:
        return False
    duration_s, requirement = _listening_terms(session, participant, trial)
    if not heard.listened_s >= required_listen_seconds(duration_s, requirement):
        return False
    if not listening.note_requirement_met(trial, utcnow(), duration_s, requirement):
        return False
    trial_drafts.keep_heard(session, participant, trial_index, heard)
    return True


def audio_for(session: Session, participant: Participant, audio_nonce: str) -> bytes:
    """The audio bytes for one of this participant's trials.

    An individualised copy of the served file, keyed by the trial's nonce: the same size and
    decoded samples for everyone, different bytes for every participant and trial, so no file
    hash can serve as a shared answer key (:func:`audio.library.served_audio_for_listener`).

    Raises
    ------
    JourneyError
        The nonce does not belong to this participant.
    """
    trial = repository.trial_by_nonce(session, participant, audio_nonce) if isinstance(audio_nonce, str) else None
    if trial is None:
        raise JourneyError(_("This sound is not available. Please reload the page."))
    return library.served_audio_for_listener(session, trial.clip_id, trial.audio_nonce)


def submit_answer(session: Session, participant: Participant, trial_index: int, answer: Answer) -> SubmitResult:
    """Store the answer to trial ``trial_index`` exactly once, in the caller's transaction.

    Rejected (nothing stored): a trial that is not the current one, a rating missing or out of
    range, ``listened_s`` below ``duration_s * listening_requirement`` (0.5 s tolerance), or an
    answer arriving sooner than that after the clip was first sent
    (:func:`experiment.listening.too_early_problem`, 1 s tolerance).
    A second submit of an answered trial returns "duplicate" and changes nothing, even when two
    submits race. Quality flags are updated; after the last trial the participant is completed
    (completion code set). The caller's session scope commits (before the next clip is shown).
    """
    # The trial list and the answered set once (a submit used to read them five times); the
    # unique answer per trial, taken under the participant's lock, still decides a race.
    trials, answered = repository.trials_and_answered(session, participant)
    trial = next((t for t in trials if t.trial_index == trial_index), None) if isinstance(trial_index, int) else None
    if trial is None:
        return SubmitResult("rejected", _("This trial does not exist. Please reload the page."), participant.step)
    if trial_index in answered:
        return SubmitResult("duplicate", _(_DUPLICATE), participant.step)
    if trial.pair_trial is not None:  # one clip of a pair: the pair is answered as one (experiment.paired_trials)
        return SubmitResult(
            "rejected", _("Please answer the pair currently shown. Reload the page if in doubt."), participant.step
        )
    current = _first_unanswered(trials, answered, participant.step)
    if current is None or current.trial_index != trial_index:
        return SubmitResult(
            "rejected", _("Please answer the clip currently shown. Reload the page if in doubt."), participant.step
        )
    settings = settings_for(session, participant)
    duration_s, requirement = _listening_terms(session, participant, trial)
    ask_source = _asks_source(participant, settings)
    now = utcnow()
    # Heard before a refresh: the answer carries the report the server accepted then.
    answer = trial_drafts.with_kept_listening(session, participant, trial, answer)
    problem = answer_problem(
        answer, settings, required_listen_seconds(duration_s, requirement), ask_source=ask_source
    ) or listening.too_early_problem(trial, now, duration_s, requirement)
    if problem:
        return SubmitResult("rejected", problem, participant.step)
    # The answer proves the requirement met by now, if no report said so earlier.
    listening.note_requirement_met(trial, now, duration_s, requirement)

    response = _response(participant, settings, trial, answer, now)
    # Serialise with a concurrent submit of the same participant before inserting; the lock's
    # write also keeps the answer, its flags and the progress in one transaction on SQLite.
    repository.lock_participant(session, participant)
    if not repository.insert_response(session, response):
        return SubmitResult("duplicate", _(_DUPLICATE), participant.step)
    trial_drafts.drop(session, participant)
    answered = answered | {trial_index}
    _update_flags(session, participant, settings, trial, response, trials, answered)
    if trial.kind == TrialKind.PRACTICE:
        participant.practice_done_at = response.answered_at
        advance(session, participant)
    elif _first_unanswered(trials, answered, participant.step) is None:
        advance(session, participant)  # to the questions after the clips, or completed at the debrief
    return SubmitResult("recorded", "", participant.step)


# ----------------------------------------------------------------------------------------------
# Internals


def _first_unanswered(trials: list[Trial], answered: set[int], step: str) -> Trial | None:
    """The first trial of ``step`` (practice, or the rated trials) not in ``answered``; None otherwise."""
    if step not in _TRIAL_STEPS:
        return None
    wanted_practice = step == Step.PRACTICE
    return next(
        (t for t in trials if t.trial_index not in answered and (t.kind == TrialKind.PRACTICE) == wanted_practice),
        None,
    )


def _listening_terms(session: Session, participant: Participant, trial: Trial) -> tuple[float, float]:
    """(clip duration in seconds, listening requirement 0..1) for ``trial``."""
    duration_s = library.served_audio_facts(session, trial.clip_id).duration_s
    return duration_s, settings_for(session, participant).listening_requirement


def _response(
    participant: Participant, settings: StudySettings, trial: Trial, answer: Answer, now: datetime
) -> Response:
    """The response row for a valid ``answer`` given at ``now`` (not yet added to the session)."""
    since_sent = listening.seconds_since_sent(trial, now)
    server_ms = None if since_sent is None else max(0, int(since_sent * 1000))
    extra: dict[str, Any] = {
        "kind": trial.kind,
        "client_time_to_answer_ms": answer.client_time_to_answer_ms,
        # Time to answer once the answers unlocked: what "too fast" is about (issue 11).
        "ms_after_listening": listening.ms_after_listening(trial, now),
    }
    # The source question is asked in the blind condition only (answer_problem requires it there).
    confidence = answer.confidence if _asks_source(participant, settings) else None
    ratings: dict[str, int | None] = {
        scale: getattr(answer, scale) if scale in settings.scales else None for scale in SCALES
    }
    is_attention = trial.kind == TrialKind.ATTENTION
    if is_attention:
        target = _attention(participant, settings)
        extra["attention_target"] = target.as_dict()
        extra["attention_passed"] = quality.attention_passed(target, confidence, ratings)
    return Response(
        trial_id=trial.id,
        participant_id=participant.id,
        trial_index=trial.trial_index,
        study_version_id=participant.study_version_id,
        answered_at=now,
        guess=guess_from_confidence(confidence) if confidence is not None else None,
        confidence=confidence,
        familiar=answer.familiar if settings.ask_familiarity else None,
        comment=(answer.comment or "").strip() or None if settings.ask_comment else None,
        reason=reasons.stored_reason(answer.reason)
        if confidence is not None and reasons.asks_reason_per_trial(settings, participant.condition, trial.kind)
        else None,
        attention_answer=attention_answer_text(replace(answer, confidence=confidence), ratings)
        if is_attention
        else None,
        plays=answer.plays,
        pauses=answer.pauses,
        seeks=answer.seeks,
        listened_s=float(answer.listened_s),
        time_to_first_play_ms=answer.time_to_first_play_ms,
        time_to_answer_ms=server_ms if server_ms is not None else answer.client_time_to_answer_ms,
        extra=extra,
        **ratings,
    )


def _asks_source(participant: Participant, settings: StudySettings) -> bool:
    """A single-clip trial asks who made it in the blind condition, unless pairs ask it (paired practice)."""
    return conditions.asks_source(participant.condition) and not paired.is_paired(settings)


def _attention(participant: Participant, settings: StudySettings) -> quality.AttentionTarget:
    target = quality.attention_target(participant.seed, tuple(settings.scales), settings.scale_points)
    if not conditions.asks_source(participant.condition):  # no source question to point at
        target = replace(target, confidence=None)
    return target


_RATED_KINDS = (TrialKind.MAIN, TrialKind.REPEAT)


def _update_flags(
    session: Session,
    participant: Participant,
    settings: StudySettings,
    trial: Trial,
    response: Response,
    trials: list[Trial],
    answered: set[int],
) -> None:
    """Refresh the quality flags touched by this response (see :mod:`experiment.quality`).

    ``trials``: the participant's, in order; ``answered``: their indices answered, this one included.
    """
    flags = dict(participant.flags or {})
    if trial.kind == TrialKind.ATTENTION:
        flags["attention_failed"] = not response.extra["attention_passed"]
    if trial.kind in _RATED_KINDS and quality.is_too_fast(
        response.extra["ms_after_listening"], settings.min_answer_seconds
    ):
        response.extra = {**response.extra, "too_fast": True}
        flags["too_fast_trials"] = int(flags.get("too_fast_trials", 0)) + 1
        flags["too_fast"] = True
    if trial.kind in _RATED_KINDS:
        pair = _repeat_pair(session, participant, trials, answered)
        if pair is not None:
            original, repeat = pair
            asked = original.confidence is not None and repeat.confidence is not None  # blind condition
            comparison = quality.compare_repeat(
                original.confidence or 0,
                repeat.confidence or 0,
                {s: getattr(original, s) for s in SCALES},
                {s: getattr(repeat, s) for s in SCALES},
            )
            flags["repeat_inconsistent"] = comparison.inconsistent
            flags["repeat_confidence_diff"] = comparison.confidence_diff if asked else None
            flags["repeat_rating_diffs"] = comparison.rating_diffs
    participant.flags = flags  # a new dict, so the JSON column is written


def _repeat_pair(
    session: Session, participant: Participant, trials: list[Trial], answered: set[int]
) -> tuple[Response, Response] | None:
    """(original, repeat) responses once both exist (read only then: once per participant)."""
    repeat = next((t for t in trials if t.kind == TrialKind.REPEAT), None)
    if repeat is None:
        return None
    original = next((t for t in trials if t.kind == TrialKind.MAIN and t.clip_id == repeat.clip_id), None)
    if original is None or original.trial_index not in answered or repeat.trial_index not in answered:
        return None
    responses = repository.responses_of(session, participant)
    if original.trial_index not in responses or repeat.trial_index not in responses:
        return None
    return responses[original.trial_index], responses[repeat.trial_index]

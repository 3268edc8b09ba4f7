"""The paired (2AFC) trial: what the page shows and how its answers are stored. No Streamlit here.

A pair is answered as one: both clips' ratings and listening records and the one choice "which
one was made by AI?" arrive together and are stored in the caller's transaction as two
``Response`` rows (one per clip, so each rating is stored once on its own clip), each carrying the
pair's choice and confidence. Every rule of a single trial holds for each clip of the pair: the
browser's listening report and the server's clock (:mod:`experiment.listening`), ratings in range,
stored once even when two submits race. How pairs are drawn: :mod:`experiment.paired`.

Blinding: :class:`PairView` names the clips only by position and their opaque ``audio_nonce``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from audio import library
from core.i18n import _
from core.models import Participant, Response, Trial, utcnow
from core.vocabulary import SCALES, Step, TrialKind
from experiment import listening, quality, reasons, repository, trial_drafts, trials
from experiment.answers import Answer, answer_problem, required_listen_seconds
from experiment.paired import PAIR_CONFIDENCE_OPTIONS, PRACTICE_PAIR
from experiment.progress import advance, settings_for
from experiment.settings import StudySettings
from experiment.trials import SubmitResult


@dataclass(frozen=True)
class PairClip:
    """One clip of the pair as the page needs it (position 1 or 2; no clip id or source).

    ``heard``: the server has accepted its listening requirement (see :class:`trials.TrialView`).
    """

    position: int
    trial_index: int
    audio_nonce: str
    audio_mime: str
    duration_s: float
    required_listen_s: float
    heard: bool = False


@dataclass(frozen=True)
class PairView:
    """The current pair: its number, both clips in order, and the rating scales to ask.

    Attributes
    ----------
    pair_trial : int
        The pair's number, 1-based (0 for the practice pair); send it back on submit.
    n_pairs : int
        Scored pairs in the participant's list (the "N" of "Pair k of N").
    clips : tuple of PairClip
        The first and the second clip.
    scales : tuple of str
    scale_points : int
    ask_reason : bool
        Ask "What made you think so?" after the choice (:mod:`experiment.reasons`).
    """

    pair_trial: int
    n_pairs: int
    clips: tuple[PairClip, PairClip]
    scales: tuple[str, ...]
    scale_points: int
    ask_reason: bool = False

    @property
    def is_practice(self) -> bool:
        """Whether this is the unscored practice pair."""
        return self.pair_trial == PRACTICE_PAIR


def current_pair(session: Session, participant: Participant) -> PairView | None:
    """The first unanswered pair of the practice or trials step; None when the next trial is not paired."""
    if participant.step not in (Step.PRACTICE, Step.TRIALS):
        return None
    stored, answered = repository.trials_and_answered(session, participant)
    practice = participant.step == Step.PRACTICE
    first = next(
        (t for t in stored if t.trial_index not in answered and (t.kind == TrialKind.PRACTICE) == practice), None
    )
    if first is None or first.pair_trial is None:
        return None
    members = sorted((t for t in stored if t.pair_trial == first.pair_trial), key=lambda t: t.pair_position or 0)
    if len(members) != 2:
        return None
    settings = settings_for(session, participant)
    clips = tuple(_clip(session, participant, settings, t) for t in members)
    return PairView(
        pair_trial=first.pair_trial,
        n_pairs=len({t.pair_trial for t in stored if t.pair_trial not in (None, PRACTICE_PAIR)}),
        clips=(clips[0], clips[1]),
        scales=tuple(settings.scales),
        scale_points=settings.scale_points,
        ask_reason=reasons.asks_reason_per_trial(settings, participant.condition),
    )


def _clip(session: Session, participant: Participant, settings: StudySettings, trial: Trial) -> PairClip:
    served = library.served_audio_facts(session, trial.clip_id)
    return PairClip(
        position=int(trial.pair_position or 0),
        trial_index=trial.trial_index,
        audio_nonce=trial.audio_nonce,
        audio_mime=served.mime,
        duration_s=served.duration_s,
        required_listen_s=required_listen_seconds(served.duration_s, settings.listening_requirement),
        heard=trial_drafts.heard_by_player(session, participant, trial),
    )


def choice_problem(choice: object, confidence: object) -> str:
    """Why the pair choice cannot be stored ('' when it can): position 1 or 2, confidence 1..3."""
    if not isinstance(choice, int) or isinstance(choice, bool) or choice not in (1, 2):
        return _("Please say which of the two clips you think was made by AI.")
    if not isinstance(confidence, int) or isinstance(confidence, bool) or confidence not in PAIR_CONFIDENCE_OPTIONS:
        return _("Please say how sure you are about your choice.")
    return ""


def submit_pair(
    session: Session,
    participant: Participant,
    pair_trial: int,
    answers: Sequence[Answer],
    choice: int | None,
    confidence: int | None,
    reason: str | None = None,
) -> SubmitResult:
    """Store both clips' answers and the pair choice exactly once, in the caller's transaction.

    ``answers`` holds the first and the second clip's ratings and listening reports
    (``Answer.confidence`` is ignored: the pair's ``choice``, 1 or 2 = the position chosen as AI,
    and its ``confidence``, 1..3, are the source question). The pair's ``reason``, when the study asks
    it after each guess, is stored on both clips' rows (each row then reads alone). Rejected (nothing
    stored) as a single trial is, for either clip, or for a reason over the length limit; "duplicate"
    when the pair was already answered.
    """
    stored = [t for t in repository.trials_of(session, participant) if t.pair_trial == pair_trial]
    answered = repository.answered_indices(session, participant)
    if stored and all(t.trial_index in answered for t in stored):
        return SubmitResult("duplicate", _("Your answer to this pair was already recorded."), participant.step)
    current = current_pair(session, participant)
    if current is None or current.pair_trial != pair_trial or len(answers) != 2:
        return SubmitResult(
            "rejected", _("Please answer the pair currently shown. Reload the page if in doubt."), participant.step
        )
    settings = settings_for(session, participant)
    now = utcnow()
    by_index = {t.trial_index: t for t in stored}
    answers = [  # heard before a refresh: the reports the server accepted then
        trial_drafts.with_kept_listening(session, participant, by_index[clip.trial_index], answer)
        for clip, answer in zip(current.clips, answers, strict=True)
    ]
    problem = choice_problem(choice, confidence) or reasons.reason_problem(reason)
    for clip, answer in zip(current.clips, answers, strict=True):
        problem = (
            problem
            or answer_problem(answer, settings, clip.required_listen_s, ask_source=False)
            or listening.too_early_problem(
                by_index[clip.trial_index], now, clip.duration_s, settings.listening_requirement
            )
        )
    if problem:
        return SubmitResult("rejected", problem, participant.step)
    responses = []
    kept_reason = reasons.stored_reason(reason) if current.ask_reason else None
    for clip, answer in zip(current.clips, answers, strict=True):
        trial = by_index[clip.trial_index]
        listening.note_requirement_met(trial, now, clip.duration_s, settings.listening_requirement)
        response = _response(participant, settings, trial, answer, now, (int(choice or 0), int(confidence or 0)))
        response.reason = kept_reason
        responses.append(response)
    repository.lock_participant(session, participant)  # see experiment.trials.submit_answer
    for response in responses:
        if not repository.insert_response(session, response):
            return SubmitResult("duplicate", _("Your answer to this pair was already recorded."), participant.step)
    trial_drafts.drop(session, participant)
    if current.is_practice:  # the practice pair done: on to the scored pairs
        participant.practice_done_at = now
        advance(session, participant)
        return SubmitResult("recorded", "", participant.step)
    _flag_too_fast(participant, settings, responses)
    if current_pair(session, participant) is None and trials.current_trial(session, participant) is None:
        advance(session, participant)  # to the questions after the clips, or completed at the debrief
    return SubmitResult("recorded", "", participant.step)


def _response(
    participant: Participant,
    settings: StudySettings,
    trial: Trial,
    answer: Answer,
    now: datetime,
    pair_answer: tuple[int, int],
) -> Response:
    """One clip's response row (not yet added): its ratings and listening, the pair's choice."""
    since_sent = listening.seconds_since_sent(trial, now)
    server_ms = None if since_sent is None else max(0, int(since_sent * 1000))
    ratings = {scale: getattr(answer, scale) if scale in settings.scales else None for scale in SCALES}
    return Response(
        trial_id=trial.id,
        participant_id=participant.id,
        trial_index=trial.trial_index,
        study_version_id=participant.study_version_id,
        answered_at=now,
        pair_choice=pair_answer[0],
        pair_confidence=pair_answer[1],
        plays=answer.plays,
        pauses=answer.pauses,
        seeks=answer.seeks,
        listened_s=float(answer.listened_s),
        time_to_first_play_ms=answer.time_to_first_play_ms,
        time_to_answer_ms=server_ms if server_ms is not None else answer.client_time_to_answer_ms,
        extra={
            "kind": trial.kind,
            "client_time_to_answer_ms": answer.client_time_to_answer_ms,
            "ms_after_listening": listening.ms_after_listening(trial, now),
        },
        **ratings,
    )


def _flag_too_fast(participant: Participant, settings: StudySettings, responses: Sequence[Response]) -> None:
    """The "too fast" quality flag, judged on the clip heard last (the answer follows it)."""
    last = responses[-1]
    if not quality.is_too_fast(last.extra["ms_after_listening"], settings.min_answer_seconds):
        return
    flags = dict(participant.flags or {})
    flags["too_fast_trials"] = int(flags.get("too_fast_trials", 0)) + 1
    flags["too_fast"] = True
    participant.flags = flags  # a new dict, so the JSON column is written

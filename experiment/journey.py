"""The participant's journey: the service the participant pages call. No Streamlit here.

The journey is an ordered list of steps (oTree style, :data:`STEPS`); each step decides whether
it is shown under the participant's study settings and what it records. Progress lives in the
database (``Participant.step``), so a refresh, a new tab with the resume link or a server restart
returns the participant to where they were, with the same stored trial list.

How a page uses it (every call takes an open session from ``core.db.session_scope``)::

    entry = parse_entry(st.query_params)            # JourneyError -> show its message
    arrival = arrive(session, entry)                # consent page, resume, closed or refused
    participant = begin(session, entry)             # consent given: participant + resume token
    participant = load_participant(session, token)  # every later rerun
    step = current_step(participant)                # which page to draw
    ...
    view = current_trial(session, participant)      # TrialView: no clip id, no source
    mark_shown(session, participant, view.trial_index)
    data = audio_for(session, participant, view.audio_nonce)
    result = submit_answer(session, participant, view.trial_index, Answer(...))
    info = debrief(session, participant)            # only once every trial is stored

Preview
-------
:func:`start_preview` creates a real participant row with ``is_preview = True`` that walks the
identical code path (so the preview really shows what participants get) but is excluded from
exposure counts, percentiles and - by contract with ``results`` - from every result.

Blinding
--------
Nothing returned before :func:`debrief` names a clip, its file, hash, creator or source:
:class:`TrialView` carries only an opaque, per-participant, per-trial ``audio_nonce``, and a
repeat trial is presented as an ordinary "main" trial.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audio import library
from core.models import Clip, Participant, Response, Trial, utcnow
from experiment import quality, repository, screening
from experiment.assignment import AssignmentError, AssignmentRules, assign_trials
from experiment.scoring import dprime, percentile_rank
from experiment.settings import PROLIFIC_COMPLETE_URL, SCALES, StudySettings, library_problems

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

PROLIFIC_PARAMS: tuple[str, ...] = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class JourneyError(ValueError):
    """Something the participant must be told; ``str(error)`` is a polite, clear message.

    Nothing was stored when this is raised.
    """


# ----------------------------------------------------------------------------------------------
# Arrival and consent


@dataclass(frozen=True)
class Entry:
    """Validated URL parameters of an arrival (all optional)."""

    prolific_pid: str | None = None
    study_id: str | None = None
    session_id: str | None = None
    resume_token: str | None = None

    @property
    def is_prolific(self) -> bool:
        return self.prolific_pid is not None


@dataclass(frozen=True)
class Arrival:
    """What to show someone who just opened the study link.

    Attributes
    ----------
    status : {"consent", "resume", "closed", "already_completed", "needs_prolific"}
        "consent": show the information sheet and consent question.
        "resume": ``participant`` is set; continue at ``current_step(participant)``.
        "closed": the study is not accepting new participants.
        "already_completed": this Prolific participant has already completed the study.
        "needs_prolific": the study runs on Prolific and the link lacks its parameters.
    message : str
        A participant-facing sentence for every status except "consent" and "resume".
    participant : Participant or None
        The existing participant when ``status == "resume"``.
    settings : StudySettings
        The settings in force (texts for the information and consent page).
    """

    status: str
    message: str
    participant: Participant | None
    settings: StudySettings


def parse_entry(params: Mapping[str, Any]) -> Entry:
    """Validate the arrival's URL parameters.

    Parameters
    ----------
    params : mapping
        Query parameters (``st.query_params`` or a plain dict); values may be strings or lists
        of strings (the first is used). Recognised: ``PROLIFIC_PID``, ``STUDY_ID``,
        ``SESSION_ID`` (each 1-64 characters of ``[A-Za-z0-9_-]``) and :data:`RESUME_PARAM`.

    Raises
    ------
    JourneyError
        A malformed parameter, or ``STUDY_ID``/``SESSION_ID`` without ``PROLIFIC_PID``.
    """
    values: dict[str, str | None] = {}
    for name in (*PROLIFIC_PARAMS, RESUME_PARAM):
        raw = params.get(name) if hasattr(params, "get") else None
        if isinstance(raw, (list, tuple)):
            raw = raw[0] if raw else None
        if raw is None:
            values[name] = None
            continue
        value = str(raw).strip()
        if name == RESUME_PARAM:
            if not _TOKEN_PATTERN.fullmatch(value):
                raise JourneyError(
                    "This resume link is not valid. Please use the full link you were given, "
                    "or start again from the study's original link."
                )
        elif not _ID_PATTERN.fullmatch(value):
            raise JourneyError(
                f"The link you followed has an invalid {name} (1 to 64 letters, digits, '-' or '_' "
                "expected). Please go back to Prolific and open the study from there."
            )
        values[name] = value
    if values["PROLIFIC_PID"] is None and (values["STUDY_ID"] or values["SESSION_ID"]):
        raise JourneyError(
            "The link you followed is missing PROLIFIC_PID. Please go back to Prolific and open "
            "the study from there."
        )
    return Entry(
        prolific_pid=values["PROLIFIC_PID"],
        study_id=values["STUDY_ID"],
        session_id=values["SESSION_ID"],
        resume_token=values[RESUME_PARAM],
    )


def arrive(session: Session, entry: Entry) -> Arrival:
    """Decide what an arriving visitor sees; stores nothing about the visitor.

    A resume token (or Prolific ids of an unfinished participant) resumes that participant,
    even when the study has since closed. Raises :class:`JourneyError` for an unknown token.
    """
    _, settings = repository.current_settings(session)
    if entry.resume_token is not None:
        participant = load_participant(session, entry.resume_token)
        return Arrival("resume", "", participant, settings)
    if entry.is_prolific:
        participant = repository.participant_by_prolific(session, entry.prolific_pid, entry.study_id)
        if participant is not None and participant.completed_at is not None:
            return Arrival("already_completed", _ALREADY_COMPLETED, None, settings)
        if participant is not None:
            return Arrival("resume", "", participant, settings)
    refusal = _refusal(session, settings, entry)
    if refusal is not None:
        return Arrival(refusal[0], refusal[1], None, settings)
    return Arrival("consent", "", None, settings)


def begin(session: Session, entry: Entry) -> Participant:
    """Consent given: create the participant (or return the unfinished one with the same Prolific ids).

    The participant gets a fresh resume token (``secrets.token_urlsafe(24)``), a random seed,
    the current study version and ``step = "questionnaire"``. Committed before returning.

    Raises
    ------
    JourneyError
        Study closed, Prolific participant already completed, or Prolific parameters missing
        while the study requires them.
    """
    if entry.resume_token is not None:
        return load_participant(session, entry.resume_token)
    version_id, settings = repository.current_settings(session)
    if entry.is_prolific:
        existing = repository.participant_by_prolific(session, entry.prolific_pid, entry.study_id)
        if existing is not None:
            if existing.completed_at is not None:
                raise JourneyError(_ALREADY_COMPLETED)
            return existing
    refusal = _refusal(session, settings, entry)
    if refusal is not None:
        raise JourneyError(refusal[1])
    participant = repository.create_participant(
        session,
        resume_token=secrets.token_urlsafe(24),
        study_version_id=version_id,
        seed=secrets.randbits(31),
        prolific_pid=entry.prolific_pid,
        prolific_study_id=entry.study_id,
        prolific_session_id=entry.session_id,
    )
    if participant is None:  # the same Prolific participant consented in another tab just now
        return begin(session, entry)
    session.commit()
    return participant


def decline(session: Session) -> None:
    """Consent declined: add one to the current version's ``ConsentDecline`` count; nothing else."""
    version_id, _ = repository.current_settings(session)
    repository.record_decline(session, version_id)
    session.commit()


def start_preview(session: Session) -> Participant:
    """A staff preview participant (``is_preview = True``) under the current settings.

    Works while the study is closed; never counted anywhere.
    """
    version_id, settings = repository.current_settings(session)
    problems = library_problems(settings, repository.clips_per_source(session))
    if problems:
        raise JourneyError("The study cannot run with the current library: " + "; ".join(problems))
    participant = repository.create_participant(
        session,
        resume_token=secrets.token_urlsafe(24),
        study_version_id=version_id,
        seed=secrets.randbits(31),
        is_preview=True,
    )
    session.commit()
    return participant


def load_participant(session: Session, token: str) -> Participant:
    """The participant with resume token ``token``.

    Raises
    ------
    JourneyError
        Malformed or unknown token.
    """
    if not isinstance(token, str) or not _TOKEN_PATTERN.fullmatch(token):
        raise JourneyError(
            "This resume link is not valid. Please use the full link you were given, "
            "or start again from the study's original link."
        )
    participant = repository.participant_by_token(session, token)
    if participant is None:
        raise JourneyError(
            "We could not find a session for this link. Please check that you copied the whole "
            "link, or start again from the study's original link."
        )
    return participant


def settings_for(session: Session, participant: Participant) -> StudySettings:
    """The study settings the participant runs under (their stored version)."""
    return repository.settings_version(session, participant.study_version_id)


def current_step(participant: Participant) -> str:
    """The name of the step to show: one of ``STEPS`` names (not "consent") or :data:`SCREENED_OUT`."""
    return participant.step


def resume_link(base_url: str, participant: Participant) -> str:
    """A link that returns this participant to where they left off (``base_url?resume=TOKEN``)."""
    return _with_query(base_url, {RESUME_PARAM: participant.resume_token})


# ----------------------------------------------------------------------------------------------
# Questionnaire


@dataclass(frozen=True)
class Question:
    """One questionnaire item.

    Attributes
    ----------
    key : str
        Key in ``Participant.questionnaire``.
    prompt : str
    kind : {"choice", "scale"}
        "choice": one of ``options`` (stored as the option string).
        "scale": an integer ``low..high`` (stored as int) with end labels.
    options : tuple of str
        For "choice".
    low, high : int
        For "scale".
    low_label, high_label : str
        For "scale": what the ends mean.
    """

    key: str
    prompt: str
    kind: str
    options: tuple[str, ...] = ()
    low: int = 1
    high: int = 7
    low_label: str = ""
    high_label: str = ""


QUESTIONNAIRE: tuple[Question, ...] = (
    Question(
        "age_band",
        "How old are you?",
        "choice",
        options=("18-24", "25-34", "35-44", "45-54", "55-64", "65 or older", "Prefer not to say"),
    ),
    Question(
        "musician_self_rating",
        "I would not consider myself a musician.",
        "scale",
        low=1, high=7, low_label="Completely disagree", high_label="Completely agree",
    ),
    Question(
        "instrument_practice_years",
        "I engaged in regular, daily practice of a musical instrument (including voice) for ... years.",
        "choice",
        options=("0", "1", "2", "3", "4-5", "6-9", "10 or more"),
    ),
    Question(
        "instrument_training_years",
        "I have had formal training on a musical instrument (including voice) for ... years during my lifetime.",
        "choice",
        options=("0", "0.5", "1", "2", "3-5", "6-9", "10 or more"),
    ),
    Question(
        "ai_music_heard",
        "How much music have you heard that you knew was made by AI?",
        "choice",
        options=("None", "One or two pieces", "Some", "A lot"),
    ),
    Question(
        "ai_music_attitude",
        "How do you feel about AI being used to make music?",
        "scale",
        low=1, high=7, low_label="Very negative", high_label="Very positive",
    ),
)
"""The participant questionnaire, in display order.

The three musical-training items follow the wording and answer options of the Gold-MSI
(Müllensiefen et al. 2014) training subscale; "I would not consider myself a musician" is
reverse-scored there.
"""


def validate_questionnaire(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check answers against :data:`QUESTIONNAIRE`; return the cleaned dict (unknown keys dropped).

    Raises
    ------
    JourneyError
        Naming the first missing or invalid answer.
    """
    cleaned: dict[str, Any] = {}
    for question in QUESTIONNAIRE:
        value = answers.get(question.key)
        if value is None or value == "":
            raise JourneyError(f"Please answer: {question.prompt}")
        if question.kind == "choice":
            if str(value) not in question.options:
                raise JourneyError(f"Please choose one of the options for: {question.prompt}")
            cleaned[question.key] = str(value)
        else:
            number = _as_int(value)
            if number is None or not question.low <= number <= question.high:
                raise JourneyError(
                    f"Please choose a number from {question.low} to {question.high} for: {question.prompt}"
                )
            cleaned[question.key] = number
    return cleaned


def save_questionnaire(session: Session, participant: Participant, answers: Mapping[str, Any]) -> None:
    """Validate and store the questionnaire answers, then advance to the next shown step.

    Raises
    ------
    JourneyError
        A missing or out-of-range answer (message names the question); nothing stored.
    """
    if participant.step != "questionnaire":
        return  # already saved (a resubmitted form after a refresh): change nothing
    cleaned = validate_questionnaire(answers)
    participant.questionnaire = cleaned
    _advance(session, participant)
    session.commit()


# ----------------------------------------------------------------------------------------------
# Audio check


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
    the participant is then at :data:`SCREENED_OUT` and ``message`` says so politely.
    """

    n_correct: int
    n_trials: int
    passed: bool
    may_continue: bool
    message: str


def calibration_wav() -> bytes:
    """The calibration sound (stereo pink noise at a fixed level) as WAV bytes."""
    return _calibration_wav_cached()


def screening_trials(session: Session, participant: Participant) -> list[ScreeningTrialView]:
    """The participant's headphone-screening trials (deterministic from their seed)."""
    settings = settings_for(session, participant)
    return [
        ScreeningTrialView(number=i + 1, wav=wav)
        for i, wav in enumerate(_screening_wavs(participant.seed, settings.screening_trials))
    ]


def save_screening(session: Session, participant: Participant, answers: Sequence[int]) -> ScreeningOutcome:
    """Score and store the screening answers (1-based interval numbers), then advance.

    Raises
    ------
    JourneyError
        Wrong number of answers or an answer outside 1..3; nothing stored.
    """
    settings = settings_for(session, participant)
    if participant.step != "audio_check":
        if participant.screening:  # already stored: report it again, change nothing
            return _screening_outcome(participant.screening, settings, participant.step != SCREENED_OUT)
        raise JourneyError("The audio check is not the current step.")
    targets = screening.screening_targets(participant.seed, settings.screening_trials)
    try:
        values = [int(a) for a in answers]
    except (TypeError, ValueError):
        raise JourneyError("Please choose 1, 2 or 3 for every sound.") from None
    if len(values) != len(targets) or any(v not in (1, 2, 3) for v in values):
        raise JourneyError(f"Please choose 1, 2 or 3 for each of the {len(targets)} sounds.")
    score = screening.score_screening(values, targets, settings.screening_pass)
    participant.screening = {
        "test": "huggins_pitch",
        "mode": settings.screening,
        "answers": values,
        "targets": targets,
        "n_correct": score.n_correct,
        "n_trials": score.n_trials,
        "pass_mark": settings.screening_pass,
        "passed": score.passed,
    }
    participant.screening_passed = score.passed
    may_continue = score.passed or settings.screening != "required"
    if not score.passed:
        participant.flags = {**(participant.flags or {}), "screening_failed": True}
    if may_continue:
        _advance(session, participant)
    else:
        participant.step = SCREENED_OUT
    session.commit()
    return _screening_outcome(participant.screening, settings, may_continue)


def acknowledge_instructions(session: Session, participant: Participant) -> None:
    """The participant has read the instructions: advance (assigns the trial list if not yet)."""
    if participant.step != "instructions":
        return
    _advance(session, participant)
    session.commit()


# ----------------------------------------------------------------------------------------------
# Trials


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
    return TrialView(
        trial_index=trial.trial_index,
        position=position,
        n_total=len(rated),
        kind="main" if trial.kind == "repeat" else trial.kind,
        audio_nonce=trial.audio_nonce,
        audio_mime=_mime(trial.clip),
        duration_s=float(trial.clip.duration_s),
        required_listen_s=required_listen_seconds(trial.clip.duration_s, settings.listening_requirement),
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
    return library.read_served_bytes(trial.clip)


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
        _advance(session, participant)
    elif current_trial(session, participant) is None:
        _complete(session, participant)
    session.commit()
    return SubmitResult("recorded", "", participant.step)


# ----------------------------------------------------------------------------------------------
# Debrief


@dataclass(frozen=True)
class RevealItem:
    """One main trial in the reveal (in presentation order)."""

    position: int  # 1-based among non-practice trials
    guess: str  # "human" | "ai"
    confidence: int
    truth: str  # "human" | "ai"
    correct: bool
    creator: str | None  # creator (human) or AI system + version; None when hidden by settings


@dataclass(frozen=True)
class Debrief:
    """Everything the debrief page shows.

    Attributes
    ----------
    items : tuple of RevealItem
    n_correct, n_main : int
    accuracy : float
        ``n_correct / n_main``.
    dprime : float
        Sensitivity d' ("AI" is the signal) with the log-linear correction.
    percentile : float or None
        Percentage (0..100) of other completed participants scoring lower (ties count half);
        None when nobody else has completed or the setting is off.
    n_compared : int
        Number of other completed participants in the comparison.
    text : str
        The organiser's debrief text.
    completion_code : str
    completion_url : str
        Where the finish button leads ('' for none).
    """

    items: tuple[RevealItem, ...]
    n_correct: int
    n_main: int
    accuracy: float
    dprime: float
    percentile: float | None
    n_compared: int
    text: str
    completion_code: str
    completion_url: str


def debrief(session: Session, participant: Participant) -> Debrief:
    """The reveal, score and completion details.

    Raises
    ------
    JourneyError
        The participant has not answered every trial yet.
    """
    if participant.completed_at is None:
        raise JourneyError("The debrief is available once every clip has been answered.")
    settings = settings_for(session, participant)
    _, current = repository.current_settings(session)
    responses = repository.responses_of(session, participant)
    trials = repository.trials_of(session, participant)
    rated = [t for t in trials if t.kind != "practice"]
    items = []
    for trial in trials:
        if trial.kind != "main":
            continue
        response = responses[trial.trial_index]
        clip = trial.clip
        items.append(
            RevealItem(
                position=rated.index(trial) + 1,
                guess=response.guess,
                confidence=response.confidence,
                truth=clip.source,
                correct=response.guess == clip.source,
                creator=_creator(clip) if settings.show_creator_in_debrief else None,
            )
        )
    n_main = len(items)
    n_correct = sum(item.correct for item in items)
    accuracy = n_correct / n_main if n_main else 0.0
    hits = sum(1 for i in items if i.truth == "ai" and i.guess == "ai")
    misses = sum(1 for i in items if i.truth == "ai" and i.guess == "human")
    false_alarms = sum(1 for i in items if i.truth == "human" and i.guess == "ai")
    correct_rejections = sum(1 for i in items if i.truth == "human" and i.guess == "human")
    others = repository.completed_accuracies(session, exclude_participant_id=participant.id)
    percentile = percentile_rank(accuracy, others) if settings.show_percentile else None
    return Debrief(
        items=tuple(items),
        n_correct=n_correct,
        n_main=n_main,
        accuracy=accuracy,
        dprime=dprime(hits, misses, false_alarms, correct_rejections),
        percentile=percentile,
        n_compared=len(others) if settings.show_percentile else 0,
        text=settings.debrief_text,
        completion_code=participant.completion_code or "",
        completion_url=_completion_url(current, participant),
    )


# ----------------------------------------------------------------------------------------------
# Share links


def participant_link(base_url: str) -> str:
    """The anonymous study link (the app's public page)."""
    return _check_base_url(base_url)


def prolific_study_url(base_url: str) -> str:
    """The study URL to paste into Prolific, with its placeholders.

    ``base_url?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}``
    """
    base = _check_base_url(base_url)
    placeholders = "&".join(f"{name}={{{{%{name}%}}}}" for name in PROLIFIC_PARAMS)
    return f"{base}{'&' if '?' in base else '?'}{placeholders}"


def steps_for(settings: StudySettings) -> tuple[Step, ...]:
    """The steps shown under ``settings``, in order (for a progress indicator)."""
    return tuple(step for step in STEPS if step.is_shown(settings))


LISTEN_TOLERANCE_S = 0.5
"""Slack on the listening requirement: the player reports positions a few times a second."""


def required_listen_seconds(duration_s: float, listening_requirement: float) -> float:
    """Seconds of distinct audio that must be heard: ``duration * requirement - tolerance`` (>= 0)."""
    return max(0.0, float(duration_s) * float(listening_requirement) - LISTEN_TOLERANCE_S)


# ----------------------------------------------------------------------------------------------
# Internals

_ALREADY_COMPLETED = (
    "Our records show you have already completed this study - thank you! "
    "Each person can take part only once."
)
_NOT_READY = "This study is not ready for participants yet. Please try again later."


def _refusal(session: Session, settings: StudySettings, entry: Entry) -> tuple[str, str] | None:
    """Why a new participant may not start now, as ``(status, message)``; None when they may."""
    if not settings.is_open:
        return "closed", "This study is closed at the moment and is not accepting new participants. Thank you for your interest."
    if library_problems(settings, repository.clips_per_source(session)):
        return "closed", _NOT_READY
    if settings.prolific_enabled and not (entry.is_prolific and entry.study_id):
        return "needs_prolific", (
            "This study runs on Prolific. Please open it from the Prolific website so that "
            "your participation can be recorded."
        )
    return None


def _check_base_url(base_url: str) -> str:
    base = (base_url or "").strip()
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an http(s) address such as https://lab.example.org/, got {base_url!r}")
    return base


def _with_query(base_url: str, params: Mapping[str, str]) -> str:
    base = _check_base_url(base_url)
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for stored UTC values; make them comparable."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _advance(session: Session, participant: Participant) -> None:
    """Move to the next step shown under the participant's settings; assign trials when due."""
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
        raise JourneyError(_NOT_READY) from error
    nonces = [secrets.token_urlsafe(18) for _ in planned]
    try:
        with session.begin_nested():
            repository.store_trials(session, participant, planned, nonces)
    except IntegrityError:  # a second tab of the same participant stored the list first
        session.expire(participant)


@lru_cache(maxsize=1)
def _calibration_wav_cached() -> bytes:
    return screening.to_wav_bytes(screening.calibration_noise(), screening.SAMPLE_RATE)


@lru_cache(maxsize=32)
def _screening_wavs(seed: int, n_trials: int) -> tuple[bytes, ...]:
    return tuple(screening.to_wav_bytes(t.audio, t.sample_rate) for t in screening.screening_test(seed, n_trials))


def _screening_outcome(stored: Mapping[str, Any], settings: StudySettings, may_continue: bool) -> ScreeningOutcome:
    passed = bool(stored["passed"])
    if passed:
        message = "Thank you - your audio setup works for this study."
    elif may_continue:
        message = "Thank you. Please make sure you are wearing headphones for the rest of the study."
    else:
        message = (
            "Thank you for trying. This study needs headphones, and the audio check suggests they are "
            "not in use, so we cannot continue. No further answers are needed."
        )
        if settings.prolific_enabled:
            message += " Please return your submission on Prolific."
    return ScreeningOutcome(
        n_correct=int(stored["n_correct"]),
        n_trials=int(stored["n_trials"]),
        passed=passed,
        may_continue=may_continue,
        message=message,
    )


def _attention(participant: Participant, settings: StudySettings) -> quality.AttentionTarget:
    return quality.attention_target(participant.seed, tuple(settings.scales), settings.scale_points)


def _attention_answer(answer: Answer, ratings: Mapping[str, int | None]) -> str:
    """The attention answer in a compact readable form, e.g. ``confidence=1;valence=1``."""
    parts = [f"confidence={answer.confidence}"]
    parts += [f"{scale}={value}" for scale, value in ratings.items() if value is not None]
    return ";".join(parts)[:64]


_MIME_BY_SUFFIX = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
                   ".wav": "audio/wav", ".flac": "audio/flac"}


def _mime(clip: Clip) -> str:
    if clip.codec.lower().startswith("mp3"):
        return "audio/mpeg"
    suffix = "." + clip.served_name.rsplit(".", 1)[-1].lower() if "." in clip.served_name else ""
    return _MIME_BY_SUFFIX.get(suffix, "application/octet-stream")


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is one (or a string/float holding a whole number), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


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


def _completion_url(current: StudySettings, participant: Participant) -> str:
    if participant.is_preview:
        return ""
    if current.completion_url:
        return current.completion_url
    if current.prolific_enabled and participant.completion_code:
        return PROLIFIC_COMPLETE_URL.format(code=participant.completion_code)
    return ""


def _creator(clip: Clip) -> str | None:
    if clip.source == "ai":
        system = " ".join(part for part in (clip.ai_system, clip.ai_version) if part)
        return system or clip.creator
    return clip.creator

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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.models import Participant
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
        ``None`` when the step is always shown ("screening" is shown unless ``screening == "off"``).
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
    raise NotImplementedError


def arrive(session: Session, entry: Entry) -> Arrival:
    """Decide what an arriving visitor sees; stores nothing.

    A resume token (or Prolific ids of an unfinished participant) resumes that participant,
    even when the study has since closed. Raises :class:`JourneyError` for an unknown token.
    """
    raise NotImplementedError


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
    raise NotImplementedError


def decline(session: Session) -> None:
    """Consent declined: add one to the current version's ``ConsentDecline`` count; nothing else."""
    raise NotImplementedError


def start_preview(session: Session) -> Participant:
    """A staff preview participant (``is_preview = True``) under the current settings.

    Works while the study is closed; never counted anywhere.
    """
    raise NotImplementedError


def load_participant(session: Session, token: str) -> Participant:
    """The participant with resume token ``token``.

    Raises
    ------
    JourneyError
        Malformed or unknown token.
    """
    raise NotImplementedError


def settings_for(session: Session, participant: Participant) -> StudySettings:
    """The study settings the participant runs under (their stored version)."""
    raise NotImplementedError


def current_step(participant: Participant) -> str:
    """The name of the step to show: one of ``STEPS`` names (not "consent") or :data:`SCREENED_OUT`."""
    return participant.step


def resume_link(base_url: str, participant: Participant) -> str:
    """A link that returns this participant to where they left off (``base_url?resume=TOKEN``)."""
    raise NotImplementedError


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


QUESTIONNAIRE: tuple[Question, ...] = ()
"""The participant questionnaire, in display order (filled in below)."""


def save_questionnaire(session: Session, participant: Participant, answers: Mapping[str, Any]) -> None:
    """Validate and store the questionnaire answers, then advance to the next shown step.

    Raises
    ------
    JourneyError
        A missing or out-of-range answer (message names the question); nothing stored.
    """
    raise NotImplementedError


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
    raise NotImplementedError


def screening_trials(session: Session, participant: Participant) -> list[ScreeningTrialView]:
    """The participant's headphone-screening trials (deterministic from their seed)."""
    raise NotImplementedError


def save_screening(session: Session, participant: Participant, answers: Sequence[int]) -> ScreeningOutcome:
    """Score and store the screening answers (1-based interval numbers), then advance.

    Raises
    ------
    JourneyError
        Wrong number of answers or an answer outside 1..3; nothing stored.
    """
    raise NotImplementedError


def acknowledge_instructions(session: Session, participant: Participant) -> None:
    """The participant has read the instructions: advance (assigns the trial list if not yet)."""
    raise NotImplementedError


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
    raise NotImplementedError


def mark_shown(session: Session, participant: Participant, trial_index: int) -> None:
    """Record when the trial was first shown (idempotent: later calls change nothing)."""
    raise NotImplementedError


def audio_for(session: Session, participant: Participant, audio_nonce: str) -> bytes:
    """The served audio bytes for one of this participant's trials.

    Raises
    ------
    JourneyError
        The nonce does not belong to this participant.
    """
    raise NotImplementedError


def submit_answer(session: Session, participant: Participant, trial_index: int, answer: Answer) -> SubmitResult:
    """Store the answer to trial ``trial_index`` exactly once, committed before returning.

    Rejected (nothing stored): a trial that is not the current one, a rating missing or out of
    range, ``listened_s`` below ``duration_s * listening_requirement`` (0.25 s tolerance).
    A second submit of an answered trial returns "duplicate" and changes nothing. Quality flags
    are updated; after the last trial the participant is completed (completion code set).
    """
    raise NotImplementedError


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
    raise NotImplementedError


# ----------------------------------------------------------------------------------------------
# Share links


def participant_link(base_url: str) -> str:
    """The anonymous study link (the app's public page)."""
    raise NotImplementedError


def prolific_study_url(base_url: str) -> str:
    """The study URL to paste into Prolific, with its placeholders.

    ``base_url?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}``
    """
    raise NotImplementedError

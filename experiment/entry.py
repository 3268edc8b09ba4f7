"""Entering the study: arrival, consent, resuming, the staff preview and the share links. No Streamlit here.

A visitor's URL parameters are checked (:func:`parse_entry`); :func:`arrive` decides what they
see, :func:`begin` creates the participant once they consent and :func:`decline` counts a refusal.
Every later rerun finds the participant again by the resume token (:func:`load_participant`).

Preview
-------
:func:`start_preview` creates a real participant row with ``is_preview = True`` that walks the
identical code path (so the preview really shows what participants get) but is excluded from
exposure counts, percentiles and - by contract with ``results`` - from every result.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from core.i18n import DEFAULT_LANGUAGE, N_, _
from core.models import Participant
from core.vocabulary import CONDITIONS, Step
from experiment import repository, studies
from experiment.progress import NOT_READY, RESUME_PARAM, JourneyError, step_after
from experiment.settings import StudySettings, library_problems

PROLIFIC_PARAMS: tuple[str, ...] = ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID")
STUDY_PARAM = "study"
"""The link parameter naming which of the deployment's studies to take (its slug); absent = the default study."""
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
"""A Prolific id: 1-64 letters, digits, '_' or '-', never starting with '-' (a spreadsheet would read
"-2-3" as a formula; Prolific's own ids are hexadecimal)."""
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class Entry:
    """Validated URL parameters of an arrival (all optional)."""

    prolific_pid: str | None = None
    study_id: str | None = None
    session_id: str | None = None
    resume_token: str | None = None
    study_slug: str | None = None  # which of this deployment's studies (``?study=``); None = the default

    @property
    def is_prolific(self) -> bool:
        return self.prolific_pid is not None


@dataclass(frozen=True)
class Arrival:
    """What to show someone who just opened the study link.

    Attributes
    ----------
    status : {"consent", "resume", "closed", "already_completed", "other_session", "needs_prolific"}
        "consent": show the information sheet and consent question.
        "resume": ``participant`` is set; continue at ``current_step(participant)`` (a participant who
        finished sees the debrief again, with their completion code and redirect).
        "closed": the study is not accepting new participants.
        "already_completed": this Prolific ID completed the study from another Prolific session.
        "other_session": this Prolific ID started the study from another Prolific session (the
        resume link continues it).
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
    values: dict[str, str | None] = {STUDY_PARAM: _study_slug(params)}
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
                raise JourneyError(_(_INVALID_RESUME_LINK))
        elif not _ID_PATTERN.fullmatch(value):
            raise JourneyError(
                _(
                    "The link you followed has an invalid {name} (1 to 64 letters, digits, '-' or '_' "
                    "expected). Please go back to Prolific and open the study from there."
                ).format(name=name)
            )
        values[name] = value
    if values["PROLIFIC_PID"] is None and (values["STUDY_ID"] or values["SESSION_ID"]):
        raise JourneyError(
            _(
                "The link you followed is missing PROLIFIC_PID. Please go back to Prolific and open the study "
                "from there."
            )
        )
    return Entry(
        prolific_pid=values["PROLIFIC_PID"],
        study_id=values["STUDY_ID"],
        session_id=values["SESSION_ID"],
        resume_token=values[RESUME_PARAM],
        study_slug=values[STUDY_PARAM],
    )


def _study_slug(params: Mapping[str, Any]) -> str | None:
    """The ``study`` parameter, checked for shape only (whether it exists is :func:`arriving_study`'s question)."""
    raw = params.get(STUDY_PARAM) if hasattr(params, "get") else None
    if isinstance(raw, (list, tuple)):
        raw = raw[0] if raw else None
    if raw is None or not str(raw).strip():
        return None
    slug = str(raw).strip().lower()
    if not studies.SLUG_PATTERN.fullmatch(slug):
        raise JourneyError(_(_UNKNOWN_STUDY))
    return slug


def arriving_study(session: Session, entry: Entry) -> int:
    """The study a new arrival joins: the link's ``?study=``, else the default study.

    Raises
    ------
    JourneyError
        The link names no study of this deployment (mistyped, or the study was deleted).
    """
    try:
        return studies.resolve(session, entry.study_slug).id
    except studies.UnknownStudy as error:
        raise JourneyError(_(_UNKNOWN_STUDY)) from error


def arrive(session: Session, entry: Entry) -> Arrival:
    """Decide what an arriving visitor sees; stores nothing about the visitor.

    A resume token (or Prolific ids of an unfinished participant) resumes that participant,
    even when the study has since closed. Raises :class:`JourneyError` for an unknown token.
    """
    if entry.resume_token is not None:
        participant = load_participant(session, entry.resume_token)
        _version, own = repository.current_settings(session, participant.study_id)
        return Arrival("resume", "", participant, own)
    study_id = arriving_study(session, entry)
    _version, settings = repository.current_settings(session, study_id)
    if entry.prolific_pid is not None:  # entry.is_prolific
        existing = repository.participant_by_prolific(session, entry.prolific_pid, entry.study_id, study_id)
        if existing is not None and not _same_prolific_session(existing, entry):
            status, message = _other_session(existing)
            return Arrival(status, _(message), None, settings)
        if existing is not None:  # finished: the debrief again, with the completion code and redirect
            return Arrival("resume", "", existing, settings)
    refusal = _refusal(session, study_id, settings, entry)
    if refusal is not None:
        return Arrival(refusal[0], refusal[1], None, settings)
    return Arrival("consent", "", None, settings)


def begin(session: Session, entry: Entry, language: str = DEFAULT_LANGUAGE) -> Participant:
    """Consent given: create the participant (or return the unfinished one with the same Prolific ids).

    The participant gets a fresh resume token (``secrets.token_urlsafe(24)``), a random seed,
    the current study version, the first step shown after consent and ``language`` (the one the
    consent page was shown in; the rest of the journey keeps it). The caller's session scope
    commits.

    Raises
    ------
    JourneyError
        Study closed, Prolific participant already completed, or Prolific parameters missing
        while the study requires them.
    """
    if entry.resume_token is not None:
        return load_participant(session, entry.resume_token)
    study_id = arriving_study(session, entry)
    version_id, settings = repository.current_settings(session, study_id)
    if entry.prolific_pid is not None:  # entry.is_prolific
        existing = repository.participant_by_prolific(session, entry.prolific_pid, entry.study_id, study_id)
        if existing is not None:
            if not _same_prolific_session(existing, entry):
                raise JourneyError(_(_other_session(existing)[1]))
            return existing
    refusal = _refusal(session, study_id, settings, entry)
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
        step=step_after(Step.CONSENT, settings).name,
        language=language,
    )
    if participant is None:  # the same Prolific participant consented in another tab just now
        return begin(session, entry, language)
    return participant


def _same_prolific_session(participant: Participant, entry: Entry) -> bool:
    """Whether a Prolific link comes from the session the participant started in (same ``SESSION_ID``).

    A Prolific ID is no secret (researchers, other studies and screenshots show it), so the ID alone
    must not open someone's session: that needs the ``SESSION_ID`` Prolific generated for that
    participant's submission, or the resume link.
    """
    return participant.prolific_session_id == entry.session_id


def _other_session(participant: Participant) -> tuple[str, str]:
    """Arrival status and message id for a Prolific ID already in the study from another Prolific session."""
    if participant.completed_at is not None:
        return "already_completed", _ALREADY_COMPLETED
    return "other_session", _OTHER_SESSION


def decline(session: Session, entry: Entry | None = None) -> None:
    """Consent declined: add one to the arrival study's current version's ``ConsentDecline`` count; nothing else."""
    version_id, _settings = repository.current_settings(session, arriving_study(session, entry or Entry()))
    repository.record_decline(session, version_id)


def start_preview(
    session: Session, condition: str | None = None, *, language: str = DEFAULT_LANGUAGE, study_id: int | None = None
) -> Participant:
    """A staff preview participant (``is_preview = True``) under the study's current settings, in ``language``.

    Works while the study is closed; never counted anywhere. ``condition`` runs the preview in
    that design condition (:class:`core.vocabulary.Condition`); None draws one as for a participant.
    """
    if condition is not None and condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}")
    version_id, settings = repository.current_settings(session, study_id)
    problems = library_problems(settings, repository.study_clip_counts(session, settings))
    if problems:
        raise JourneyError("The study cannot run with the current library: " + "; ".join(problems))
    participant = repository.create_participant(
        session,
        resume_token=secrets.token_urlsafe(24),
        study_version_id=version_id,
        seed=secrets.randbits(31),
        step=step_after(Step.CONSENT, settings).name,
        is_preview=True,
        language=language,
    )
    if participant is None:  # a resume token collision: as good as impossible, but never a crash
        return start_preview(session, condition, language=language, study_id=study_id)
    participant.condition = condition
    return participant


def load_participant(session: Session, token: str) -> Participant:
    """The participant with resume token ``token``.

    Raises
    ------
    JourneyError
        Malformed or unknown token.
    """
    if not isinstance(token, str) or not _TOKEN_PATTERN.fullmatch(token):
        raise JourneyError(_(_INVALID_RESUME_LINK))
    participant = repository.participant_by_token(session, token)
    if participant is None:
        raise JourneyError(
            _(
                "We could not find a session for this link. Please check that you copied the whole "
                "link, or start again from the study's original link."
            )
        )
    return participant


def resume_link(base_url: str, participant: Participant) -> str:
    """A link that returns this participant to where they left off (``base_url?resume=TOKEN``)."""
    return _with_query(base_url, {RESUME_PARAM: participant.resume_token})


# ----------------------------------------------------------------------------------------------
# Share links


def participant_link(base_url: str, study_slug: str | None = None) -> str:
    """The anonymous study link: the app's public page, with ``?study=SLUG`` when a study is named.

    Links always name their study when they can: a link without one means "the default study",
    which changes if that study is ever deleted.
    """
    if study_slug:
        return _with_query(base_url, {STUDY_PARAM: study_slug})
    return _check_base_url(base_url)


def prolific_study_url(base_url: str, study_slug: str | None = None) -> str:
    """The study URL to paste into Prolific, with its placeholders.

    ``base_url?study=SLUG&PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}``
    """
    base = participant_link(base_url, study_slug)
    placeholders = "&".join(f"{name}={{{{%{name}%}}}}" for name in PROLIFIC_PARAMS)
    return f"{base}{'&' if '?' in base else '?'}{placeholders}"


# ----------------------------------------------------------------------------------------------
# Internals

_ALREADY_COMPLETED = N_(
    "Our records show you have already completed this study - thank you! Each person can take part only once."
)
_OTHER_SESSION = N_(
    "This Prolific ID has already started this study from another Prolific session. To continue, please use "
    "the resume link from your first visit, or open the study again from the same Prolific submission."
)
_UNKNOWN_STUDY = N_(
    "The link you followed does not lead to a study here. Please check that you copied the whole link, "
    "or ask the researchers for the right one."
)
_INVALID_RESUME_LINK = N_(
    "This resume link is not valid. Please use the full link you were given, "
    "or start again from the study's original link."
)


def _refusal(session: Session, study_id: int, settings: StudySettings, entry: Entry) -> tuple[str, str] | None:
    """Why a new participant may not start ``study_id`` now, as ``(status, message)``; None when they may."""
    if not repository.study_is_open(session, study_id):
        return (
            "closed",
            _("This study is closed at the moment and is not accepting new participants. Thank you for your interest."),
        )
    if library_problems(settings, repository.study_clip_counts(session, settings)):
        return "closed", _(NOT_READY)
    if settings.prolific_enabled and not (entry.is_prolific and entry.study_id):
        return "needs_prolific", _(
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

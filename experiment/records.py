"""Read-only queries over the experiment's tables for other packages (``results`` reads its data here).

The experiment owns participants, trials, responses, study versions and consent declines; no
other package queries those tables. Every function takes an open session and only reads.

Practice trials and preview participants (staff trying the study) are left out here, in SQL,
because they are never data. Simulated participants (``human-touch demo participants``) are left
out too unless a caller passes ``include_simulated=True``.

Each query has a fixed cost whatever the study size (no per-row follow-up queries): the answers
come as scalar columns only, and the JSON columns of a participant (questionnaire, flags) once per
participant, so that a 40,000-answer study stays quick to load.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import ConsentDecline, Participant, Response, Study, StudyVersion, Trial, Withdrawal
from core.vocabulary import TrialKind

_NOT_PREVIEW = Participant.is_preview.is_not(True)
_NOT_SIMULATED = Participant.simulated.is_not(True)


def _counted(include_simulated: bool):
    """The participant condition: never previews; simulated ones only when asked for."""
    return _NOT_PREVIEW if include_simulated else _NOT_PREVIEW & _NOT_SIMULATED


def _of_study(session: Session, study_id: int | None) -> int:
    """The study a read is about: ``study_id``, or the default study when None (see experiment.studies)."""
    from experiment.repository import default_study_id

    return default_study_id(session) if study_id is None else study_id


def _versions_of(session: Session, study_id: int | None):
    return select(StudyVersion.id).where(StudyVersion.study_id == _of_study(session, study_id))


_PARTICIPANT_FIELDS = (
    Participant.created_at.label("participant_created_at"),
    Participant.consented_at,
    Participant.practice_done_at,
    Participant.completed_at,
    Participant.step,
    Participant.questionnaire,
    Participant.screening,
    Participant.screening_passed,
    Participant.flags,
    Participant.language,
    Participant.condition,
    Participant.simulated,
    Participant.reason.label("reason_at_end"),
)

ANSWER_COLUMNS: tuple[str, ...] = (
    "study",
    "participant_id",
    "study_version_id",
    "trial_index",
    "kind",
    "clip_id",
    "guess",
    "confidence",
    "valence",
    "arousal",
    "moved",
    "liking",
    "familiar",
    "comment",
    "attention_answer",
    "plays",
    "pauses",
    "seeks",
    "listened_s",
    "time_to_first_play_ms",
    "time_to_answer_ms",
    "answered_at",
    "answer_too_fast",
    "condition",
    "label_shown",
    "label_mode",
    "pair_trial",
    "pair_position",
    "pair_choice",
    "pair_confidence",
    "pairing",
    "reason",
)
"""The fields of each row of :func:`answer_rows`, in order."""


def answer_rows(
    session: Session, *, include_simulated: bool = False, study_id: int | None = None
) -> list[tuple[Any, ...]]:
    """Every answered, non-practice trial of a non-preview (by default non-simulated) participant of one study.

    ``study_id`` None means the default study.

    Returns
    -------
    list of tuple
        Fields :data:`ANSWER_COLUMNS` (the study's slug, the response fields, the trial's ``kind`` and ``clip_id``;
        ``answer_too_fast`` is the response's ``extra["too_fast"]`` flag, None when absent; the
        participant's design ``condition`` and the trial's ``label_shown`` and ``label_mode``; paired
        trials' ``pair_trial``, ``pair_position`` and the pair's ``pair_choice`` and ``pair_confidence``;
        the pair's ``pairing`` type under a pairing design; the ``reason`` given for the guess),
        ordered by participant, then trial index. Values are as the database driver returns them.
    """
    statement = (
        select(
            Study.slug,
            Response.participant_id,
            Response.study_version_id,
            Response.trial_index,
            Trial.kind,
            Trial.clip_id,
            Response.guess,
            Response.confidence,
            Response.valence,
            Response.arousal,
            Response.moved,
            Response.liking,
            Response.familiar,
            Response.comment,
            Response.attention_answer,
            Response.plays,
            Response.pauses,
            Response.seeks,
            Response.listened_s,
            Response.time_to_first_play_ms,
            Response.time_to_answer_ms,
            Response.answered_at,
            # Read the one flag in SQL: decoding every answer's JSON in Python would dominate the load time.
            Response.extra["too_fast"].as_boolean(),
            Participant.condition,
            Trial.label_shown,
            Trial.label_mode,
            Trial.pair_trial,
            Trial.pair_position,
            Response.pair_choice,
            Response.pair_confidence,
            Trial.pairing,
            Response.reason,
        )
        .join(Trial, Trial.id == Response.trial_id)
        .join(Participant, Participant.id == Response.participant_id)
        .join(Study, Study.id == Participant.study_id)
        .where(
            Participant.study_id == _of_study(session, study_id),
            Trial.kind != TrialKind.PRACTICE,
            _counted(include_simulated),
        )
        .order_by(Response.participant_id, Response.trial_index)
    )
    # Core execution (no ORM row processing) and plain tuples keep 40,000 rows quick to read.
    return [tuple(row) for row in session.connection().execute(statement).all()]


def participant_descriptors(
    session: Session, *, include_simulated: bool = False, study_id: int | None = None
) -> list[dict]:
    """Per non-preview participant of the study (None: the default study).

    ``participant_id``, ``completed_at``, ``screening_passed``, ``questionnaire`` and ``flags`` (JSON
    dicts or None) and ``language``, ordered by participant id."""
    statement = (
        select(
            Participant.id.label("participant_id"),
            Participant.completed_at,
            Participant.screening_passed,
            Participant.questionnaire,
            Participant.flags,
            Participant.language,
            Participant.simulated,
        )
        .where(Participant.study_id == _of_study(session, study_id), _counted(include_simulated))
        .order_by(Participant.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


_IDENTIFIERS = (Participant.prolific_pid, Participant.prolific_study_id, Participant.prolific_session_id)
"""Columns that identify a person outside this database (Prolific's ids)."""


def participant_records(
    session: Session, *, include_simulated: bool = False, with_identifiers: bool = False, study_id: int | None = None
) -> list[dict]:
    """One dict per participant of the study who consented (previews excluded), with answer counts and times.

    Parameters
    ----------
    study_id : int or None
        The study (None: the default study).
    include_simulated : bool
        Also the simulated demo participants.
    with_identifiers : bool
        Also ``prolific_pid``, ``prolific_study_id`` and ``prolific_session_id``: only for the staff's
        Participants page and its Prolific approve/return lists. Identifiers live apart from answers,
        so the results (tables, exports, report) never read them.

    Returns
    -------
    list of dict
        Participant fields (the completion code included) plus ``n_answered``
        (non-practice answers), ``n_trials_assigned``
        (non-practice trials in the stored list), ``first_answer_at``, ``last_answer_at``.
        Ordered by participant id.
    """
    answered = (
        select(
            Response.participant_id.label("participant_id"),
            func.count(Response.id).label("n_answered"),
            func.min(Response.answered_at).label("first_answer_at"),
            func.max(Response.answered_at).label("last_answer_at"),
        )
        .join(Trial, Trial.id == Response.trial_id)
        .where(Trial.kind != TrialKind.PRACTICE)
        .group_by(Response.participant_id)
        .subquery()
    )
    assigned = (
        select(Trial.participant_id.label("participant_id"), func.count(Trial.id).label("n_trials_assigned"))
        .where(Trial.kind != TrialKind.PRACTICE)
        .group_by(Trial.participant_id)
        .subquery()
    )
    statement = (
        select(
            Participant.id.label("participant_id"),
            Participant.study_version_id,
            Participant.prolific_pid.isnot(None).label("via_prolific"),
            *(_IDENTIFIERS if with_identifiers else ()),
            Participant.completion_code,
            *_PARTICIPANT_FIELDS,
            func.coalesce(answered.c.n_answered, 0).label("n_answered"),
            func.coalesce(assigned.c.n_trials_assigned, 0).label("n_trials_assigned"),
            answered.c.first_answer_at,
            answered.c.last_answer_at,
        )
        .outerjoin(answered, answered.c.participant_id == Participant.id)
        .outerjoin(assigned, assigned.c.participant_id == Participant.id)
        .where(Participant.study_id == _of_study(session, study_id), _counted(include_simulated))
        .order_by(Participant.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


def study_versions(session: Session, study_id: int | None = None) -> list[dict]:
    """Every saved version of the study (None: the default).

    Keys ``study_version_id``, ``created_at``, ``note``, ``config``."""
    statement = (
        select(
            StudyVersion.id.label("study_version_id"),
            StudyVersion.created_at,
            StudyVersion.note,
            StudyVersion.config,
        )
        .where(StudyVersion.study_id == _of_study(session, study_id))
        .order_by(StudyVersion.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


def withdrawals(session: Session, study_id: int | None = None) -> dict[int, int]:
    """How many participants withdrew, per version id of the study (versions without a withdrawal are absent)."""
    query = select(Withdrawal.study_version_id, Withdrawal.count)
    rows = session.execute(query.where(Withdrawal.study_version_id.in_(_versions_of(session, study_id)))).all()
    return {int(version): int(count or 0) for version, count in rows}


def consent_declines(session: Session, study_id: int | None = None) -> dict[int, int]:
    """How many people declined consent, per version id of the study (versions without a decline are absent)."""
    query = select(ConsentDecline.study_version_id, ConsentDecline.count)
    rows = session.execute(query.where(ConsentDecline.study_version_id.in_(_versions_of(session, study_id)))).all()
    return {int(version): int(count or 0) for version, count in rows}

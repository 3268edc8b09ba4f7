"""Every SQL query of the results package (read only).

Each function runs one query with joins (no per-row follow-up queries), so a study with
40,000 answered trials loads in one round trip. Rows come back as plain dicts; turning them
into typed tables is :mod:`results.table`'s job.

Practice trials and preview participants (staff trying the study) are left out here, in SQL,
because they are never data.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Clip, ClipFeatures, Participant, Response, StudyVersion, Trial

PRACTICE_KIND = "practice"
_NOT_PREVIEW = Participant.is_preview.is_not(True)

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
)

_CLIP_FIELDS = (
    Clip.title.label("clip_title"),
    Clip.creator.label("clip_creator"),
    Clip.source,
    Clip.ai_system,
    Clip.ai_version,
    Clip.genre,
    Clip.vocals,
    Clip.pair_id,
)


def fetch_trial_records(session: Session) -> list[dict]:
    """One dict per answered, non-practice trial, joined with its participant, clip and features.

    Returns
    -------
    list of dict
        Keys: the response fields (``participant_id``, ``study_version_id``, ``trial_index``,
        ratings, listening counters, ``answered_at``, ``extra``), ``kind``, ``clip_id``, the participant
        fields (``questionnaire``, ``screening``, ``screening_passed``, ``flags``,
        ``completed_at`` ...), the clip catalogue fields (``source``, ``clip_title`` ...), and
        ``feature_values`` (dict name -> float, or None when the clip has no features yet).
        Ordered by participant, then trial index.
    """
    statement = (
        select(
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
            Response.extra,
            *_PARTICIPANT_FIELDS,
            *_CLIP_FIELDS,
            ClipFeatures.values.label("feature_values"),
        )
        .join(Trial, Trial.id == Response.trial_id)
        .join(Participant, Participant.id == Response.participant_id)
        .join(Clip, Clip.id == Trial.clip_id)
        .outerjoin(ClipFeatures, ClipFeatures.clip_id == Clip.id)
        .where(Trial.kind != PRACTICE_KIND, _NOT_PREVIEW)
        .order_by(Response.participant_id, Response.trial_index)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


def fetch_participant_records(session: Session) -> list[dict]:
    """One dict per participant who consented (previews excluded), with answer counts and times.

    Returns
    -------
    list of dict
        Participant fields plus ``n_answered`` (non-practice answers), ``n_trials_assigned``
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
        .where(Trial.kind != PRACTICE_KIND)
        .group_by(Response.participant_id)
        .subquery()
    )
    assigned = (
        select(Trial.participant_id.label("participant_id"), func.count(Trial.id).label("n_trials_assigned"))
        .where(Trial.kind != PRACTICE_KIND)
        .group_by(Trial.participant_id)
        .subquery()
    )
    statement = (
        select(
            Participant.id.label("participant_id"),
            Participant.study_version_id,
            Participant.prolific_pid.isnot(None).label("via_prolific"),
            *_PARTICIPANT_FIELDS,
            func.coalesce(answered.c.n_answered, 0).label("n_answered"),
            func.coalesce(assigned.c.n_trials_assigned, 0).label("n_trials_assigned"),
            answered.c.first_answer_at,
            answered.c.last_answer_at,
        )
        .outerjoin(answered, answered.c.participant_id == Participant.id)
        .outerjoin(assigned, assigned.c.participant_id == Participant.id)
        .where(_NOT_PREVIEW)
        .order_by(Participant.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


def fetch_clip_records(session: Session) -> list[dict]:
    """One dict per clip in the library (retired ones included: they may have answers).

    Returns
    -------
    list of dict
        ``clip_id``, catalogue and processing fields, ``retired_at``, ``is_demo``,
        ``served_name`` (file name under the clips folder) and ``feature_values``.
        Ordered by clip id. Rating counts are computed from the trial table, where the
        researcher's filters apply.
    """
    statement = (
        select(
            Clip.id.label("clip_id"),
            *_CLIP_FIELDS,
            Clip.licence,
            Clip.is_demo,
            Clip.retired_at,
            Clip.served_name,
            Clip.duration_s,
            Clip.loudness_after_lufs,
            Clip.true_peak_dbtp,
            ClipFeatures.values.label("feature_values"),
        )
        .outerjoin(ClipFeatures, ClipFeatures.clip_id == Clip.id)
        .order_by(Clip.id)
    )
    return [dict(row) for row in session.execute(statement).mappings()]


def fetch_study_versions(session: Session) -> list[dict]:
    """Every saved study version: ``study_version_id``, ``created_at``, ``note``, ``config``."""
    statement = select(
        StudyVersion.id.label("study_version_id"),
        StudyVersion.created_at,
        StudyVersion.note,
        StudyVersion.config,
    ).order_by(StudyVersion.id)
    return [dict(row) for row in session.execute(statement).mappings()]


def fetch_served_name(session: Session, clip_id: int) -> str | None:
    """The opaque file name of a clip's served audio, or None for an unknown clip."""
    return session.execute(select(Clip.served_name).where(Clip.id == clip_id)).scalar_one_or_none()

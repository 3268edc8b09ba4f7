"""The SQL the experiment's services use: settings versions, participants, trials, responses.

Every function takes an open :class:`sqlalchemy.orm.Session` (from ``core.db.session_scope``) and
never commits or rolls back: the session's owner does. An expected conflict (a duplicate insert
from a second tab or a double submit) is absorbed in a SAVEPOINT and reported by the return
value, so the caller's transaction stays usable. The read-only queries that ``results`` uses live
in :mod:`experiment.records`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CursorResult,
    DateTime,
    String,
    bindparam,
    case,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.schema import Table

from audio import library
from core.i18n import DEFAULT_LANGUAGE
from core.models import (
    Clip,
    ConsentDecline,
    Participant,
    ParticipantDraft,
    Response,
    Study,
    StudyVersion,
    Trial,
    Withdrawal,
    utcnow,
)
from core.vocabulary import Step, TrialKind
from experiment.assignment import ClipInfo, PlannedTrial
from experiment.settings import StudySettings, library_problems, settings_problems

# ----------------------------------------------------------------------------------------------
# Studies

DEFAULT_STUDY_SLUG = "study"


def live_studies(session: Session) -> list[Study]:
    """Every study not deleted, oldest first."""
    return list(session.scalars(select(Study).where(Study.deleted_at.is_(None)).order_by(Study.id)))


def study_by_id(session: Session, study_id: int) -> Study | None:
    """The study ``study_id`` (deleted ones included: their data still exists), or None."""
    return session.get(Study, study_id)


def study_by_slug(session: Session, slug: str) -> Study | None:
    """The live study named ``slug`` in links, or None."""
    return session.scalars(select(Study).where(Study.slug == slug, Study.deleted_at.is_(None))).first()


def slug_taken(session: Session, slug: str) -> bool:
    """Whether any study (deleted ones too: old links must not reach a new study) uses ``slug``."""
    return session.scalar(select(func.count()).select_from(Study).where(Study.slug == slug)) != 0


def add_study(session: Session, slug: str, name: str, settings: StudySettings, *, is_open: bool = True) -> Study | None:
    """Insert a study with ``settings`` as its first version; None when ``slug`` is taken (race lost).

    The inserts run in a SAVEPOINT so a lost race leaves the caller's transaction usable.
    """
    try:
        with session.begin_nested():
            study = Study(slug=slug, name=name, is_open=is_open)
            session.add(study)
            session.flush()
            session.add(StudyVersion(study_id=study.id, config=settings.to_dict(), note="created"))
    except IntegrityError:
        return None
    return study


def mark_study_deleted(session: Session, study_id: int) -> None:
    """Hide a study from links and lists (its rows stay)."""
    session.execute(update(Study).where(Study.id == study_id).values(deleted_at=utcnow()))


def default_study_id(session: Session) -> int:
    """The deployment's default study: the oldest live one, created (with default settings) when there is none.

    A link without ``?study=`` and a command without ``--study`` mean this study. Two processes
    creating it at once agree: the loser's insert fails on the unique slug and it reads the winner's.
    """
    studies = live_studies(session)
    if studies:
        return studies[0].id
    created = add_study(session, DEFAULT_STUDY_SLUG, StudySettings().title, StudySettings())
    if created is not None:
        return created.id
    existing = session.scalars(select(Study).where(Study.slug == DEFAULT_STUDY_SLUG)).first()
    if existing is None or existing.deleted_at is not None:
        raise LookupError("every study of this deployment is deleted; create one (human-touch study new)")
    return existing.id


def _study(session: Session, study_id: int | None) -> int:
    return default_study_id(session) if study_id is None else study_id


def study_is_open(session: Session, study_id: int | None = None) -> bool:
    """Whether ``study_id`` (None: the default study) takes new participants."""
    return bool(session.scalar(select(Study.is_open).where(Study.id == _study(session, study_id))))


def set_study_open(session: Session, study_id: int, is_open: bool) -> None:
    """Open or close ``study_id`` for new participants (no settings version is stored)."""
    session.execute(update(Study).where(Study.id == study_id).values(is_open=is_open))


# ----------------------------------------------------------------------------------------------
# Settings


def current_settings(session: Session, study_id: int | None = None) -> tuple[int, StudySettings]:
    """The settings in force for ``study_id`` (None: the default study) and their version id.

    Stores the defaults as the study's first version if it has none.
    """
    study_id = _study(session, study_id)
    row = session.scalars(
        select(StudyVersion).where(StudyVersion.study_id == study_id).order_by(StudyVersion.id.desc()).limit(1)
    ).first()
    if row is None:
        row = StudyVersion(study_id=study_id, config=StudySettings().to_dict(), note="defaults")
        session.add(row)
        session.flush()
    return row.id, StudySettings.from_dict(row.config)


def study_of_version(session: Session, version_id: int) -> int:
    """The study a settings version belongs to (KeyError if there is no such version)."""
    study_id = session.scalar(select(StudyVersion.study_id).where(StudyVersion.id == version_id))
    if study_id is None:
        raise KeyError(f"no study version {version_id}")
    return int(study_id)


def settings_version(session: Session, version_id: int) -> StudySettings:
    """The settings stored as version ``version_id`` (KeyError if there is no such version)."""
    row = session.get(StudyVersion, version_id)
    if row is None:
        raise KeyError(f"no study version {version_id}")
    return StudySettings.from_dict(row.config)


def save_settings(
    session: Session,
    settings: StudySettings,
    note: str | None = None,
    check_library: bool = True,
    study_id: int | None = None,
) -> int:
    """Validate and store ``settings`` as a new version of ``study_id`` (None: the default study); returns its id.

    Raises
    ------
    ValueError
        Invalid settings, or (with ``check_library``) more trials than the active library
        supports per source. Nothing stored.
    """
    problems = settings_problems(settings)
    if check_library:
        problems += library_problems(settings, study_clip_counts(session, settings))
    if problems:
        raise ValueError("; ".join(problems))
    row = StudyVersion(study_id=_study(session, study_id), config=settings.to_dict(), note=note)
    session.add(row)
    session.flush()
    return row.id


class VersionLockedError(ValueError):
    """A study version that has participants cannot change; save a new version instead."""


def version_participant_count(session: Session, version_id: int) -> int:
    """Real (non-preview) participants who started under ``version_id``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Participant)
            .where(Participant.study_version_id == version_id, Participant.is_preview.is_(False))
        )
        or 0
    )


@event.listens_for(StudyVersion, "before_update")
def _refuse_editing_a_running_version(mapper, connection, target: StudyVersion) -> None:
    """Refuse to change the settings (exclusion rules included) of a version that has participants.

    Its participants were recruited under those settings and the results judge them by its
    exclusion rules, so changing them afterwards would rewrite the preregistration; a change is
    a new version (:func:`save_settings`).
    """
    if not inspect(target).attrs.config.history.has_changes():
        return
    taken = connection.scalar(
        select(func.count()).select_from(Participant).where(Participant.study_version_id == target.id)
    )
    if taken:
        raise VersionLockedError(
            f"study version {target.id} has {taken} participant(s): its settings and exclusion rules are "
            "locked; save the change as a new version"
        )


def settings_history(
    session: Session, study_id: int | None = None
) -> list[tuple[int, datetime, str | None, StudySettings]]:
    """Every stored version of ``study_id`` (None: the default study), newest first.

    Tuples ``(id, created_at, note, settings)``."""
    query = select(StudyVersion).where(StudyVersion.study_id == _study(session, study_id))
    rows = session.scalars(query.order_by(StudyVersion.id.desc())).all()
    return [(r.id, r.created_at, r.note, StudySettings.from_dict(r.config)) for r in rows]


# ----------------------------------------------------------------------------------------------
# Library (read only)


def active_clips(session: Session, settings: StudySettings | None = None) -> list[ClipInfo]:
    """The clips a study plays, as assignment sees them, ordered by id (read through audio.library).

    Every clip that is not retired, or, when ``settings`` selects clips (``clip_ids``), the active
    ones among them.
    """
    chosen = set(settings.clip_ids) if settings is not None and settings.clip_ids else None
    return [
        ClipInfo(clip_id=c.clip_id, source=c.source, pair_id=c.pair_id)
        for c in library.active_clips(session)
        if chosen is None or c.clip_id in chosen
    ]


def study_clip_counts(session: Session, settings: StudySettings) -> dict[str, int]:
    """Clips per source a study with ``settings`` can play: ``{"human": n, "ai": n}`` (every source present)."""
    if not settings.clip_ids:
        return library.active_counts(session)
    counts = {source: 0 for source in library.active_counts(session)}
    for clip in active_clips(session, settings):
        counts[clip.source] = counts.get(clip.source, 0) + 1
    return counts


def clip_has_been_heard(session: Session, clip_id: int) -> bool:
    """True when a participant answered a trial with this clip or was shown it.

    Audio asks this before re-processing a clip (the top-level wiring hands it to
    ``audio.library.use_heard_check``): responses describe the audio as it was heard.
    """
    answered = session.scalar(
        select(func.count())
        .select_from(Response)
        .join(Trial, Response.trial_id == Trial.id)
        .where(Trial.clip_id == clip_id)
    )
    shown = session.scalar(
        select(func.count()).select_from(Trial).where(Trial.clip_id == clip_id, Trial.first_shown_at.is_not(None))
    )
    return bool(answered or shown)


def exposure_counts(
    session: Session, study_id: int | None = None, settings: StudySettings | None = None
) -> dict[int, int]:
    """Main trials stored per clip of the study across its real participants (previews and screened-out excluded).

    Every clip the study plays (:func:`active_clips` under ``settings``) is present (0 when never assigned).
    """
    counts = {clip.clip_id: 0 for clip in active_clips(session, settings)}
    rows = session.execute(
        select(Trial.clip_id, func.count())
        .join(Participant, Participant.id == Trial.participant_id)
        .where(
            Participant.study_id == _study(session, study_id),
            Trial.kind == TrialKind.MAIN,
            Participant.is_preview.is_(False),
            Participant.step != Step.SCREENED_OUT,
        )
        .group_by(Trial.clip_id)
    ).all()
    for clip_id, n in rows:
        if clip_id in counts:
            counts[clip_id] = int(n)
    return counts


def condition_counts(session: Session, study_id: int | None = None) -> dict[str, int]:
    """Real (non-preview) participants of the study randomised to each design condition so far."""
    rows = session.execute(
        select(Participant.condition, func.count())
        .where(
            Participant.study_id == _study(session, study_id),
            Participant.condition.is_not(None),
            Participant.is_preview.is_(False),
        )
        .group_by(Participant.condition)
    ).all()
    return {str(condition): int(n) for condition, n in rows}


def pairing_counts(session: Session, study_id: int | None = None) -> dict[str, int]:
    """Real (non-preview) participants of the study given each pairing type (between participants) so far."""
    rows = session.execute(
        select(Participant.pairing, func.count())
        .where(
            Participant.study_id == _study(session, study_id),
            Participant.pairing.is_not(None),
            Participant.is_preview.is_(False),
        )
        .group_by(Participant.pairing)
    ).all()
    return {str(pairing): int(n) for pairing, n in rows}


# ----------------------------------------------------------------------------------------------
# Participants


def create_participant(
    session: Session,
    *,
    resume_token: str,
    study_version_id: int,
    seed: int,
    step: Step,
    prolific_pid: str | None = None,
    prolific_study_id: str | None = None,
    prolific_session_id: str | None = None,
    is_preview: bool = False,
    language: str = DEFAULT_LANGUAGE,
) -> Participant | None:
    """Insert a consenting participant at ``step``; ``None`` if the Prolific ids already exist (race lost).

    ``language`` is the participant's language code (:data:`core.i18n.LANGUAGES`).

    The insert runs in a SAVEPOINT: on ``None`` only it is undone and the caller's transaction
    goes on.
    """
    participant = Participant(
        resume_token=resume_token,
        study_id=study_of_version(session, study_version_id),
        study_version_id=study_version_id,
        seed=seed,
        consented_at=utcnow(),
        prolific_pid=prolific_pid,
        prolific_study_id=prolific_study_id,
        prolific_session_id=prolific_session_id,
        step=step,
        flags={},
        is_preview=is_preview,
        language=language,
    )
    try:
        with session.begin_nested():
            session.add(participant)
    except IntegrityError:
        return None
    return participant


def participant_by_token(session: Session, token: str) -> Participant | None:
    return session.scalars(select(Participant).where(Participant.resume_token == token)).first()


def participant_by_prolific(
    session: Session, prolific_pid: str, study_id: str | None, our_study_id: int | None = None
) -> Participant | None:
    """The participant of study ``our_study_id`` (None: any) with these Prolific ids.

    ``study_id`` is Prolific's STUDY_ID; None matches a missing one."""
    query = select(Participant).where(Participant.prolific_pid == prolific_pid)
    if our_study_id is not None:
        query = query.where(Participant.study_id == our_study_id)
    if study_id is None:
        query = query.where(Participant.prolific_study_id.is_(None))
    else:
        query = query.where(Participant.prolific_study_id == study_id)
    return session.scalars(query).first()


def erase_identifiers_finished_before(session: Session, study_version_id: int, before: datetime) -> int:
    """Erase the Prolific ids of the version's participants who finished (or, unfinished, consented) before ``before``.

    Returns the number of participants whose ids were erased; their answers stay under the participant number.
    """
    erased = cast(
        CursorResult[Any],
        session.execute(
            update(Participant)
            .where(
                Participant.study_version_id == study_version_id,
                Participant.prolific_pid.isnot(None),
                func.coalesce(Participant.completed_at, Participant.created_at) < before,
            )
            .values(prolific_pid=None, prolific_study_id=None, prolific_session_id=None)
            .execution_options(synchronize_session=False)
        ),
    )
    return int(erased.rowcount or 0)


def record_decline(session: Session, study_version_id: int) -> None:
    """Add one to the decline count of ``study_version_id`` (atomic on both backends)."""
    _count_one(session, ConsentDecline, study_version_id)


def record_withdrawal(session: Session, study_version_id: int) -> None:
    """Add one to the withdrawal count of ``study_version_id`` (atomic on both backends)."""
    _count_one(session, Withdrawal, study_version_id)


def _count_one(session: Session, model: type[ConsentDecline] | type[Withdrawal], study_version_id: int) -> None:
    """Add one to ``model``'s count row of the version, creating the row on the first count."""
    updated = cast(
        CursorResult[Any],
        session.execute(update(model).where(model.study_version_id == study_version_id).values(count=model.count + 1)),
    ).rowcount
    if updated:
        return
    try:
        with session.begin_nested():
            session.add(model(study_version_id=study_version_id, count=1))
            session.flush()
    except IntegrityError:  # a concurrent first count created the row: count on it
        _count_one(session, model, study_version_id)


def draft(session: Session, participant: Participant, name: str) -> dict:
    """The participant's draft ``name`` (progress within an unfinished step); {} when there is none."""
    row = session.get(ParticipantDraft, (participant.id, name))
    return dict(row.value) if row is not None else {}


def save_draft(session: Session, participant: Participant, name: str, value: dict) -> None:
    """Store ``value`` as the participant's draft ``name`` (replacing the previous one)."""
    row = session.get(ParticipantDraft, (participant.id, name))
    if row is None:
        session.add(ParticipantDraft(participant_id=participant.id, name=name, value=value))
    else:
        row.value = value
    session.flush()


def save_screen_draft(session: Session, token: str, name: str, screen: int, value: dict) -> bool:
    """Store ``value`` as the draft ``name`` of the participant with resume ``token``, unless ``screen`` is answered.

    One statement, no participant row loaded (a draft is written at every answer given on a trial
    page, about six times a trial): an INSERT ... SELECT from the participant by token, skipped
    when a response to trial ``screen`` exists, that replaces the draft on conflict. The
    statement is built once per dialect (building and hashing it cost more than running it). A
    change racing the submit of the same screen on PostgreSQL may leave a draft naming the
    answered screen (it waits for the submit's delete, then inserts); such a draft is never
    shown (only the unanswered screen's draft is read back) and the next screen's replaces it.

    Returns
    -------
    bool
        False when nothing was stored (unknown token, or the screen answered already).
    """
    statement = _screen_draft_statement(session.get_bind().dialect.name)
    parameters = {"token": token, "name": name, "screen": screen, "value": value, "updated_at": utcnow()}
    return session.execute(statement, parameters).first() is not None


@functools.cache
def _screen_draft_statement(dialect: str) -> Executable:
    drafts = cast(Table, ParticipantDraft.__table__)
    participants, responses = Participant.__table__, Response.__table__
    answered = select(responses.c.id).where(
        responses.c.participant_id == participants.c.id, responses.c.trial_index == bindparam("screen")
    )
    source = select(
        participants.c.id,
        bindparam("name", type_=String),
        bindparam("value", type_=JSON),
        bindparam("updated_at", type_=DateTime(timezone=True)),
    ).where(participants.c.resume_token == bindparam("token"), ~answered.exists())
    insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_(drafts).from_select(["participant_id", "name", "value", "updated_at"], source)
    statement = statement.on_conflict_do_update(
        index_elements=[drafts.c.participant_id, drafts.c.name],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
    )
    return statement.returning(drafts.c.participant_id)


def drop_draft(session: Session, participant: Participant, name: str) -> None:
    """Delete the participant's draft ``name`` (its step is stored)."""
    session.execute(
        delete(ParticipantDraft).where(ParticipantDraft.participant_id == participant.id, ParticipantDraft.name == name)
    )


def erase_participant(session: Session, participant_id: int) -> int:
    """Delete the participant and everything they gave: responses, trials, then the row (ids included).

    Returns 1, or 0 when someone else erased them first (a double click, another tab).
    """
    session.execute(delete(Response).where(Response.participant_id == participant_id))
    session.execute(delete(Trial).where(Trial.participant_id == participant_id))
    session.execute(delete(ParticipantDraft).where(ParticipantDraft.participant_id == participant_id))
    erased = cast(CursorResult[Any], session.execute(delete(Participant).where(Participant.id == participant_id)))
    return int(erased.rowcount or 0)


def strip_identifiers(session: Session, participant: Participant, new_token: str) -> bool:
    """Erase a participant's Prolific ids and replace the resume token; False when already done (a second click).

    The participant is marked ``flags["withdrew"]`` so the Participants page can say so; the answers stay.
    """
    if (participant.flags or {}).get("withdrew"):
        return False
    participant.prolific_pid = participant.prolific_study_id = participant.prolific_session_id = None
    participant.resume_token = new_token
    participant.flags = {**(participant.flags or {}), "withdrew": True}
    session.flush()
    return True


def participants_by_prolific_pid(session: Session, prolific_pid: str) -> list[Participant]:
    """Every participant with this Prolific participant id (one per Prolific study)."""
    return list(session.scalars(select(Participant).where(Participant.prolific_pid == prolific_pid)).all())


def participant_by_id(session: Session, participant_id: int) -> Participant | None:
    """The participant with this number (the one exports and the Participants page show)."""
    return session.get(Participant, participant_id)


def decline_count(session: Session, study_version_id: int | None = None, study_id: int | None = None) -> int:
    """Declines for one version, or for every version of ``study_id`` (None: the default study)."""
    query = select(func.coalesce(func.sum(ConsentDecline.count), 0))
    if study_version_id is not None:
        query = query.where(ConsentDecline.study_version_id == study_version_id)
    else:
        versions = select(StudyVersion.id).where(StudyVersion.study_id == _study(session, study_id))
        query = query.where(ConsentDecline.study_version_id.in_(versions))
    return int(session.scalar(query) or 0)


# ----------------------------------------------------------------------------------------------
# Trials and responses


def store_trials(
    session: Session, participant: Participant, planned: Sequence[PlannedTrial], nonces: Sequence[str]
) -> list[Trial]:
    """Insert the participant's trial list (``trial_index`` 0..n-1) with the given audio nonces."""
    trials = [
        Trial(participant_id=participant.id, trial_index=i, clip_id=p.clip_id, kind=p.kind, audio_nonce=nonce)
        for i, (p, nonce) in enumerate(zip(planned, nonces, strict=True))
    ]
    session.add_all(trials)
    session.flush()
    return trials


def trials_of(session: Session, participant: Participant) -> list[Trial]:
    """The participant's trials in presentation order."""
    return list(
        session.scalars(select(Trial).where(Trial.participant_id == participant.id).order_by(Trial.trial_index))
    )


def trial_at(session: Session, participant: Participant, trial_index: int) -> Trial | None:
    return session.scalars(
        select(Trial).where(Trial.participant_id == participant.id, Trial.trial_index == trial_index)
    ).first()


def trial_by_nonce(session: Session, participant: Participant, audio_nonce: str) -> Trial | None:
    """The participant's trial with this nonce (None if the nonce is someone else's or unknown)."""
    return session.scalars(
        select(Trial).where(Trial.participant_id == participant.id, Trial.audio_nonce == audio_nonce)
    ).first()


def trials_and_answered(session: Session, participant: Participant) -> tuple[list[Trial], set[int]]:
    """:func:`trials_of` and :func:`answered_indices` in one round trip (what every trial page needs)."""
    rows = session.execute(
        select(Trial, Response.trial_index)
        .outerjoin(Response, Response.trial_id == Trial.id)
        .where(Trial.participant_id == participant.id)
        .order_by(Trial.trial_index)
    ).all()
    return [trial for trial, _answered in rows], {index for _trial, index in rows if index is not None}


def answered_indices(session: Session, participant: Participant) -> set[int]:
    return set(session.scalars(select(Response.trial_index).where(Response.participant_id == participant.id)))


def responses_of(session: Session, participant: Participant) -> dict[int, Response]:
    """The participant's responses by trial index."""
    rows = session.scalars(select(Response).where(Response.participant_id == participant.id))
    return {r.trial_index: r for r in rows}


def lock_participant(session: Session, participant: Participant) -> None:
    """Hold the participant's row for the rest of the transaction (a no-op write).

    Two submits of one participant then run one after the other: a row lock on PostgreSQL, the
    database write lock on SQLite. Call it before :func:`insert_response`: pysqlite opens a
    transaction only at a data-changing statement, so a SAVEPOINT issued first would open the
    transaction itself and commit on release, splitting the answer from the progress written
    with it; after this write the savepoint nests in the caller's transaction as it should.
    """
    session.execute(
        update(Participant).where(Participant.id == participant.id).values(step=Participant.step),
        execution_options={"synchronize_session": False},
    )


def insert_response(session: Session, response: Response) -> bool:
    """Insert ``response``; False if that trial was already answered (a concurrent submit won).

    The insert runs in a SAVEPOINT: on False only it is undone and the caller's transaction goes
    on (call :func:`lock_participant` first, see there).
    """
    try:
        with session.begin_nested():
            session.add(response)
    except IntegrityError:
        return False
    return True


def completed_accuracies(
    session: Session, exclude_participant_id: int | None = None, study_id: int | None = None
) -> list[float]:
    """Main-trial accuracy of every completed real (non-preview, non-simulated) participant of the study."""
    correct = func.sum(case((Response.guess == Clip.source, 1), else_=0))
    query = (
        select(Participant.id, correct, func.count(Response.id))
        .join(Response, Response.participant_id == Participant.id)
        .join(Trial, Trial.id == Response.trial_id)
        .join(Clip, Clip.id == Trial.clip_id)
        .where(
            Participant.study_id == _study(session, study_id),
            Participant.completed_at.is_not(None),
            Participant.is_preview.is_(False),
            Participant.simulated.is_(False),
            Trial.kind == TrialKind.MAIN,
            Response.guess.is_not(None),  # conditions that never ask the source have no score
        )
        .group_by(Participant.id)
    )
    if exclude_participant_id is not None:
        query = query.where(Participant.id != exclude_participant_id)
    return [float(c) / n for _, c, n in session.execute(query).all() if n]


def study_participant_counts(session: Session, study_id: int) -> dict[str, int]:
    """Real (non-preview, non-simulated) participants of a study: ``{"started": n, "completed": n}``."""
    started, completed = session.execute(
        select(func.count(Participant.id), func.count(Participant.completed_at)).where(
            Participant.study_id == study_id, Participant.is_preview.is_(False), Participant.simulated.is_(False)
        )
    ).one()
    return {"started": int(started), "completed": int(completed)}

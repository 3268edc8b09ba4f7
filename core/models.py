"""The schema: one declarative model per table, shared by all three packages.

Tables
------
studies          the studies of this deployment: a name, a short slug for the participant link, and
                 whether it is open for new participants (a state of the study, not a settings version).
study_versions   every saved version of one study's settings (JSON config); the study's newest is
                 in force, and each participant and response records its version.
library_settings every saved version of the clip processing settings (JSON config).
clips            the clip library: processed-file facts, loudness, and catalogue metadata.
clip_features    librosa features of exactly what participants hear (JSON name -> float).
participants     one row per consenting participant: resume token, Prolific ids,
                 questionnaire, screening result, progress, completion, quality flags.
participant_drafts what a participant has done of a step that is not finished yet (the headphone
                 screen's answers so far; the trial page's answers so far and the listening the
                 server accepted), kept across reloads; deleted when the step or answer is stored.
consent_declines a bare count per study version of people who declined consent.
withdrawals      a bare count per study version of participants who withdrew (everything else erased).
trials           the participant's stored trial list (assignment), in presentation order.
responses        one row per answered trial; unique per (participant, trial index), so a
                 double submit cannot create a second row.
clip_blobs       the served bytes of every clip, by content hash, so any app replica with any
                 data folder can serve any clip (files on disk are only a cache).
staff_accounts   named staff accounts: local password hash and/or OIDC identity, admin flag,
                 disabled, and a session epoch whose bump ends every open session of the account.
study_members    an account's role (owner, organiser, researcher) on one study.
staff_invitations one-time invitation links (by the SHA-256 of their token) to set a password.
staff_access_tokens personal access tokens for the command line (by the SHA-256 of the token).
login_failures   failed staff logins (time, client address, account) for throttling.
staff_sessions   staff login sessions and one-time login tickets, by the SHA-256 of their secret,
                 with their account, expiry and revocation, so a refresh on any replica stays logged in.
audit_events     the audit trail: who did what, when, from where, to which study (append only).

Schema changes go through Alembic migrations in ``core/migrations``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware current UTC time (stored as UTC in both SQLite and PostgreSQL)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Study(Base):
    """One study of this deployment. ``slug`` names it in links (``/?study=SLUG``) and on the command line."""

    __tablename__ = "studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when an owner deletes the study: its link stops working and staff lists hide it, but its
    # rows stay (answers are research data; erasing them is withdrawal's job, not a menu click).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Whether new participants may start. A state, not a setting: opening or closing is audited
    # (study.open / study.close) but creates no settings version, so the version in force stays the
    # one the organiser saved (what a preregistration refers to).
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StudyVersion(Base):
    """One saved version of a study's settings; ``config`` is ``experiment.settings.StudySettings`` as JSON."""

    __tablename__ = "study_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    config: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class LibrarySettings(Base):
    """One saved version of the clip processing settings (``audio.processing.ProcessingSettings`` as JSON).

    Owned by the audio package; the newest row is in force. The study's clip length lives here
    because it decides how every clip is cut.
    """

    __tablename__ = "library_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    config: Mapped[dict] = mapped_column(JSON)


class Clip(Base):
    """A processed clip. ``served_name`` is the opaque content-hash file name under ``data/clips``."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # Files. Hashes are hex SHA-256.
    served_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    served_name: Mapped[str] = mapped_column(String(128))
    original_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(128))
    uploaded_filename: Mapped[str | None] = mapped_column(String(255))

    # Processing facts (what participants hear).
    start_offset_s: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[float] = mapped_column(Float)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    codec: Mapped[str] = mapped_column(String(64))
    original_duration_s: Mapped[float | None] = mapped_column(Float)
    original_sample_rate: Mapped[int | None] = mapped_column(Integer)
    original_channels: Mapped[int | None] = mapped_column(Integer)
    loudness_before_lufs: Mapped[float | None] = mapped_column(Float)
    loudness_after_lufs: Mapped[float | None] = mapped_column(Float)
    true_peak_dbtp: Mapped[float | None] = mapped_column(Float)
    loudness_flag: Mapped[str | None] = mapped_column(Text)
    processing: Mapped[dict] = mapped_column(JSON, default=dict)

    # Catalogue metadata (never sent to a participant before the debrief).
    source: Mapped[str] = mapped_column(String(8))  # "human" | "ai"
    title: Mapped[str | None] = mapped_column(String(300))
    creator: Mapped[str | None] = mapped_column(String(300))
    ai_system: Mapped[str | None] = mapped_column(String(200))
    ai_version: Mapped[str | None] = mapped_column(String(100))
    prompt: Mapped[str | None] = mapped_column(Text)
    genre: Mapped[str | None] = mapped_column(String(100))
    vocals: Mapped[str | None] = mapped_column(String(16))  # "vocal" | "instrumental"
    pair_id: Mapped[str | None] = mapped_column(String(100))
    licence: Mapped[str | None] = mapped_column(String(200))
    provenance: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    features: Mapped[ClipFeatures | None] = relationship(back_populates="clip", uselist=False)


class ClipFeatures(Base):
    """librosa features of the served audio; ``values`` maps feature name to a float."""

    __tablename__ = "clip_features"

    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True)
    extractor_version: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    values: Mapped[dict] = mapped_column(JSON)

    clip: Mapped[Clip] = relationship(back_populates="features")


class PairOverride(Base):
    """An organiser's choice of the AI clip paired with a human clip in similarity pairing (audio.pairing).

    Each clip is in at most one override; the other clips are matched around them.
    """

    __tablename__ = "pair_overrides"

    human_clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True)
    ai_clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), unique=True)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Participant(Base):
    """A participant who consented. The resume token is random, never derived from a Prolific id."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("prolific_pid", "prolific_study_id", name="uq_participant_prolific"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resume_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The study (also reachable through the version): stored so that every per-study count is one
    # indexed filter rather than a join, e.g. exposure balancing at each arrival.
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    study_version_id: Mapped[int] = mapped_column(ForeignKey("study_versions.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    consented_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    prolific_pid: Mapped[str | None] = mapped_column(String(64))
    prolific_study_id: Mapped[str | None] = mapped_column(String(64))
    prolific_session_id: Mapped[str | None] = mapped_column(String(64))

    seed: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32), default="questionnaire")
    questionnaire: Mapped[dict | None] = mapped_column(JSON)
    screening: Mapped[dict | None] = mapped_column(JSON)
    screening_passed: Mapped[bool | None] = mapped_column(Boolean)
    practice_done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completion_code: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[dict] = mapped_column(JSON, default=dict)
    # A staff member trying the study from the preview page: same code path as a real
    # participant, but excluded from exposure counts, scores and every result.
    is_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language (core.i18n.LANGUAGES) of the consent page; the whole journey is shown in it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # The design condition (core.vocabulary.Condition), drawn when the trial list is stored.
    condition: Mapped[str | None] = mapped_column(String(16))
    # Paired studies with pairing type between participants: "similar" or "random" (drawn with the trials).
    pairing: Mapped[str | None] = mapped_column(String(8))
    # The one answer to "What made you think so?" when a study asks it once after the last clip
    # (experiment.reasons); a reason asked after each guess is stored on the response instead.
    reason: Mapped[str | None] = mapped_column(Text)
    # Made by ``human-touch demo participants`` (experiment.simulate) through the real services so
    # that a demo shows filled results; left out of results and exports unless asked for.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    trials: Mapped[list[Trial]] = relationship(back_populates="participant", order_by="Trial.trial_index")


class ConsentDecline(Base):
    """How many people declined consent, per study version; nothing else about them is stored."""

    __tablename__ = "consent_declines"

    study_version_id: Mapped[int] = mapped_column(ForeignKey("study_versions.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ParticipantDraft(Base):
    """Progress within an unfinished step, by name (e.g. "audio_check"), so a reload resumes it.

    ``value`` is the step's own JSON (for the audio check: calibrated, answers so far). The
    finished step is stored on the participant as before and its draft deleted.
    """

    __tablename__ = "participant_drafts"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Withdrawal(Base):
    """How many participants withdrew, per study version; everything else about them was erased."""

    __tablename__ = "withdrawals"

    study_version_id: Mapped[int] = mapped_column(ForeignKey("study_versions.id"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Trial(Base):
    """One entry of a participant's stored trial list, in presentation order (``trial_index`` from 0).

    ``kind`` is "practice", "main", "attention" or "repeat". ``audio_nonce`` is a random
    per-participant, per-trial handle used in the browser instead of any clip identifier.
    ``first_shown_at`` is when the clip was first sent to the browser; ``listen_met_at`` when the
    listening requirement was met, as accepted by the server (see :mod:`experiment.listening`).
    """

    __tablename__ = "trials"
    __table_args__ = (UniqueConstraint("participant_id", "trial_index", name="uq_trial_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    trial_index: Mapped[int] = mapped_column(Integer)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id"))
    kind: Mapped[str] = mapped_column(String(16), default="main")
    audio_nonce: Mapped[str] = mapped_column(String(64), unique=True)
    first_shown_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    listen_met_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Labelled condition only: the source announced before the clip ("human" | "ai") and how it
    # was chosen (core.vocabulary.LabelMode); None in every other condition.
    label_shown: Mapped[str | None] = mapped_column(String(8))
    label_mode: Mapped[str | None] = mapped_column(String(8))
    # Paired (2AFC) trials only: the pair's number (1-based, in presentation order) and the clip's
    # place in it (1 = heard first, 2 = second); None for single-clip trials and the practice.
    pair_trial: Mapped[int | None] = mapped_column(Integer)
    pair_position: Mapped[int | None] = mapped_column(Integer)
    # Paired studies with a pairing design: how the pair was made, "similar" or "random" (issue 26).
    pairing: Mapped[str | None] = mapped_column(String(8))

    participant: Mapped[Participant] = relationship(back_populates="trials")
    clip: Mapped[Clip] = relationship()
    response: Mapped[Response | None] = relationship(back_populates="trial", uselist=False)


class Response(Base):
    """The answer to one trial, stored once. Ratings are integers on the study's scales.

    valence, arousal: 1..9 self-assessment manikin scales (felt emotion).
    moved, liking: 1..9 (configurable in the study settings, recorded as given).
    confidence: 1..6, 1 = "sure human" ... 6 = "sure AI"; ``guess`` is derived ("human" if <= 3).
    Timings in milliseconds, listening in seconds.
    """

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("participant_id", "trial_index", name="uq_response_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id", ondelete="CASCADE"), unique=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    trial_index: Mapped[int] = mapped_column(Integer)
    study_version_id: Mapped[int] = mapped_column(ForeignKey("study_versions.id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    valence: Mapped[int | None] = mapped_column(Integer)
    arousal: Mapped[int | None] = mapped_column(Integer)
    moved: Mapped[int | None] = mapped_column(Integer)
    liking: Mapped[int | None] = mapped_column(Integer)
    guess: Mapped[str | None] = mapped_column(String(8))  # "human" | "ai"
    confidence: Mapped[int | None] = mapped_column(Integer)
    familiar: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    # The answer to "What made you think so?" after the guess (paired: on both clips of the pair).
    reason: Mapped[str | None] = mapped_column(Text)
    attention_answer: Mapped[str | None] = mapped_column(String(64))
    # Paired (2AFC) trials: the one answer "which one was made by AI?" - the position chosen (1 or 2)
    # and how sure (1 = guessing .. 3 = sure) - kept on the responses of both clips of the pair.
    pair_choice: Mapped[int | None] = mapped_column(Integer)
    pair_confidence: Mapped[int | None] = mapped_column(Integer)

    plays: Mapped[int] = mapped_column(Integer, default=0)
    pauses: Mapped[int] = mapped_column(Integer, default=0)
    seeks: Mapped[int] = mapped_column(Integer, default=0)
    listened_s: Mapped[float] = mapped_column(Float, default=0.0)
    time_to_first_play_ms: Mapped[int | None] = mapped_column(Integer)
    time_to_answer_ms: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)

    trial: Mapped[Trial] = relationship(back_populates="response")


class ClipBlob(Base):
    """The served bytes of one clip, keyed by their SHA-256 (``Clip.served_sha256``).

    Kept in the database rather than only in the data folder because every replica must be able to
    serve every clip; a replica caches the bytes in memory and on disk after the first read.
    """

    __tablename__ = "clip_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    byte_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffAccount(Base):
    """A named staff account: a local password (scrypt hash), an OIDC identity (``st.login``), or both.

    Accounts are disabled, never deleted (the audit trail and memberships keep pointing at them).
    ``session_epoch`` is copied into a login when it starts; bumping it (log-out, password change,
    disabling, a role change) ends every open session of the account at its next script run.
    """

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(Text)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class StudyMember(Base):
    """One account's role on one study (``core.access.Role``); at most one row per pair."""

    __tablename__ = "study_members"
    __table_args__ = (UniqueConstraint("study_id", "account_id", name="uq_study_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class StaffInvitation(Base):
    """A one-time link (``/staff?invite=TOKEN``) with which an invited account sets its password."""

    __tablename__ = "staff_invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffAccessToken(Base):
    """A personal access token for the command line (``HUMAN_TOUCH_TOKEN``); only its SHA-256 is kept."""

    __tablename__ = "staff_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed staff login: when, from which client address, against which account (if one exists).

    Stored *before* the password is checked (and deleted again when it was right), so parallel
    guesses each see the others and all count.
    """

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)


class StaffSession(Base):
    """A staff login session (``kind`` "session") or the one-time ticket that creates one ("ticket").

    Only the SHA-256 of the secret is stored: the database never holds a usable cookie. A session
    made from a ticket records the ticket's hash in ``parent``, so the Streamlit session that
    issued the ticket can revoke the session at logout without ever having seen its secret.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    parent: Mapped[str | None] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    client: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One entry of the audit trail (append only; nothing updates or deletes a row).

    ``actor`` is the account's name at the time ("cli" for the command line, "system" for start-up
    and maintenance), kept as text so the trail survives a deleted account; ``account_id`` links to
    the account while it exists. ``study_id`` is None for server-wide events (accounts, logins, the
    shared clip library). ``detail`` holds the action's facts, e.g. a settings diff
    ``{"changes": {"n_trials": [12, 16]}}``.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(Integer)
    client: Mapped[str | None] = mapped_column(String(64))
    study_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

"""Every SQL query of core's own tables: staff accounts and roles, failed logins, staff sessions, studies (read)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import (
    AuditEvent,
    LoginFailure,
    StaffAccessToken,
    StaffAccount,
    StaffInvitation,
    StaffSession,
    Study,
    StudyMember,
)

# ----------------------------------------------------------------------------------------------
# Accounts


def account(session: Session, account_id: int) -> StaffAccount | None:
    """The account with ``account_id`` (a primary-key read: cheap enough for every script run)."""
    return session.get(StaffAccount, account_id)


def account_by_username(session: Session, username: str) -> StaffAccount | None:
    """The account named ``username`` (compared in lower case), or None."""
    return session.scalars(select(StaffAccount).where(StaffAccount.username == username.strip().lower())).first()


def account_by_identity(session: Session, subject: str | None, email: str | None) -> StaffAccount | None:
    """The account of an OIDC identity: by its subject, else by its e-mail address."""
    if subject:
        found = session.scalars(select(StaffAccount).where(StaffAccount.oidc_subject == subject)).first()
        if found is not None:
            return found
    if email:
        return session.scalars(select(StaffAccount).where(StaffAccount.email == email.strip().lower())).first()
    return None


def accounts(session: Session) -> list[StaffAccount]:
    """Every account, by username."""
    return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def count_accounts(session: Session, with_oidc: bool = False) -> int:
    """How many accounts exist (only those with an OIDC identity, when ``with_oidc``)."""
    query = select(func.count(StaffAccount.id))
    if with_oidc:
        query = query.where(StaffAccount.oidc_subject.is_not(None))
    return int(session.scalar(query) or 0)


def add_account(session: Session, username: str, **fields) -> StaffAccount | None:
    """Create an account; None when the username (or identity) is taken, e.g. by a racing process.

    The insert runs in a SAVEPOINT so that losing the race leaves the caller's transaction usable.
    """
    row = StaffAccount(username=username.strip().lower(), **fields)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def end_account_sessions(session: Session, account_id: int, now: datetime) -> None:
    """End every open session of an account: bump its epoch (open websockets) and revoke its cookies."""
    session.execute(
        update(StaffAccount).where(StaffAccount.id == account_id).values(session_epoch=StaffAccount.session_epoch + 1)
    )
    session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# ----------------------------------------------------------------------------------------------
# Studies (read only: experiment owns them) and memberships


def study_by_slug(session: Session, slug: str) -> Study | None:
    """The (not deleted) study whose slug is ``slug``."""
    return session.scalars(select(Study).where(Study.slug == slug, Study.deleted_at.is_(None))).first()


def live_study_ids(session: Session) -> list[int]:
    """Ids of every study not deleted, oldest first."""
    return list(session.scalars(select(Study.id).where(Study.deleted_at.is_(None)).order_by(Study.id)))


def member_role(session: Session, study_id: int, account_id: int) -> str | None:
    """The role of an account on a study, or None when it is no member."""
    return session.scalar(
        select(StudyMember.role).where(StudyMember.study_id == study_id, StudyMember.account_id == account_id)
    )


def member_study_ids(session: Session, account_id: int) -> list[int]:
    """The (not deleted) studies an account is a member of, oldest first."""
    query = (
        select(Study.id)
        .join(StudyMember, StudyMember.study_id == Study.id)
        .where(StudyMember.account_id == account_id, Study.deleted_at.is_(None))
        .order_by(Study.id)
    )
    return list(session.scalars(query))


def member_roles(session: Session, account_id: int) -> set[str]:
    """Every role an account holds on some (not deleted) study."""
    query = (
        select(StudyMember.role)
        .join(Study, Study.id == StudyMember.study_id)
        .where(StudyMember.account_id == account_id, Study.deleted_at.is_(None))
    )
    return set(session.scalars(query))


def account_roles(session: Session, account_id: int) -> list[tuple[str, str]]:
    """(study slug, role) of every (not deleted) study an account is a member of."""
    query = (
        select(Study.slug, StudyMember.role)
        .join(StudyMember, StudyMember.study_id == Study.id)
        .where(StudyMember.account_id == account_id, Study.deleted_at.is_(None))
        .order_by(Study.slug)
    )
    return [(slug, role) for slug, role in session.execute(query).all()]


def members(session: Session, study_id: int) -> list[tuple[StaffAccount, str]]:
    """(account, role) of every member of a study, by username."""
    query = (
        select(StaffAccount, StudyMember.role)
        .join(StudyMember, StudyMember.account_id == StaffAccount.id)
        .where(StudyMember.study_id == study_id)
        .order_by(StaffAccount.username)
    )
    return [(row, role) for row, role in session.execute(query).all()]


def set_member_role(session: Session, study_id: int, account_id: int, role: str | None) -> str | None:
    """Give an account ``role`` on a study (None removes it); returns the role it had before."""
    row = session.scalars(
        select(StudyMember).where(StudyMember.study_id == study_id, StudyMember.account_id == account_id)
    ).first()
    before = row.role if row else None
    if row is not None and role is None:
        session.delete(row)
    elif row is not None and role is not None:
        row.role = role
    elif role is not None:
        session.add(StudyMember(study_id=study_id, account_id=account_id, role=role))
    session.flush()
    return before


def count_role(session: Session, study_id: int, role: str) -> int:
    """How many members of a study hold ``role``."""
    query = select(func.count(StudyMember.id)).where(StudyMember.study_id == study_id, StudyMember.role == role)
    return int(session.scalar(query) or 0)


# ----------------------------------------------------------------------------------------------
# Invitations and personal access tokens (by the SHA-256 of their secret)


def add_invitation(session: Session, token_hash: str, account_id: int, expires_at: datetime) -> None:
    """Store a one-time invitation for an account."""
    session.add(StaffInvitation(token_hash=token_hash, account_id=account_id, expires_at=expires_at))


def use_invitation(session: Session, token_hash: str, now: datetime) -> int | None:
    """Mark an unexpired, unused invitation as used; its account id for the one caller that did so."""
    account_id = session.scalar(
        update(StaffInvitation)
        .where(
            StaffInvitation.token_hash == token_hash,
            StaffInvitation.used_at.is_(None),
            StaffInvitation.expires_at > now,
        )
        .values(used_at=now)
        .returning(StaffInvitation.account_id)
    )
    return int(account_id) if account_id is not None else None


def add_access_token(session: Session, token_hash: str, account_id: int, label: str) -> None:
    """Store a personal access token of an account."""
    session.add(StaffAccessToken(token_hash=token_hash, account_id=account_id, label=label[:100]))


def access_token_account(session: Session, token_hash: str) -> StaffAccount | None:
    """The account of an unrevoked access token, or None."""
    token = session.get(StaffAccessToken, token_hash)
    if token is None or token.revoked_at is not None:
        return None
    return session.get(StaffAccount, token.account_id)


def revoke_access_tokens(session: Session, account_id: int, now: datetime) -> int:
    """Revoke every access token of an account; returns how many."""
    result = session.execute(
        update(StaffAccessToken)
        .where(StaffAccessToken.account_id == account_id, StaffAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ----------------------------------------------------------------------------------------------
# Failed logins and sessions


def record_login_failure(session: Session, client: str, account_id: int | None, at: datetime) -> int:
    """Store one failed staff login from ``client`` (an address) against an account; returns its id."""
    row = LoginFailure(client=client[:64], account_id=account_id, at=at)
    session.add(row)
    session.flush()
    return row.id


def forget_login_failure(session: Session, failure_id: int) -> None:
    """Delete one failed-login row (the attempt turned out to be right)."""
    session.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))


def forget_login_failures_before(session: Session, before: datetime) -> int:
    """Delete failed staff logins (their client addresses) older than ``before``; returns how many."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def login_failures_since(
    session: Session,
    since: datetime,
    *,
    client: str | None = None,
    account_id: int | None = None,
    excluding: int | None = None,
) -> tuple[int, datetime | None]:
    """Failed logins at or after ``since`` (from ``client`` / against ``account_id``, or all): (count, newest).

    ``excluding`` leaves out one row: the attempt being judged, already stored.
    """
    query = select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(LoginFailure.at >= since)
    if client is not None:
        query = query.where(LoginFailure.client == client[:64])
    if account_id is not None:
        query = query.where(LoginFailure.account_id == account_id)
    if excluding is not None:
        query = query.where(LoginFailure.id != excluding)
    count, newest = session.execute(query).one()
    return int(count), newest


def add_staff_session(
    session: Session,
    token_hash: str,
    kind: str,
    expires_at: datetime,
    parent: str | None,
    client: str | None,
    account_id: int | None,
) -> None:
    """Store a staff session or login ticket of an account by the hash of its secret."""
    session.add(
        StaffSession(
            token_hash=token_hash,
            kind=kind,
            parent=parent,
            client=(client or "")[:64] or None,
            expires_at=expires_at,
            account_id=account_id,
        )
    )


def session_account(session: Session, token_hash: str) -> int | None:
    """The account a staff session or login ticket belongs to."""
    row = session.get(StaffSession, token_hash)
    return row.account_id if row is not None else None


def consume_ticket(session: Session, token_hash: str, now: datetime) -> bool:
    """Mark an unexpired, unused login ticket as used; True only for the one caller that did so.

    A single conditional UPDATE, so two requests racing with the same ticket cannot both win.
    """
    result = session.execute(
        update(StaffSession)
        .where(
            StaffSession.token_hash == token_hash,
            StaffSession.kind == "ticket",
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > now,
        )
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def staff_session(session: Session, token_hash: str) -> StaffSession | None:
    """The staff session stored under ``token_hash`` (tickets are not sessions), or None."""
    row = session.get(StaffSession, token_hash)
    return row if row is not None and row.kind == "session" else None


def revoke_staff_sessions(session: Session, now: datetime, token_hash: str | None = None) -> int:
    """Revoke one session (by its hash or its ticket's hash), or every session when None; the count."""
    query = update(StaffSession).where(StaffSession.revoked_at.is_(None))
    if token_hash is not None:
        query = query.where(or_(StaffSession.token_hash == token_hash, StaffSession.parent == token_hash))
    result = session.execute(query.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0) or 0)


def forget_expired_staff_sessions(session: Session, before: datetime) -> None:
    """Delete sessions and tickets that expired before ``before`` (kept a while to explain expiry)."""
    session.execute(delete(StaffSession).where(StaffSession.expires_at < before))


def study_names(session: Session, study_ids: list[int]) -> dict[int, str]:
    """``{id: "name (slug)"}`` of the given studies, for pickers."""
    if not study_ids:
        return {}
    rows = session.execute(select(Study.id, Study.name, Study.slug).where(Study.id.in_(study_ids))).all()
    return {sid: f"{name} ({slug})" for sid, name, slug in rows}


def audit_events(session: Session, study_id: int | None = None, limit: int | None = None) -> list[AuditEvent]:
    """Audit events, newest first: one study's (``study_id``) or all (None), at most ``limit``."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if study_id is not None:
        query = query.where(AuditEvent.study_id == study_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))

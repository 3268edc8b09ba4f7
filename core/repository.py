"""Every SQL query of core's own tables: the staff credential, failed staff logins, staff sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import LoginFailure, StaffCredential, StaffSession, utcnow

_CREDENTIAL_ID = 1  # the one row: a fixed key makes a second "first" credential impossible


def staff_hash(session: Session) -> str | None:
    """The staff password hash stored in this database, or None."""
    row = session.get(StaffCredential, _CREDENTIAL_ID)
    return row.password_hash if row else None


def create_staff_hash(session: Session, password_hash: str) -> bool:
    """Store the first staff credential; False when one exists already (another process won).

    The insert runs in a SAVEPOINT so that losing the race leaves the caller's transaction usable.
    """
    try:
        with session.begin_nested():
            session.add(StaffCredential(id=_CREDENTIAL_ID, password_hash=password_hash))
    except IntegrityError:
        return False
    return True


def replace_staff_hash(session: Session, password_hash: str) -> None:
    """Set the staff credential, replacing any earlier one."""
    row = session.get(StaffCredential, _CREDENTIAL_ID)
    if row is None:
        session.add(StaffCredential(id=_CREDENTIAL_ID, password_hash=password_hash))
    else:
        row.password_hash = password_hash
        row.updated_at = utcnow()


def record_login_failure(session: Session, client: str, at: datetime) -> None:
    """Store one failed staff login from ``client`` (an address, at most 64 characters)."""
    session.add(LoginFailure(client=client[:64], at=at))


def forget_login_failures_before(session: Session, before: datetime) -> int:
    """Delete failed staff logins (their client addresses) older than ``before``; returns how many."""
    result = session.execute(delete(LoginFailure).where(LoginFailure.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def login_failures_since(session: Session, since: datetime, client: str | None = None) -> tuple[int, datetime | None]:
    """Failed logins at or after ``since`` (from ``client``, or from anyone): (count, newest time)."""
    query = select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(LoginFailure.at >= since)
    if client is not None:
        query = query.where(LoginFailure.client == client[:64])
    count, newest = session.execute(query).one()
    return int(count), newest


def add_staff_session(
    session: Session, token_hash: str, kind: str, expires_at: datetime, parent: str | None, client: str | None
) -> None:
    """Store a staff session or login ticket by the hash of its secret."""
    session.add(
        StaffSession(
            token_hash=token_hash, kind=kind, parent=parent, client=(client or "")[:64] or None, expires_at=expires_at
        )
    )


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

"""Every SQL query of core's own tables: the staff credential and failed staff logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.models import LoginFailure, StaffCredential, utcnow

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


def login_failures_since(session: Session, since: datetime, client: str | None = None) -> tuple[int, datetime | None]:
    """Failed logins at or after ``since`` (from ``client``, or from anyone): (count, newest time)."""
    query = select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(LoginFailure.at >= since)
    if client is not None:
        query = query.where(LoginFailure.client == client[:64])
    count, newest = session.execute(query).one()
    return int(count), newest

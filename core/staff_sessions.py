"""Staff login sessions that survive a page refresh (no Streamlit here).

A Streamlit session lives in one websocket: a refresh opens a new one and forgets who logged in.
The login is therefore also kept in an HttpOnly cookie, set by a small HTTP route
(:mod:`core.staff_routes`) because Python in a Streamlit script cannot set cookies:

1. The password is checked in the Streamlit session (throttled, :func:`core.auth.attempt_login`),
   which then issues a one-time **ticket** (:func:`issue_ticket`, valid 60 s).
2. The browser posts the ticket to the route, which exchanges it for a **session token**
   (:func:`exchange_ticket`) and sets it as the cookie ``ht_staff_session``: HttpOnly (page scripts
   never see it), ``SameSite=Strict``, ``Secure`` over https, expiring with the session.
3. Every script run of a new Streamlit session reads the cookie (``st.context.cookies``) and
   checks it here (:func:`check_session`): unknown, expired and revoked tokens are told apart so
   the login page can say why it is shown.

Tokens and tickets are 256-bit random secrets; the database keeps only their SHA-256, so a copy
of the database opens no session. Sessions live in the database, so any replica accepts them,
logging out revokes one on the server (the cookie alone is then worthless), and setting a new
account's password (or any other change that ends its sessions, see
:func:`core.repository.end_account_sessions`) revokes them all.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core import audit, db, repository
from core.models import utcnow

SESSION_COOKIE = "ht_staff_session"
TICKET_TTL = timedelta(seconds=60)
DEFAULT_SESSION_HOURS = 8.0  # one working day; a stolen laptop's cookie dies overnight
_KEEP_EXPIRED = timedelta(days=7)  # long enough to say "expired" rather than "unknown"


class SessionStatus(StrEnum):
    """What a session cookie amounts to."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SessionCheck:
    """The status of one session token and, when valid, when it expires (UTC)."""

    status: SessionStatus
    expires_at: datetime | None = None
    account_id: int | None = None


def session_lifetime() -> timedelta:
    """How long a staff login lasts: ``HUMAN_TOUCH_STAFF_SESSION_HOURS`` (default 8 h, at most 7 days)."""
    try:
        hours = float(os.environ.get("HUMAN_TOUCH_STAFF_SESSION_HOURS", DEFAULT_SESSION_HOURS))
    except ValueError:
        hours = DEFAULT_SESSION_HOURS
    return timedelta(hours=min(max(hours, 0.01), 24.0 * 7))


def token_hash(secret: str) -> str:
    """The stored form of a token or ticket: hex SHA-256 of its UTF-8 text (64 characters)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def issue_ticket(account_id: int | None, client: str | None = None, now: datetime | None = None) -> str:
    """A one-time login ticket for an account whose password was just checked; valid :data:`TICKET_TTL`."""
    now = now or utcnow()
    ticket = secrets.token_urlsafe(32)
    with db.session_scope() as session:
        repository.add_staff_session(session, token_hash(ticket), "ticket", now + TICKET_TTL, None, client, account_id)
    return ticket


def exchange_ticket(ticket: str, client: str | None = None, now: datetime | None = None) -> tuple[str, datetime] | None:
    """Use a ticket once: return a new session token and its expiry, or None for a bad/used/old ticket."""
    now = now or utcnow()
    if not ticket or len(ticket) > 128:
        return None
    parent = token_hash(ticket)
    token = secrets.token_urlsafe(32)
    expires = now + session_lifetime()
    with db.session_scope() as session:
        if not repository.consume_ticket(session, parent, now):
            return None
        account_id = repository.session_account(session, parent)
        repository.add_staff_session(session, token_hash(token), "session", expires, parent, client, account_id)
        repository.forget_expired_staff_sessions(session, now - _KEEP_EXPIRED)
    return token, expires


def check_session(token: str | None, now: datetime | None = None) -> SessionCheck:
    """Whether ``token`` (a cookie's value) is a live staff session."""
    if not isinstance(token, str) or not token or len(token) > 128:
        return SessionCheck(SessionStatus.UNKNOWN)
    now = now or utcnow()
    with db.session_scope() as session:
        row = repository.staff_session(session, token_hash(token))
        if row is None:
            return SessionCheck(SessionStatus.UNKNOWN)
        if row.revoked_at is not None or row.account_id is None:
            return SessionCheck(SessionStatus.REVOKED)
        expires, account_id = _as_utc(row.expires_at), row.account_id
    if expires <= now:
        return SessionCheck(SessionStatus.EXPIRED)
    return SessionCheck(SessionStatus.VALID, expires, account_id)


def revoke(secret: str, client: str | None = None, now: datetime | None = None) -> None:
    """Log out: end every session of the account that ``secret`` (a session token or its ticket) belongs to.

    Every open tab and browser of the account is logged out at its next script run, not only
    this one: whoever logs out because a laptop was left open means all of them.
    """
    if not secret:
        return
    now = now or utcnow()
    with db.session_scope() as session:
        account_id = repository.session_account(session, token_hash(secret))
        if account_id is None:
            repository.revoke_staff_sessions(session, now, token_hash(secret))
            return
        repository.end_account_sessions(session, account_id, now)
        row = repository.account(session, account_id)
        name = row.username if row is not None else "?"
        audit.record(session, audit.Actor(name, account_id, client), "logout")

"""Staff sessions: a ticket is used once, sessions expire and are revoked, only hashes are stored."""

from datetime import timedelta

from core import auth, db, staff_sessions
from core.models import utcnow
from core.staff_sessions import SessionStatus


def test_a_ticket_makes_one_session_and_only_once(data_env):
    db.migrate()
    ticket = staff_sessions.issue_ticket("10.0.0.1")
    token, expires = staff_sessions.exchange_ticket(ticket, "10.0.0.1")
    assert staff_sessions.exchange_ticket(ticket) is None  # used
    check = staff_sessions.check_session(token)
    assert check.status is SessionStatus.VALID and check.expires_at == expires
    assert staff_sessions.check_session(ticket).status is SessionStatus.UNKNOWN  # a ticket is no session
    assert staff_sessions.check_session("made-up").status is SessionStatus.UNKNOWN


def test_an_old_ticket_is_refused_and_a_session_expires(data_env):
    db.migrate()
    now = utcnow()
    stale = staff_sessions.issue_ticket(now=now - staff_sessions.TICKET_TTL - timedelta(seconds=1))
    assert staff_sessions.exchange_ticket(stale, now=now) is None
    token, expires = staff_sessions.exchange_ticket(staff_sessions.issue_ticket(now=now), now=now)
    assert staff_sessions.check_session(token, now=expires - timedelta(seconds=1)).status is SessionStatus.VALID
    assert staff_sessions.check_session(token, now=expires).status is SessionStatus.EXPIRED


def test_logout_by_ticket_revokes_the_session_made_from_it_and_a_new_password_revokes_all(data_env):
    db.migrate()
    first_ticket = staff_sessions.issue_ticket()
    first, _ = staff_sessions.exchange_ticket(first_ticket)
    second, _ = staff_sessions.exchange_ticket(staff_sessions.issue_ticket())
    staff_sessions.revoke(first_ticket)  # the Streamlit session that logged in knows only its ticket
    assert staff_sessions.check_session(first).status is SessionStatus.REVOKED
    assert staff_sessions.check_session(second).status is SessionStatus.VALID
    auth.set_staff_password("a new one")
    assert staff_sessions.check_session(second).status is SessionStatus.REVOKED


def test_the_database_never_holds_a_usable_token(data_env):
    db.migrate()
    ticket = staff_sessions.issue_ticket()
    token, _ = staff_sessions.exchange_ticket(ticket)
    from sqlalchemy import text

    with db.session_scope() as session:
        stored = " ".join(str(v) for row in session.execute(text("SELECT * FROM staff_sessions")) for v in row)
    assert token not in stored and ticket not in stored
    assert staff_sessions.token_hash(token) in stored


def test_the_session_lifetime_is_configurable_within_bounds(monkeypatch):
    monkeypatch.setenv("HUMAN_TOUCH_STAFF_SESSION_HOURS", "2")
    assert staff_sessions.session_lifetime() == timedelta(hours=2)
    monkeypatch.setenv("HUMAN_TOUCH_STAFF_SESSION_HOURS", "100000")
    assert staff_sessions.session_lifetime() == timedelta(days=7)
    monkeypatch.setenv("HUMAN_TOUCH_STAFF_SESSION_HOURS", "soon")
    assert staff_sessions.session_lifetime() == timedelta(hours=staff_sessions.DEFAULT_SESSION_HOURS)

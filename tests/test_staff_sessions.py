"""Staff sessions: a ticket is used once, sessions expire and are revoked, only hashes are stored."""

from datetime import timedelta

from core import auth, db, staff_sessions
from core.models import utcnow
from core.staff_sessions import SessionStatus
from tests.staff_accounts import make_account


def test_a_ticket_makes_one_session_and_only_once(data_env):
    db.migrate()
    admin = make_account()
    ticket = staff_sessions.issue_ticket(admin, "10.0.0.1")
    token, expires = staff_sessions.exchange_ticket(ticket, "10.0.0.1")
    assert staff_sessions.exchange_ticket(ticket) is None  # used
    check = staff_sessions.check_session(token)
    assert check.status is SessionStatus.VALID and check.expires_at == expires and check.account_id == admin
    assert staff_sessions.check_session(ticket).status is SessionStatus.UNKNOWN  # a ticket is no session
    assert staff_sessions.check_session("made-up").status is SessionStatus.UNKNOWN


def test_an_old_ticket_is_refused_and_a_session_expires(data_env):
    db.migrate()
    admin = make_account()
    now = utcnow()
    stale = staff_sessions.issue_ticket(admin, now=now - staff_sessions.TICKET_TTL - timedelta(seconds=1))
    assert staff_sessions.exchange_ticket(stale, now=now) is None
    token, expires = staff_sessions.exchange_ticket(staff_sessions.issue_ticket(admin, now=now), now=now)
    assert staff_sessions.check_session(token, now=expires - timedelta(seconds=1)).status is SessionStatus.VALID
    assert staff_sessions.check_session(token, now=expires).status is SessionStatus.EXPIRED


def test_logout_ends_every_session_of_the_account_and_a_new_password_too(data_env):
    db.migrate()
    alice, bob = make_account("alice"), make_account("bob")
    first_ticket = staff_sessions.issue_ticket(alice)
    first, _ = staff_sessions.exchange_ticket(first_ticket)
    elsewhere, _ = staff_sessions.exchange_ticket(staff_sessions.issue_ticket(alice))  # another browser
    bobs, _ = staff_sessions.exchange_ticket(staff_sessions.issue_ticket(bob))
    staff_sessions.revoke(first_ticket)  # the Streamlit session that logged in knows only its ticket
    assert staff_sessions.check_session(first).status is SessionStatus.REVOKED
    assert staff_sessions.check_session(elsewhere).status is SessionStatus.REVOKED
    assert staff_sessions.check_session(bobs).status is SessionStatus.VALID
    auth.set_staff_password("a new one", "bob")
    assert staff_sessions.check_session(bobs).status is SessionStatus.REVOKED


def test_the_database_never_holds_a_usable_token(data_env):
    db.migrate()
    ticket = staff_sessions.issue_ticket(make_account())
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

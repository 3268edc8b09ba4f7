"""Staff accounts for tests, made the way the app makes them (through core's repository and hashing)."""

from __future__ import annotations

from core import auth, db, repository


def make_account(username: str = "admin", password: str | None = None, *, is_admin: bool = True) -> int:
    """Create an account (with a password when given) in the configured database; returns its id."""
    with db.session_scope() as session:
        row = repository.add_account(
            session,
            username,
            display_name=username.title(),
            password_hash=auth.hash_password(password) if password else None,
            is_admin=is_admin,
        )
        assert row is not None, f"account {username} exists already"
        session.flush()
        return row.id


def log_in_as_admin(app_test) -> int:
    """Make a Streamlit ``AppTest`` session a logged-in admin (as a password login leaves it); returns the id.

    The admin account is created when missing; the login is checked against it at every script run.
    """
    with db.session_scope() as session:
        admin = repository.account_by_username(session, auth.ADMIN)
        account_id, epoch = (admin.id, admin.session_epoch) if admin is not None else (None, 0)
    if account_id is None:
        account_id = make_account(auth.ADMIN)
    app_test.session_state["_staff_authenticated"] = True
    app_test.session_state["_staff_account_id"] = account_id
    app_test.session_state["_staff_session_epoch"] = epoch
    return account_id

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

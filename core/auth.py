"""Staff password hashing and the locally generated staff credential (no Streamlit here).

Staff pages are protected either by OIDC (``st.login``, when ``[auth]`` is configured in
``.streamlit/secrets.toml``) or by a password whose *hash* is configured. The hash comes from,
in order: the secret ``staff_password_hash``, the environment variable
``HUMAN_TOUCH_STAFF_PASSWORD_HASH``, or the database (table ``staff_credential``), where the first
run stores it (printing the random password once, as Jupyter prints its token). Keeping it in the
database gives every app replica the same credential whatever its data folder. A hash file left
in the data folder by an earlier version is moved into the database once.

Failed logins are throttled per client address and globally, with exponential back-off, and each
one is logged (logger ``human_touch.auth``) and stored with its time and address.

Hash format: ``scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>`` (hashlib.scrypt, stdlib).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core import config, db, repository
from core.models import utcnow

_log = logging.getLogger("human_touch.auth")

_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~50 ms per check: slow for guessing, fine for a login.


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` in the module's text format."""
    if not password:
        raise ValueError("the password must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; compares digests in constant time."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = encoded.strip().split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        actual = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def configured_hash(secret_hash: str | None = None) -> str | None:
    """The staff password hash in force: the secret, else the environment, else the database."""
    if secret_hash:
        return secret_hash.strip()
    env_hash = os.environ.get("HUMAN_TOUCH_STAFF_PASSWORD_HASH", "").strip()
    if env_hash:
        return env_hash
    with db.session_scope() as session:
        return repository.staff_hash(session)


def set_staff_password(password: str) -> None:
    """Store the hash of ``password`` as this database's staff credential (replacing any); log everyone out."""
    with db.session_scope() as session:
        repository.replace_staff_hash(session, hash_password(password))
        # Whoever knew the old password may still hold a session cookie: end them all.
        repository.revoke_staff_sessions(session, utcnow())


def ensure_staff_password(secret_hash: str | None = None) -> str | None:
    """Create a random staff password on first run when none is configured.

    Returns the new password (to print once; only its hash is kept) or ``None`` when a
    credential already exists: configured, stored in the database, or created at this moment by
    another process starting at the same time (the fixed credential row lets only one win).
    """
    if configured_hash(secret_hash):
        return None
    legacy_file = config.paths().staff_password_hash
    legacy_hash = legacy_file.read_text().strip() if legacy_file.exists() else ""
    password = None if legacy_hash else secrets.token_urlsafe(12)
    with db.session_scope() as session:
        created = repository.create_staff_hash(session, legacy_hash or hash_password(password or ""))
    if legacy_hash and created:
        legacy_file.unlink(missing_ok=True)  # moved into the database; one credential, one place
    return password if created else None


# ----------------------------------------------------------------------------------------------
# Throttling failed logins


@dataclass(frozen=True)
class LoginThrottle:
    """Back-off policy for failed staff logins.

    Attributes
    ----------
    window_s : float
        Failures older than this many seconds are forgotten.
    free_per_client : int
        Failures a client may make in the window before it must wait.
    free_overall : int
        Failures from all clients together in the window before everybody must wait (a guesser
        with many addresses).
    base_wait_s, max_wait_s : float
        The first wait and its cap; each further failure doubles the wait.
    """

    window_s: float = 900.0
    free_per_client: int = 5
    free_overall: int = 50
    base_wait_s: float = 2.0
    max_wait_s: float = 900.0

    def wait_after(self, failures: int, free: int) -> float:
        """Seconds to wait after the newest failure, given ``failures`` in the window."""
        if failures < free:
            return 0.0
        return min(self.base_wait_s * 2.0 ** (failures - free), self.max_wait_s)


@dataclass(frozen=True)
class LoginOutcome:
    """The result of one login attempt: ``ok``, or the message and the seconds left to wait."""

    ok: bool
    wait_s: float = 0.0
    message: str = ""


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def seconds_until_login_allowed(
    client: str, now: datetime | None = None, policy: LoginThrottle = LoginThrottle()
) -> float:
    """Seconds ``client`` must still wait before its next attempt is checked (0 = allowed now)."""
    now = now or utcnow()
    since = now - timedelta(seconds=policy.window_s)
    with db.session_scope() as session:
        mine, my_newest = repository.login_failures_since(session, since, client)
        overall, newest = repository.login_failures_since(session, since)
    waits = []
    if my_newest is not None:
        waits.append(policy.wait_after(mine, policy.free_per_client) - (now - _as_utc(my_newest)).total_seconds())
    if newest is not None:
        waits.append(policy.wait_after(overall, policy.free_overall) - (now - _as_utc(newest)).total_seconds())
    return max([0.0, *waits])


def attempt_login(
    password: str, hashed: str, client: str, now: datetime | None = None, policy: LoginThrottle = LoginThrottle()
) -> LoginOutcome:
    """Check ``password`` unless ``client`` must wait; log and store every failure.

    While a client is throttled its attempts are refused without checking the password, so
    guessing gains nothing from them (they are not stored either: waiting resets nothing).
    """
    now = now or utcnow()
    wait = seconds_until_login_allowed(client, now, policy)
    if wait > 0:
        _log.warning("staff login refused (throttled %.0f s) from %s at %s", wait, client, now.isoformat())
        return LoginOutcome(False, wait, f"Too many failed attempts. Please wait {wait:.0f} seconds.")
    if verify_password(password, hashed):
        _log.info("staff login from %s at %s", client, now.isoformat())
        return LoginOutcome(True)
    _log.warning("failed staff login from %s at %s", client, now.isoformat())
    with db.session_scope() as session:
        repository.record_login_failure(session, client, now)
    return LoginOutcome(False, seconds_until_login_allowed(client, now, policy), "That password is not right.")


LOGIN_FAILURE_RETENTION_DAYS = int(os.environ.get("HUMAN_TOUCH_LOGIN_FAILURE_RETENTION_DAYS", "30"))
"""Days a failed staff login (time and client address) is kept: long enough to see an attack in the
log, far longer than any throttling window; set per server with ``HUMAN_TOUCH_LOGIN_FAILURE_RETENTION_DAYS``."""


def forget_old_login_failures(session, now: datetime) -> int:
    """Delete failed-login records (client addresses) older than :data:`LOGIN_FAILURE_RETENTION_DAYS`."""
    return repository.forget_login_failures_before(session, now - timedelta(days=LOGIN_FAILURE_RETENTION_DAYS))

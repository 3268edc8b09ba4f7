"""Staff password hashing, the first admin account and the login throttle (no Streamlit here).

Staff log in with a named account (:mod:`core.access`): by OIDC (``st.login``, when ``[auth]`` is
configured in ``.streamlit/secrets.toml``) or by username and password. The first start creates the
account ``admin``; its password hash comes from, in order: the secret ``staff_password_hash``, the
environment variable ``HUMAN_TOUCH_STAFF_PASSWORD_HASH``, a hash file an earlier version left in the
data folder, or a random password printed once (as Jupyter prints its token). Accounts live in the
database, so every replica checks the same credentials whatever its data folder.

Every attempt is stored as a failure *before* the password is checked and deleted again when it
was right, so parallel guesses all count. Throttling (exponential back-off) is per client address,
and, for addresses that have failed already, per account and overall: a stranger can slow the
guessing of a password but never lock its owner out from an address that has not failed. Every
attempt is logged (logger ``human_touch.auth``) and written to the audit trail.

Hash format: ``scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>`` (hashlib.scrypt, stdlib).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core import audit, config, db, repository
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


ADMIN = "admin"
"""The username of the first account, which the shared staff password of earlier versions became."""


def _first_admin_hash(secret_hash: str | None) -> tuple[str, str | None]:
    """(hash, password to print or None) for the first admin: configured, left by an old version, or new."""
    configured = (secret_hash or os.environ.get("HUMAN_TOUCH_STAFF_PASSWORD_HASH", "")).strip()
    if configured:
        return configured, None
    legacy_file = config.paths().staff_password_hash
    if legacy_file.exists() and legacy_file.read_text().strip():
        return legacy_file.read_text().strip(), None
    password = secrets.token_urlsafe(12)
    return hash_password(password), password


def ensure_admin_account(secret_hash: str | None = None) -> str | None:
    """Create the account ``admin`` on first start, when no account exists yet.

    Returns the new random password (to print once; only its hash is kept), or ``None`` when
    accounts exist, the hash was configured, or another process starting at the same moment created
    the admin first (the unique username lets only one win).
    """
    with db.session_scope() as session:
        if repository.count_accounts(session):
            return None
    password_hash, password = _first_admin_hash(secret_hash)
    with db.session_scope() as session:
        created = repository.add_account(
            session, ADMIN, display_name="Admin", password_hash=password_hash, is_admin=True
        )
        if created is not None:
            audit.record(session, audit.SYSTEM, "account.create", target=ADMIN, detail={"admin": True})
    if created is not None:
        config.paths().staff_password_hash.unlink(missing_ok=True)  # moved into the database
    return password if created is not None else None


def set_staff_password(password: str, username: str = ADMIN, actor: audit.Actor | None = None) -> None:
    """Set an account's password (creating ``admin`` if missing) and end every session of the account."""
    now = utcnow()
    with db.session_scope() as session:
        row = repository.account_by_username(session, username)
        if row is None and username == ADMIN:
            row = repository.add_account(session, ADMIN, display_name="Admin", is_admin=True)
        if row is None:
            raise LookupError(f"no account named {username!r}")
        row.password_hash = hash_password(password)
        # Whoever knew the old password may still hold a session: end them all.
        repository.end_account_sessions(session, row.id, now)
        audit.record(session, actor or audit.command_line(), "account.password", target=row.username)


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
        Failures a client address may make in the window before it must wait.
    free_per_account : int
        Failures against one account (from any address) before addresses that have failed must wait.
    free_overall : int
        Failures from all addresses together before addresses that have failed must wait (a
        guesser with many addresses gets one try per address; a clean address is never refused).
    base_wait_s, max_wait_s : float
        The first wait and its cap; each further failure doubles the wait.
    """

    window_s: float = 900.0
    free_per_client: int = 5
    free_per_account: int = 10
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
    """The result of one login attempt: ``ok`` with the account, or the message and seconds left to wait."""

    ok: bool
    wait_s: float = 0.0
    message: str = ""
    account_id: int | None = None


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def seconds_until_login_allowed(
    client: str,
    now: datetime | None = None,
    policy: LoginThrottle = LoginThrottle(),
    *,
    account_id: int | None = None,
    excluding: int | None = None,
) -> float:
    """Seconds ``client`` must wait before an attempt (on ``account_id``) is checked; 0 = allowed now.

    ``excluding`` is the attempt being judged (stored already). The per-account and overall limits
    apply only to an address with failures of its own: they slow an attack, never lock out a
    right password typed at a clean address.
    """
    now = now or utcnow()
    since = now - timedelta(seconds=policy.window_s)
    with db.session_scope() as session:
        count = functools.partial(repository.login_failures_since, session, since, excluding=excluding)
        mine, my_newest = count(client=client)
        limits = [(mine, my_newest, policy.free_per_client)]
        if mine:
            limits.append((*count(), policy.free_overall))
            if account_id is not None:
                limits.append((*count(account_id=account_id), policy.free_per_account))
    waits = [
        policy.wait_after(failures, free) - (now - _as_utc(newest)).total_seconds()
        for failures, newest, free in limits
        if newest is not None
    ]
    return max([0.0, *waits])


@functools.cache
def _nobody_hash() -> str:
    """Checked when the username is unknown, so that an unknown name takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


def attempt_login(
    username: str,
    password: str,
    client: str,
    now: datetime | None = None,
    policy: LoginThrottle = LoginThrottle(),
) -> LoginOutcome:
    """Check a username and password unless ``client`` must wait; store, log and audit every attempt.

    The attempt is committed as a failure first and only then judged, so that any number of
    parallel guesses each see the others (none slips through before the count) and all count;
    a right password deletes its row again. A throttled attempt stays counted: guessing on while
    throttled only lengthens the wait of that address.
    """
    now = now or utcnow()
    with db.session_scope() as session:
        row = repository.account_by_username(session, username)
        account_id = row.id if row is not None else None
        stored = row.password_hash if row is not None and row.disabled_at is None else None
        failure = repository.record_login_failure(session, client, account_id, now)
    actor = audit.Actor(row.username if row is not None else "?", account_id, client)
    wait = seconds_until_login_allowed(client, now, policy, account_id=account_id, excluding=failure)
    if wait > 0:
        _log.warning("staff login refused (throttled %.0f s) from %s at %s", wait, client, now.isoformat())
        _audit_attempt(actor, "login.throttled", {"wait_s": round(wait)})
        return LoginOutcome(False, wait, f"Too many failed attempts. Please wait {wait:.0f} seconds.")
    if verify_password(password, stored or _nobody_hash()) and stored:
        _log.info("staff login of %s from %s at %s", actor.name, client, now.isoformat())
        _audit_attempt(actor, "login.success", {}, forget=failure)
        return LoginOutcome(True, account_id=account_id)
    _log.warning("failed staff login from %s at %s", client, now.isoformat())
    _audit_attempt(actor, "login.failure", {"known_account": account_id is not None})
    again = seconds_until_login_allowed(client, now, policy, account_id=account_id)
    return LoginOutcome(False, again, "That username or password is not right.")


def _audit_attempt(actor: audit.Actor, action: str, detail: dict, forget: int | None = None) -> None:
    with db.session_scope() as session:
        if forget is not None:
            repository.forget_login_failure(session, forget)
        audit.record(session, actor, action, detail=detail)


LOGIN_FAILURE_RETENTION_DAYS = int(os.environ.get("HUMAN_TOUCH_LOGIN_FAILURE_RETENTION_DAYS", "30"))
"""Days a failed staff login (time and client address) is kept: long enough to see an attack in the
log, far longer than any throttling window; set per server with ``HUMAN_TOUCH_LOGIN_FAILURE_RETENTION_DAYS``."""


def forget_old_login_failures(session, now: datetime) -> int:
    """Delete failed-login records (client addresses) older than :data:`LOGIN_FAILURE_RETENTION_DAYS`."""
    return repository.forget_login_failures_before(session, now - timedelta(days=LOGIN_FAILURE_RETENTION_DAYS))

"""Staff credentials: hashes verify, one first admin per database, failed logins are counted, throttled, audited."""

import io
import logging
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from core import audit, auth, db, repository
from core.models import LoginFailure, utcnow
from human_touch.cli import main as cli_main
from tests.staff_accounts import make_account


def test_hash_verifies_only_the_right_password():
    encoded = auth.hash_password("open sesame")
    assert encoded.startswith("scrypt$")
    assert "open sesame" not in encoded
    assert auth.verify_password("open sesame", encoded)
    assert not auth.verify_password("open sesame ", encoded)
    assert not auth.verify_password("", encoded)


def test_two_hashes_of_one_password_differ_by_salt():
    assert auth.hash_password("same") != auth.hash_password("same")


def test_malformed_hash_never_verifies():
    for broken in ("", "scrypt$1$2", "bcrypt$x$y$z$a$b", "scrypt$16384$8$1$!!$??"):
        assert not auth.verify_password("anything", broken)


def _admin_hash() -> str | None:
    with db.session_scope() as session:
        admin = repository.account_by_username(session, auth.ADMIN)
        return admin.password_hash if admin is not None else None


def test_first_run_creates_one_admin_in_the_database_and_keeps_only_its_hash(data_env):
    db.migrate()
    password = auth.ensure_admin_account()
    assert password and len(password) >= 12
    stored = _admin_hash()
    assert password not in stored
    assert auth.verify_password(password, stored)
    assert not (data_env / "staff_password.hash").exists()  # nothing per replica on disk
    # A second start must not print (or create) another password.
    assert auth.ensure_admin_account() is None
    assert auth.attempt_login("admin", password, "192.0.2.1").ok


def test_replicas_starting_at_once_create_exactly_one_admin(data_env):
    db.migrate()
    with ThreadPoolExecutor(6) as pool:
        passwords = list(pool.map(lambda _: auth.ensure_admin_account(), range(6)))
    created = [p for p in passwords if p]
    assert len(created) == 1
    assert auth.verify_password(created[0], _admin_hash())


def test_a_hash_file_from_an_earlier_version_becomes_the_admins_password(data_env):
    db.migrate()
    legacy = auth.hash_password("from the old file")
    (data_env / "staff_password.hash").write_text(legacy + "\n")
    assert auth.ensure_admin_account() is None
    assert _admin_hash() == legacy
    assert not (data_env / "staff_password.hash").exists()


def test_a_configured_secret_hash_becomes_the_admins_password_and_none_is_printed(sqlite_data_env):
    secret = auth.hash_password("from secrets")
    assert auth.ensure_admin_account(secret) is None
    assert _admin_hash() == secret


def test_cli_resets_the_password_from_stdin_never_from_argv(sqlite_data_env, monkeypatch, capsys):
    auth.ensure_admin_account()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a new long one\n"))
    assert cli_main(["staff", "set-password", "--stdin"]) == 0
    assert auth.verify_password("a new long one", _admin_hash())
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert cli_main(["staff", "set-password", "--stdin"]) == 2
    assert auth.verify_password("a new long one", _admin_hash())
    # The password is not accepted as an argument at all.
    try:
        cli_main(["staff", "set-password", "--password", "visible in ps"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("--password must not exist")


def test_cli_prints_a_hash_for_secrets_that_verifies(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("deploy password\n"))
    assert cli_main(["staff", "hash", "--stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert auth.verify_password("deploy password", printed)
    assert "deploy password" not in printed


def test_repeated_failures_from_one_client_back_off_and_are_logged(data_env, caplog):
    db.migrate()
    make_account("alice", "the right one")
    policy = auth.LoginThrottle(free_per_client=3, base_wait_s=10.0)
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="human_touch.auth"):
        for attempt in range(3):
            outcome = auth.attempt_login("alice", "guess", "203.0.113.7", now + timedelta(seconds=attempt), policy)
            assert not outcome.ok
    assert outcome.wait_s > 0  # the third failure starts the back-off
    assert sum("failed staff login from 203.0.113.7" in r.message for r in caplog.records) == 3
    # While throttled, even the right password is not checked ...
    refused = auth.attempt_login("alice", "the right one", "203.0.113.7", now + timedelta(seconds=3), policy)
    assert not refused.ok and refused.wait_s > 0 and "wait" in refused.message
    # ... another client is unaffected, and after the wait the right password works again.
    assert auth.attempt_login("alice", "the right one", "198.51.100.2", now + timedelta(seconds=3), policy).ok
    assert auth.attempt_login("alice", "the right one", "203.0.113.7", now + timedelta(seconds=40), policy).ok


def test_each_further_failure_doubles_the_wait_up_to_the_cap():
    policy = auth.LoginThrottle(free_per_client=5, base_wait_s=2.0, max_wait_s=60.0)
    waits = [policy.wait_after(n, policy.free_per_client) for n in range(4, 12)]
    assert waits == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def _failures(client: str | None = None) -> int:
    with db.session_scope() as session:
        count, _ = repository.login_failures_since(session, utcnow() - timedelta(days=1), client=client)
    return count


def test_fifty_parallel_wrong_guesses_are_all_counted_and_few_are_checked(data_env):
    db.migrate()
    make_account("alice", "the right one")
    policy = auth.LoginThrottle(free_per_client=5)
    start = threading.Barrier(50)

    def guess(i: int) -> auth.LoginOutcome:
        start.wait()
        return auth.attempt_login("alice", f"guess {i}", "203.0.113.9", policy=policy)

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(guess, range(50)))
    assert not any(o.ok for o in outcomes)
    assert _failures("203.0.113.9") == 50  # every guess counted, throttled or not
    checked = [o for o in outcomes if "not right" in o.message]
    # Each attempt is stored before it is judged, so at most the free ones had their password checked.
    assert len(checked) <= policy.free_per_client, len(checked)
    print(f"50 parallel guesses: {len(checked)} checked, {50 - len(checked)} throttled, 50 counted")
    with db.session_scope() as session:
        trail = [e.action for e in audit.events(session)]
    assert len(trail) == 50 and set(trail) <= {"login.failure", "login.throttled"}


def test_an_attack_from_many_addresses_never_locks_out_the_right_password_from_a_clean_one(data_env):
    db.migrate()
    alice = make_account("alice", "the right one")
    policy = auth.LoginThrottle(free_per_client=3, free_per_account=5, free_overall=5, base_wait_s=30.0)
    now = utcnow()
    for i in range(40):  # an attacker with 8 addresses, 5 guesses each
        auth.attempt_login("alice", "guess", f"192.0.2.{i % 8}", now + timedelta(milliseconds=i), policy)
    # The attacker's addresses are slowed down: even a right guess is not checked from them ...
    later = now + timedelta(seconds=1)
    assert not auth.attempt_login("alice", "the right one", "192.0.2.1", later, policy).ok
    assert auth.seconds_until_login_allowed("192.0.2.7", later, policy, account_id=alice) > 0
    # ... but the owner, from an address that has not failed, logs in during the attack.
    outcome = auth.attempt_login("alice", "the right one", "198.51.100.20", later, policy)
    assert outcome.ok and outcome.account_id is not None
    assert _failures("198.51.100.20") == 0  # a right password leaves no failure behind


def test_every_attempt_is_in_the_audit_trail_with_account_and_address(data_env):
    db.migrate()
    alice = make_account("alice", "the right one")
    auth.attempt_login("alice", "wrong", "198.51.100.3")
    auth.attempt_login("nobody", "wrong", "198.51.100.3")
    auth.attempt_login("alice", "the right one", "198.51.100.4")
    with db.session_scope() as session:
        trail = [(e.action, e.actor, e.client) for e in reversed(audit.events(session))]
        failures = session.scalars(select(LoginFailure.account_id)).all()
    assert trail == [
        ("login.failure", "alice", "198.51.100.3"),
        ("login.failure", "?", "198.51.100.3"),  # a mistyped name is not written down
        ("login.success", "alice", "198.51.100.4"),
    ]
    assert sorted(failures, key=str) == sorted([alice, None], key=str)


def test_a_disabled_account_or_one_without_a_password_cannot_log_in(data_env):
    db.migrate()
    make_account("invited")  # no password yet
    assert not auth.attempt_login("invited", "", "198.51.100.5").ok
    make_account("gone", "the right one")
    with db.session_scope() as session:
        repository.account_by_username(session, "gone").disabled_at = utcnow()
    assert not auth.attempt_login("gone", "the right one", "198.51.100.5").ok

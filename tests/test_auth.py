"""Staff credentials: hashes verify, one credential per database, failed logins are throttled and logged."""

import io
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from core import auth, db
from core.models import utcnow
from human_touch.cli import main as cli_main


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


def test_first_run_creates_one_password_in_the_database_and_keeps_only_its_hash(data_env):
    db.migrate()
    password = auth.ensure_staff_password()
    assert password and len(password) >= 12
    stored = auth.configured_hash()
    assert password not in stored
    assert auth.verify_password(password, stored)
    assert not (data_env / "staff_password.hash").exists()  # nothing per replica on disk
    # A second start must not print (or create) another password.
    assert auth.ensure_staff_password() is None


def test_replicas_starting_at_once_create_exactly_one_credential(data_env):
    db.migrate()
    with ThreadPoolExecutor(6) as pool:
        passwords = list(pool.map(lambda _: auth.ensure_staff_password(), range(6)))
    created = [p for p in passwords if p]
    assert len(created) == 1
    assert auth.verify_password(created[0], auth.configured_hash())


def test_a_hash_file_from_an_earlier_version_moves_into_the_database(data_env):
    db.migrate()
    legacy = auth.hash_password("from the old file")
    (data_env / "staff_password.hash").write_text(legacy + "\n")
    assert auth.ensure_staff_password() is None
    assert auth.configured_hash() == legacy
    assert not (data_env / "staff_password.hash").exists()


def test_configured_secret_hash_wins_and_no_password_is_generated(sqlite_data_env):
    secret = auth.hash_password("from secrets")
    assert auth.ensure_staff_password(secret) is None
    with db.session_scope() as session:
        from core import repository

        assert repository.staff_hash(session) is None
    assert auth.configured_hash(secret) == secret


def test_cli_resets_the_password_from_stdin_never_from_argv(sqlite_data_env, monkeypatch, capsys):
    auth.ensure_staff_password()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a new long one\n"))
    assert cli_main(["staff", "set-password", "--stdin"]) == 0
    assert auth.verify_password("a new long one", auth.configured_hash())
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert cli_main(["staff", "set-password", "--stdin"]) == 2
    assert auth.verify_password("a new long one", auth.configured_hash())
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
    hashed = auth.hash_password("the right one")
    policy = auth.LoginThrottle(free_per_client=3, base_wait_s=10.0)
    now = utcnow()
    with caplog.at_level(logging.WARNING, logger="human_touch.auth"):
        for attempt in range(3):
            outcome = auth.attempt_login("guess", hashed, "203.0.113.7", now + timedelta(seconds=attempt), policy)
            assert not outcome.ok
    assert outcome.wait_s > 0  # the third failure starts the back-off
    assert sum("failed staff login from 203.0.113.7" in r.message for r in caplog.records) == 3
    # While throttled, even the right password is not checked ...
    refused = auth.attempt_login("the right one", hashed, "203.0.113.7", now + timedelta(seconds=3), policy)
    assert not refused.ok and refused.wait_s > 0 and "wait" in refused.message
    # ... another client is unaffected, and after the wait the right password works again.
    assert auth.attempt_login("the right one", hashed, "198.51.100.2", now + timedelta(seconds=3), policy).ok
    assert auth.attempt_login("the right one", hashed, "203.0.113.7", now + timedelta(seconds=20), policy).ok


def test_each_further_failure_doubles_the_wait_up_to_the_cap():
    policy = auth.LoginThrottle(free_per_client=5, base_wait_s=2.0, max_wait_s=60.0)
    waits = [policy.wait_after(n, policy.free_per_client) for n in range(4, 12)]
    assert waits == [0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


def test_many_addresses_guessing_together_throttle_everyone(data_env):
    db.migrate()
    hashed = auth.hash_password("the right one")
    policy = auth.LoginThrottle(free_per_client=100, free_overall=5, base_wait_s=30.0)
    now = utcnow()
    for i in range(5):
        auth.attempt_login("guess", hashed, f"192.0.2.{i}", now, policy)
    assert auth.seconds_until_login_allowed("192.0.2.200", now + timedelta(seconds=1), policy) > 0

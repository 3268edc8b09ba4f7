"""Staff credentials: hashes verify, wrong passwords fail, the first-run password is created once."""

import stat

from core import auth
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


def test_first_run_creates_one_password_and_keeps_only_its_hash(sqlite_data_env):
    password = auth.ensure_staff_password()
    assert password and len(password) >= 12
    stored = (sqlite_data_env / "staff_password.hash").read_text()
    assert password not in stored
    assert auth.verify_password(password, stored)
    assert stat.S_IMODE((sqlite_data_env / "staff_password.hash").stat().st_mode) == 0o600
    # A second start must not print (or create) another password.
    assert auth.ensure_staff_password() is None


def test_configured_secret_hash_wins_and_no_password_is_generated(sqlite_data_env):
    secret = auth.hash_password("from secrets")
    assert auth.ensure_staff_password(secret) is None
    assert not (sqlite_data_env / "staff_password.hash").exists()
    assert auth.configured_hash(secret) == secret


def test_cli_resets_the_password(sqlite_data_env, capsys):
    auth.ensure_staff_password()
    assert cli_main(["staff", "set-password", "--password", "a new long one"]) == 0
    stored = (sqlite_data_env / "staff_password.hash").read_text()
    assert auth.verify_password("a new long one", stored)
    assert cli_main(["staff", "set-password", "--password", "short"]) == 2
    assert auth.verify_password("a new long one", (sqlite_data_env / "staff_password.hash").read_text())


def test_cli_prints_a_hash_for_secrets_that_verifies(capsys):
    assert cli_main(["staff", "hash", "--password", "deploy password"]) == 0
    printed = capsys.readouterr().out.strip()
    assert auth.verify_password("deploy password", printed)
    assert "deploy password" not in printed

"""The ``human-touch staff`` subcommands: the staff credential belongs to the ground.

:func:`register` adds them to the command line that :mod:`human_touch.cli` assembles. A handler
returns the process exit code (0 on success, non-zero with a message on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from core import auth, config, db


def _read_password(prompt: str, from_stdin: bool) -> str:
    """A password from the terminal prompt, or the first line of standard input with ``--stdin``.

    Never from the command line: arguments are visible to every user in ``ps`` and shell history.
    """
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)


MIN_PASSWORD_LENGTH = 8


def _cmd_set_password(args: argparse.Namespace) -> int:
    config.ensure_dirs()
    password = _read_password("New staff password: ", args.stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    db.migrate()
    auth.set_staff_password(password)
    print("Staff password hash stored in the database (the password itself is kept nowhere).")
    return 0


def _cmd_hash(args: argparse.Namespace) -> int:
    password = _read_password("Staff password to hash: ", args.stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    print(auth.hash_password(password))
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from core.backup import backup

    return _backup_tool(
        lambda: backup(args.out), f"Backup written to {args.out}. Restore: human-touch restore {args.out}"
    )


def _cmd_restore(args: argparse.Namespace) -> int:
    from core.backup import restore

    where = config.database_url().split("@")[-1]  # never the password
    return _backup_tool(lambda: restore(args.file), f"Restored {args.file} into {where}.")


def _backup_tool(run, done: str) -> int:
    """Run a backup or restore; print its command and ``done``, or why it could not be done (exit 2)."""
    from core.backup import BackupError

    try:
        command = run()
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(" ".join(command))
    print(done)
    return 0


def register(subparsers) -> None:
    """Add ``staff set-password``, ``staff hash``, ``backup`` and ``restore`` to the ``human-touch`` command line."""
    staff = subparsers.add_parser("staff", help="staff credentials")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    setpw = staff_sub.add_parser("set-password", help="set or reset the staff password")
    setpw.add_argument("--stdin", action="store_true", help="read the password from standard input")
    setpw.set_defaults(handler=_cmd_set_password)
    hash_cmd = staff_sub.add_parser(
        "hash", help="print a password hash for the secret staff_password_hash (deployments)"
    )
    hash_cmd.add_argument("--stdin", action="store_true", help="read the password from standard input")
    hash_cmd.set_defaults(handler=_cmd_hash)
    backup_cmd = subparsers.add_parser(
        "backup", help="write a backup of the whole database while the app runs (SQLite backup API or pg_dump)"
    )
    backup_cmd.add_argument("--out", required=True, type=Path, help="backup file to write (must not exist)")
    backup_cmd.set_defaults(handler=_cmd_backup)
    restore_cmd = subparsers.add_parser("restore", help="restore a backup into a new, empty database")
    restore_cmd.add_argument("file", type=Path, help="a file written by human-touch backup")
    restore_cmd.set_defaults(handler=_cmd_restore)

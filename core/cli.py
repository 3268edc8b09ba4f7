"""The ``human-touch staff`` subcommands: the staff credential belongs to the ground.

:func:`register` adds them to the command line that :mod:`human_touch.cli` assembles. A handler
returns the process exit code (0 on success, non-zero with a message on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from core import auth, config

MIN_PASSWORD_LENGTH = 8


def _cmd_set_password(args: argparse.Namespace) -> int:
    config.ensure_dirs()
    password = args.password or getpass.getpass("New staff password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    path = auth.set_staff_password(password)
    print(f"Staff password hash stored in {path}")
    return 0


def _cmd_hash(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Staff password to hash: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    print(auth.hash_password(password))
    return 0


def register(subparsers) -> None:
    """Add ``staff set-password`` and ``staff hash`` to the ``human-touch`` command line."""
    staff = subparsers.add_parser("staff", help="staff credentials")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    setpw = staff_sub.add_parser("set-password", help="set or reset the staff password")
    setpw.add_argument("--password", help="the new password (prompted for when omitted)")
    setpw.set_defaults(handler=_cmd_set_password)
    hash_cmd = staff_sub.add_parser(
        "hash", help="print a password hash for the secret staff_password_hash (deployments)")
    hash_cmd.add_argument("--password", help="the password (prompted for when omitted)")
    hash_cmd.set_defaults(handler=_cmd_hash)

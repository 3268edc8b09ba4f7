"""The ``human-touch`` command line.

Subcommands live with the package they belong to: ``audio/cli.py``, ``experiment/cli.py`` and
``results/cli.py`` each define ``register(subparsers)``; this module only assembles them.
A handler returns the process exit code (0 on success, non-zero with a message on stderr).
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import sys

from core import auth, config


def _cmd_set_password(args: argparse.Namespace) -> int:
    config.ensure_dirs()
    password = args.password or getpass.getpass("New staff password: ")
    if len(password) < 8:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    path = auth.set_staff_password(password)
    print(f"Staff password hash stored in {path}")
    return 0


def _cmd_hash(args: argparse.Namespace) -> int:
    password = args.password or getpass.getpass("Staff password to hash: ")
    if len(password) < 8:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    print(auth.hash_password(password))
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from core.bootstrap import prepare

    prepare(build_demo=not args.no_demo, echo=print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="human-touch",
        description="Human Touch: a blind listening lab for human-composed vs AI-generated music.")
    sub = parser.add_subparsers(dest="command", required=True)

    prep = sub.add_parser("prepare", help="migrate the database, create the staff password, build the demo")
    prep.add_argument("--no-demo", action="store_true", help="do not build the demo clips")
    prep.set_defaults(handler=_cmd_prepare)

    staff = sub.add_parser("staff", help="staff credentials")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    setpw = staff_sub.add_parser("set-password", help="set or reset the staff password")
    setpw.add_argument("--password", help="the new password (prompted for when omitted)")
    setpw.set_defaults(handler=_cmd_set_password)
    hash_cmd = staff_sub.add_parser(
        "hash", help="print a password hash for the secret staff_password_hash (deployments)")
    hash_cmd.add_argument("--password", help="the password (prompted for when omitted)")
    hash_cmd.set_defaults(handler=_cmd_hash)

    for package in ("audio", "experiment", "results"):
        try:
            module = importlib.import_module(f"{package}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.cli":
                raise
            continue
        module.register(sub)
    return parser


def _wire_packages() -> None:
    """Hand audio experiment's "was this clip heard?" (audio may not import experiment).

    Top-level wiring: it moves with this command line when the CLI leaves ``core``.
    """
    from audio import library
    from experiment import repository

    library.use_heard_check(repository.clip_has_been_heard)


def main(argv: list[str] | None = None) -> int:
    config.configure_numba_cache()
    _wire_packages()
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""The ``human-touch`` command line.

Subcommands live with the package they belong to: ``core/cli.py`` (staff credentials),
``audio/cli.py``, ``experiment/cli.py`` and ``results/cli.py`` each define
``register(subparsers)``; this module adds ``prepare`` and assembles the rest.
A handler returns the process exit code (0 on success, non-zero with a message on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from core import config, faults

PACKAGES_WITH_COMMANDS = ("core", "audio", "experiment", "results")


def _cmd_prepare(args: argparse.Namespace) -> int:
    from human_touch.startup import prepare

    prepare(build_demo=not args.no_demo, echo=print)
    return 0


def _cmd_maintenance(args: argparse.Namespace) -> int:
    from core import db
    from human_touch.maintenance import run_maintenance

    db.migrate()
    print(run_maintenance().describe())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="human-touch", description="Human Touch: a blind listening lab for human-composed vs AI-generated music."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    prep = sub.add_parser("prepare", help="migrate the database, create the staff password, build the demo")
    prep.add_argument("--no-demo", action="store_true", help="do not build the demo clips")
    prep.set_defaults(handler=_cmd_prepare)
    maintenance = sub.add_parser(
        "maintenance", help="enforce retention periods (participants' Prolific ids, failed-login addresses); daily"
    )
    maintenance.set_defaults(handler=_cmd_maintenance)

    for package in PACKAGES_WITH_COMMANDS:
        try:
            module = importlib.import_module(f"{package}.cli")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.cli":
                raise
            continue
        module.register(sub)
    return parser


STORAGE_FAULT_EXIT = 3
"""Exit status when the data folder or database cannot be written or reached (one sentence on stderr)."""


def main(argv: list[str] | None = None) -> int:
    """Run one command; a storage fault (disk full, read-only folder, database gone) is one sentence, no traceback."""
    try:
        return _run(argv)
    except Exception as error:
        fault = faults.classify(error)
        if fault is None:
            raise  # a bug: the traceback is what a developer needs
        print(f"error: {faults.describe(fault, error)}", file=sys.stderr)
        return STORAGE_FAULT_EXIT


def _run(argv: list[str] | None) -> int:
    config.configure_numba_cache()
    from human_touch.startup import wire_packages

    wire_packages()
    args = build_parser().parse_args(argv)
    from core.access import Refused
    from experiment.studies import UnknownStudy

    try:
        return int(args.handler(args) or 0)
    except (Refused, UnknownStudy) as error:  # checked on the server side of every command
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

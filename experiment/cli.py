"""``human-touch study ...``: show the study settings, open or close the study from a shell."""

from __future__ import annotations

import argparse
import json
import sys

from audio import library
from core import db
from experiment import repository


def _show(args: argparse.Namespace) -> int:
    db.migrate()
    with db.session_scope() as session:
        version_id, settings = repository.current_settings(session)
        active_clips = library.active_counts(session)
        declines = repository.decline_count(session)
    print(
        json.dumps(
            {
                "version": version_id,
                "settings": settings.to_dict(),
                "active_clips": active_clips,
                "consent_declines": declines,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def _set_open(is_open: bool):
    def handler(args: argparse.Namespace) -> int:
        db.migrate()
        with db.session_scope() as session:
            _, settings = repository.current_settings(session)
            if settings.is_open == is_open:
                print(f"The study is already {'open' if is_open else 'closed'}.")
                return 0
            try:
                version_id = repository.save_settings(
                    session,
                    settings.with_changes(is_open=is_open),
                    note="opened" if is_open else "closed",
                    check_library=is_open,
                )
            except ValueError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        print(f"The study is now {'open' if is_open else 'closed'} (settings version {version_id}).")
        return 0

    return handler


def register(subparsers) -> None:
    """Add ``study show|open|close`` to the ``human-touch`` command."""
    study = subparsers.add_parser("study", help="the participant study: show settings, open, close")
    study_sub = study.add_subparsers(dest="study_command", required=True)
    show = study_sub.add_parser("show", help="print the settings in force as JSON")
    show.set_defaults(handler=_show)
    opener = study_sub.add_parser("open", help="accept new participants (checks the library first)")
    opener.set_defaults(handler=_set_open(True))
    closer = study_sub.add_parser("close", help="stop accepting new participants (those under way may finish)")
    closer.set_defaults(handler=_set_open(False))

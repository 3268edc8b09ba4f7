"""``human-touch study ...`` (show the settings, open or close the study), ``human-touch demo
participants`` (fill the demo study with simulated participants, :mod:`experiment.simulate`) and
``human-touch participants withdraw`` (erase a participant on request, :mod:`experiment.withdrawal`)."""

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


def _demo_participants(args: argparse.Namespace) -> int:
    from experiment.progress import JourneyError
    from experiment.simulate import EMOTION_EFFECTS, simulate_participants

    db.migrate()
    with db.session_scope() as session:
        real_clips = [r for r in library.clip_records(session) if r["retired_at"] is None and not r["is_demo"]]
    if real_clips and not args.force:
        print(
            f"error: the library holds {len(real_clips)} clip(s) that are not demo clips; simulated participants "
            "belong in the demo study (use --force to add them anyway; they stay marked simulated)",
            file=sys.stderr,
        )
        return 2
    try:
        made = simulate_participants(db.session_scope, args.n, d_prime=args.d_prime, seed=args.seed, echo=print)
    except JourneyError as error:
        print(f"error: simulated participants start as anonymous visitors, and: {error}", file=sys.stderr)
        return 2
    effects = ", ".join(f"{scale} {effect:+g}" for scale, effect in EMOTION_EFFECTS.items())
    print(
        f"Added {len(made)} simulated participants (true mean d' {args.d_prime:g}; AI minus human ratings, "
        f"scale points: {effects}). Results leave them out unless 'Include simulated participants' is ticked."
    )
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    from experiment.withdrawal import withdraw_on_request

    db.migrate()
    try:
        with db.session_scope() as session:
            number = withdraw_on_request(session, prolific_pid=args.prolific_pid, participant_id=args.participant_id)
    except LookupError as error:
        print(f"error: {error}; nothing was erased", file=sys.stderr)
        return 2
    print(f"Participant {number} withdrawn: their answers, trial list, questionnaire and ids are erased.")
    return 0


def register(subparsers) -> None:
    """Add ``study show|open|close``, ``demo participants`` and ``participants withdraw`` to ``human-touch``."""
    study = subparsers.add_parser("study", help="the participant study: show settings, open, close")
    study_sub = study.add_subparsers(dest="study_command", required=True)
    show = study_sub.add_parser("show", help="print the settings in force as JSON")
    show.set_defaults(handler=_show)
    opener = study_sub.add_parser("open", help="accept new participants (checks the library first)")
    opener.set_defaults(handler=_set_open(True))
    closer = study_sub.add_parser("close", help="stop accepting new participants (those under way may finish)")
    closer.set_defaults(handler=_set_open(False))

    demo = subparsers.add_parser("demo", help="the offline demo: simulated participants")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    people = demo_sub.add_parser(
        "participants", help="fill the demo study with simulated participants (marked simulated)"
    )
    people.add_argument("--n", type=int, default=60, help="participants to add (default 60)")
    people.add_argument("--d-prime", type=float, default=1.0, help="mean sensitivity of the simulated listeners")
    people.add_argument("--seed", type=int, default=0, help="seeds every simulated draw")
    people.add_argument("--force", action="store_true", help="also when the library holds non-demo clips")
    people.set_defaults(handler=_demo_participants)

    participants = subparsers.add_parser("participants", help="participants: withdraw one on request")
    participants_sub = participants.add_subparsers(dest="participants_command", required=True)
    withdraw = participants_sub.add_parser(
        "withdraw", help="erase everything of one participant (answers, trial list, questionnaire, ids)"
    )
    who = withdraw.add_mutually_exclusive_group(required=True)
    who.add_argument("--prolific-pid", help="the participant's Prolific ID")
    who.add_argument("--participant-id", type=int, help="the participant number of the exports")
    withdraw.set_defaults(handler=_withdraw)

"""``human-touch study ...`` (show the settings, open or close the study), ``human-touch demo
participants`` (fill the demo study with simulated participants, :mod:`experiment.simulate`) and
``human-touch participants withdraw`` (erase a participant on request, :mod:`experiment.withdrawal`)."""

from __future__ import annotations

import argparse
import json
import sys

from audio import library
from core import audit, db
from experiment import repository, studies

STUDY_COMMANDS: argparse._SubParsersAction | None = None
"""The ``study`` subcommands once :func:`register` ran; results adds ``archive``, ``import`` and ``replication``
to them (experiment may not import results, so results reaches in)."""


def add_study_option(parser: argparse.ArgumentParser) -> None:
    """``--study SLUG`` on a command that reads or changes one study (default: the only/oldest study)."""
    parser.add_argument("--study", metavar="SLUG", help="which study (default: the deployment's default study)")


def study_for(session, args: argparse.Namespace, permission) -> tuple[studies.StudyRef, audit.Actor]:
    """The study ``--study`` names and the actor, once the command's identity may do ``permission`` on it.

    Raises
    ------
    experiment.studies.UnknownStudy
        No such study.
    core.access.Refused
        The identity (``HUMAN_TOUCH_TOKEN``'s account, else the server operator) lacks the permission.
    """
    from core import access

    study = studies.resolve(session, getattr(args, "study", None))
    return study, access.require_cli(session, permission, study.id)


def _show(args: argparse.Namespace) -> int:
    from core.access import Permission

    db.migrate()
    with db.session_scope() as session:
        study, _actor = study_for(session, args, Permission.VIEW_STUDY)
        version_id, settings = repository.current_settings(session, study.id)
        clips = repository.study_clip_counts(session, settings)
        declines = repository.decline_count(session, study_id=study.id)
        is_open = studies.is_open(session, study.id)
    print(
        json.dumps(
            {
                "study": {"slug": study.slug, "name": study.name, "open": is_open},
                "version": version_id,
                "settings": settings.to_dict(),
                "active_clips": clips,
                "consent_declines": declines,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


def _set_open(is_open: bool):
    def handler(args: argparse.Namespace) -> int:
        from core.access import Permission

        db.migrate()
        state = "open" if is_open else "closed"
        with db.session_scope() as session:
            study, actor = study_for(session, args, Permission.OPEN_CLOSE)
            try:
                changed = studies.set_open(session, study.id, is_open, actor)
            except ValueError as error:
                print(f"error: the study cannot open: {error}", file=sys.stderr)
                return 2
        if not changed:
            print(f"The study {study.slug} is already {state}.")
            return 0
        print(f"The study {study.slug} is now {state} (its settings are unchanged; no new version).")
        return 0

    return handler


def _list(args: argparse.Namespace) -> int:
    from core import access

    db.migrate()
    with db.session_scope() as session:
        account = access.cli_account(session)
        visible = set(access.studies_visible_to(session, account))
        rows = []
        for study in studies.live(session):
            if study.id not in visible:
                continue
            version_id, _settings = repository.current_settings(session, study.id)
            counts = repository.study_participant_counts(session, study.id)
            rows.append(
                {
                    "slug": study.slug,
                    "name": study.name,
                    "open": studies.is_open(session, study.id),
                    "version": version_id,
                    **counts,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    for row in rows:
        state = "open" if row["open"] else "closed"
        print(
            f"{row['slug']:<24} {state:<7} {row['completed']:>5} completed {row['started']:>5} started  {row['name']}"
        )
    return 0


def _new(args: argparse.Namespace) -> int:
    from core.access import Permission, require_cli

    db.migrate()
    with db.session_scope() as session:
        actor = require_cli(session, Permission.CREATE_STUDY, None)
        settings = None
        if args.copy_from:
            source, _reader = study_for(session, argparse.Namespace(study=args.copy_from), Permission.VIEW_STUDY)
            _, copied = repository.current_settings(session, source.id)
            settings = copied.with_changes(title=args.name)
        try:  # a copy starts closed: the organiser opens it once its clips and texts are right
            study = studies.create(
                session, args.name, actor, slug=args.slug, settings=settings, is_open=settings is None
            )
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    print(f"Study {study.slug} created ({study.name}). Its link: /?study={study.slug}")
    return 0


def _demo_participants(args: argparse.Namespace) -> int:
    from core.access import Permission
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
        with db.session_scope() as session:
            study, _actor = study_for(session, args, Permission.EDIT_SETTINGS)
        made = simulate_participants(
            db.session_scope, args.n, d_prime=args.d_prime, seed=args.seed, echo=print, study_slug=study.slug
        )
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
    from core.access import Permission
    from experiment.withdrawal import withdraw_on_request

    db.migrate()
    try:
        with db.session_scope() as session:
            study, actor = study_for(session, args, Permission.MANAGE_PARTICIPANTS)
            number = withdraw_on_request(
                session,
                prolific_pid=args.prolific_pid,
                participant_id=args.participant_id,
                study_id=study.id,
                actor=actor,
            )
    except LookupError as error:
        print(f"error: {error}; nothing was erased", file=sys.stderr)
        return 2
    print(f"Participant {number} withdrawn: their answers, trial list, questionnaire and ids are erased.")
    return 0


def register(subparsers) -> None:
    """Add ``study show|open|close``, ``demo participants`` and ``participants withdraw`` to ``human-touch``."""
    study = subparsers.add_parser("study", help="the studies: list, new, show settings, open, close, archive, import")
    study_sub = study.add_subparsers(dest="study_command", required=True)
    global STUDY_COMMANDS
    STUDY_COMMANDS = study_sub
    listing = study_sub.add_parser("list", help="the studies you may see: slug, open or closed, participants")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=_list)
    new = study_sub.add_parser("new", help="create a study (closed until opened; you become its owner)")
    new.add_argument("name", help="the study's name, e.g. 'Pilot 2027'")
    new.add_argument("--slug", help="short name for links (default: made from the name)")
    new.add_argument("--copy-from", metavar="SLUG", help="start from that study's current settings")
    new.set_defaults(handler=_new)
    show = study_sub.add_parser("show", help="print the settings in force as JSON")
    add_study_option(show)
    show.set_defaults(handler=_show)
    opener = study_sub.add_parser("open", help="accept new participants (checks the library first)")
    add_study_option(opener)
    opener.set_defaults(handler=_set_open(True))
    closer = study_sub.add_parser("close", help="stop accepting new participants (those under way may finish)")
    add_study_option(closer)
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
    add_study_option(people)
    people.set_defaults(handler=_demo_participants)

    participants = subparsers.add_parser("participants", help="participants: withdraw one on request")
    participants_sub = participants.add_subparsers(dest="participants_command", required=True)
    withdraw = participants_sub.add_parser(
        "withdraw", help="erase everything of one participant (answers, trial list, questionnaire, ids)"
    )
    who = withdraw.add_mutually_exclusive_group(required=True)
    who.add_argument("--prolific-pid", help="the participant's Prolific ID")
    who.add_argument("--participant-id", type=int, help="the participant number of the exports")
    add_study_option(withdraw)
    withdraw.set_defaults(handler=_withdraw)

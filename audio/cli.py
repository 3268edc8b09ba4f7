"""``human-touch clips ...``: import, list, re-process and check the clip library.

    human-touch clips import PATH... --source human|ai [--creator C] [--genre G] [--title T]
                                     [--ai-system S] [--ai-version V] [--licence L] [--start S]
    human-touch clips import --manifest FILE.csv
    human-touch clips list [--all] [--json]
    human-touch clips report [--json]
    human-touch clips reprocess (CLIP_ID... | --all) [--force]

Progress and per-file failures go to stderr; ``import`` exits with 1 when any file failed.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    """Add the ``clips`` command and its subcommands to the ``human-touch`` parser."""
    clips = subparsers.add_parser("clips", help="import, list and check the clip library")
    sub = clips.add_subparsers(dest="clips_command", required=True)

    imp = sub.add_parser("import", help="add audio files (folders are searched recursively)")
    imp.add_argument("paths", nargs="*", metavar="PATH", help="audio files or folders")
    imp.add_argument(
        "--manifest",
        metavar="FILE.csv",
        help="CSV with columns path,source,title,creator,ai_system,ai_version,prompt,genre,"
        "vocals,pair_id,licence,provenance,notes,start_offset_s (paths relative to the CSV)",
    )
    imp.add_argument("--source", choices=("human", "ai"), help="who made the clips (required without --manifest)")
    imp.add_argument("--title", help="title (best for a single file)")
    imp.add_argument("--creator", help="composer / performer")
    imp.add_argument("--ai-system", help="AI system that generated the clips")
    imp.add_argument("--ai-version", help="version of the AI system")
    imp.add_argument("--prompt", help="prompt used to generate the clips")
    imp.add_argument("--genre")
    imp.add_argument("--vocals", choices=("vocal", "instrumental"))
    imp.add_argument("--pair-id", help="pair id linking matched human and AI clips")
    imp.add_argument("--licence")
    imp.add_argument("--provenance")
    imp.add_argument("--notes")
    imp.add_argument(
        "--start",
        type=float,
        metavar="SECONDS",
        help="excerpt start in seconds (default: one third into the part of each file that has sound)",
    )
    imp.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes (default 2; 0 = in this process, no protection against a decoder crash)",
    )
    imp.set_defaults(handler=_cmd_import)

    lst = sub.add_parser("list", help="show the clip library")
    lst.add_argument("--all", action="store_true", help="include retired clips")
    lst.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lst.set_defaults(handler=_cmd_list)

    rep = sub.add_parser("report", help="balance report: human vs AI clips on duration, loudness, spectrum ...")
    rep.add_argument("--json", action="store_true", help="print JSON instead of text")
    rep.set_defaults(handler=_cmd_report)

    rpr = sub.add_parser("reprocess", help="rebuild served files from the originals with the current settings")
    rpr.add_argument("clip_ids", nargs="*", type=int, metavar="CLIP_ID")
    rpr.add_argument("--all", action="store_true", help="every active clip processed with other settings")
    rpr.add_argument(
        "--force",
        action="store_true",
        help="also clips participants have heard (their responses then describe the old audio)",
    )
    rpr.set_defaults(handler=_cmd_reprocess)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _cmd_import(args: argparse.Namespace) -> int:
    from audio.bulk_import import ImportItem, collect_audio_files, import_items, read_manifest
    from audio.catalogue import ClipMetadata
    from audio.errors import IngestError
    from core import config, db

    if bool(args.manifest) == bool(args.paths):
        return _error("give either audio PATHs or --manifest FILE.csv")
    if args.manifest:
        try:
            items = read_manifest(args.manifest)
        except IngestError as error:
            return _error(str(error))
    else:
        if args.source is None:
            return _error("--source human|ai is required (or use --manifest)")
        metadata = ClipMetadata(
            source=args.source,
            title=args.title,
            creator=args.creator,
            ai_system=args.ai_system,
            ai_version=args.ai_version,
            prompt=args.prompt,
            genre=args.genre,
            vocals=args.vocals,
            pair_id=args.pair_id,
            licence=args.licence,
            provenance=args.provenance,
            notes=args.notes,
        )
        try:
            metadata.cleaned()
        except IngestError as error:
            return _error(str(error))
        items = [
            ImportItem(path=path, metadata=metadata, start_offset_s=args.start)
            for path in collect_audio_files(args.paths)
        ]
    if not items:
        return _error("no audio files found")

    config.ensure_dirs()
    db.migrate()
    actor = _allowed_actor("ADD_CLIPS")

    outcomes = import_items(items, workers=args.workers, progress=_print_import_progress)
    _audit_added(actor, [outcome for outcome in outcomes if outcome.ok])
    failed = [outcome for outcome in outcomes if not outcome.ok]
    print(f"imported {len(outcomes) - len(failed)}, failed {len(failed)}", file=sys.stderr)
    for outcome in failed:
        print(f"  - {outcome.message}", file=sys.stderr)
    return 1 if failed else 0


def _print_import_progress(outcome, done: int, total: int) -> None:
    """One line per imported file on stderr (its clip number, loudness flag and warnings, or why it failed)."""
    if outcome.ok:
        flag = f"  [{outcome.result.loudness_flag}]" if outcome.result.loudness_flag else ""
        print(f"[{done}/{total}] ok      {outcome.path}  -> clip #{outcome.result.clip_id}{flag}", file=sys.stderr)
        for warning in outcome.result.warnings:
            print(f"        WARNING: {warning}", file=sys.stderr)
    else:
        print(f"[{done}/{total}] FAILED  {outcome.path}\n        {outcome.message}", file=sys.stderr)


def _allowed_actor(permission_name: str):
    """The command's audit actor once its identity holds the server-wide permission (``core.access.Refused`` if not)."""
    from core import access, db

    with db.session_scope() as session:
        return access.require_cli(session, access.Permission[permission_name], None)


def _audit_added(actor, added: list) -> None:
    """One ``clip.add`` entry per clip stored (after the clips themselves were committed)."""
    from core import audit, db

    with db.session_scope() as session:
        for outcome in added:
            detail = {"file": str(outcome.path)}
            audit.record(session, actor, "clip.add", target=f"clip #{outcome.result.clip_id}", detail=detail)


def _clip_summary(clip) -> dict:
    return {
        "clip_id": clip.id,
        "source": clip.source,
        "title": clip.title,
        "creator": clip.creator,
        "ai_system": clip.ai_system,
        "genre": clip.genre,
        "pair_id": clip.pair_id,
        "duration_s": round(clip.duration_s, 3),
        "start_offset_s": clip.start_offset_s,
        "loudness_after_lufs": round(clip.loudness_after_lufs, 2) if clip.loudness_after_lufs is not None else None,
        "true_peak_dbtp": round(clip.true_peak_dbtp, 2) if clip.true_peak_dbtp is not None else None,
        "loudness_flag": clip.loudness_flag,
        "retired": clip.retired_at is not None,
        "uploaded_filename": clip.uploaded_filename,
        "served_name": clip.served_name,
    }


def _cmd_list(args: argparse.Namespace) -> int:
    from audio import library
    from core import db

    db.migrate()
    with db.session_scope() as session:
        rows = [_clip_summary(clip) for clip in library.list_clips(session, include_retired=args.all)]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("The clip library is empty.")
        return 0
    columns = (
        "clip_id",
        "source",
        "title",
        "creator",
        "ai_system",
        "genre",
        "duration_s",
        "loudness_after_lufs",
        "true_peak_dbtp",
        "retired",
        "loudness_flag",
    )
    table = [[("" if row[c] is None else str(row[c])) for c in columns] for row in rows]
    widths = [min(max(len(c), *(len(r[i]) for r in table)), 40) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for r in table:
        print("  ".join(value[:w].ljust(w) for value, w in zip(r, widths)))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from core import db

    try:
        from audio.balance import build_report
    except ModuleNotFoundError as missing:
        if missing.name != "audio.balance":
            raise
        return _error("the balance report is not available in this version (audio.balance is missing)")
    db.migrate()
    with db.session_scope() as session:
        report = build_report(session)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report.to_text())
    return 0


def _cmd_reprocess(args: argparse.Namespace) -> int:
    from audio import library
    from audio.errors import IngestError
    from audio.reprocess import reprocess
    from core import db

    if bool(args.all) == bool(args.clip_ids):
        return _error("give CLIP_IDs or --all")
    db.migrate()
    actor = _allowed_actor("MANAGE_LIBRARY")
    if args.all:
        with db.session_scope() as session:
            settings = library.current_processing_settings(session)
            clip_ids = [clip.id for clip in library.clips_needing_reprocess(session, settings)]
        if not clip_ids:
            print("Every active clip already uses the current settings.", file=sys.stderr)
            return 0
    else:
        clip_ids = args.clip_ids
    failed = 0
    for clip_id in clip_ids:
        try:
            result = reprocess(clip_id, force=args.force)
        except IngestError as error:
            failed += 1
            print(f"clip #{clip_id}: FAILED {error}", file=sys.stderr)
            continue
        flag = f"  [{result.loudness_flag}]" if result.loudness_flag else ""
        print(f"clip #{clip_id}: re-processed{flag}", file=sys.stderr)
        from core import audit

        with db.session_scope() as session:
            audit.record(session, actor, "clip.reprocess", target=f"clip #{clip_id}")
    return 1 if failed else 0

"""``human-touch study archive|import|replication``: a study as one file another server imports.

See :mod:`results.archive`. The commands join experiment's ``study`` group
(:data:`experiment.cli.STUDY_COMMANDS`); they live here because the archive holds results (codebook,
data), which experiment may not import.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core import db
from core.access import Permission, require_cli
from experiment import cli as experiment_cli
from experiment import studies


@contextmanager
def _atomic(out: Path) -> Iterator[Path]:
    """A temporary sibling of ``out`` to write, renamed into place when the block succeeds (never half a file)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        yield partial
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _archive(args: argparse.Namespace) -> int:
    from results.archive import write_archive

    db.migrate()
    with db.session_scope() as session:
        study = studies.resolve(session, args.slug)
        actor = require_cli(session, Permission.ARCHIVE, study.id)
        with _atomic(args.out) as partial:
            summary = write_archive(session, study.id, partial, actor)
    print(
        f"{args.out}: study {study.slug}, {summary.n_versions} settings version(s), {summary.n_clips} clip(s), "
        f"{summary.byte_size / 1e6:.1f} MB, SHA-256 {summary.sha256}"
    )
    return 0


def _replication(args: argparse.Namespace) -> int:
    from results.archive import write_replication_package

    db.migrate()
    with db.session_scope() as session:
        study = studies.resolve(session, args.slug)
        require_cli(session, Permission.EXPORT, study.id)  # the package holds the data
        actor = require_cli(session, Permission.ARCHIVE, study.id)
        with _atomic(args.out) as partial:
            digest = write_replication_package(session, study.id, partial, actor)
    print(f"{args.out}: replication package of study {study.slug}, SHA-256 {digest}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from results.archive import ArchiveError, import_archive

    db.migrate()
    try:
        with db.session_scope() as session:
            actor = require_cli(session, Permission.CREATE_STUDY, None)
            study = import_archive(session, args.file, actor, slug=args.slug)
    except ArchiveError as error:
        print(f"error: {error} Nothing was imported.", file=sys.stderr)
        return 2
    print(f"Study {study.slug} imported ({study.name}). Its link: /?study={study.slug}")
    return 0


def register_archive_commands() -> None:
    """Add ``archive``, ``import`` and ``replication`` to the ``study`` group (experiment's ``register`` ran first)."""
    group = experiment_cli.STUDY_COMMANDS
    if group is None:
        raise RuntimeError("experiment.cli.register must run before the archive commands are added")
    archive = group.add_parser("archive", help="write the study as one zip another server can import")
    archive.add_argument("slug", help="the study's short name")
    archive.add_argument("--out", required=True, type=Path, help="the zip file to write")
    archive.set_defaults(handler=_archive)
    importer = group.add_parser("import", help="create a study from an archive (a new short name if taken)")
    importer.add_argument("file", type=Path, help="the archive (human-touch study archive)")
    importer.add_argument("--slug", help="the new study's short name (default: the archived one, or slug-2, ...)")
    importer.set_defaults(handler=_import)
    replication = group.add_parser(
        "replication", help="write the replication package: archive and its SHA-256, data, codebook, analysis.R"
    )
    replication.add_argument("slug", help="the study's short name")
    replication.add_argument("--out", required=True, type=Path, help="the zip file to write")
    replication.set_defaults(handler=_replication)

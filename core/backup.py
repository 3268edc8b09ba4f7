"""Backups of the whole database while the app runs, and restores into an empty one.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot page by page
while participants keep answering (a plain file copy of a WAL database can miss committed answers
that are still in the ``-wal`` file). PostgreSQL: ``pg_dump --format=custom`` (one snapshot, the
server keeps serving) and ``pg_restore``; the command is printed, so that a lab can schedule it itself.

A restore goes only into an empty database (no tables), so it can never overwrite a study.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from core import config, db


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why, for the person running it."""


def _sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///`` URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url} is not a SQLite file")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for ``pg_dump``/``pg_restore`` and the environment with its password.

    The password goes in ``PGPASSWORD``, never on a command line that ``ps`` shows to every user.
    """
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """Copy a SQLite database page by page with the online backup API (a consistent snapshot while
    writers go on); the copy is owner-only, as the data folder is."""
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()
    os.chmod(target_path, 0o600)


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed (Debian: apt-get install postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip() or result.stdout.strip()}")


def backup(out: Path, url: str | None = None) -> list[str]:
    """Write a backup of the database at ``url`` (default: the app's) to ``out``.

    Parameters
    ----------
    out : Path
        The backup file to write (must not exist).
    url : str, optional

    Returns
    -------
    list of str
        The command that made it (PostgreSQL), or a description (SQLite), for the log.

    Raises
    ------
    BackupError
        ``out`` exists, the tool is missing or fails.
    """
    url = url or config.database_url()
    if out.exists():
        raise BackupError(f"{out} exists: choose a new file name (a backup never overwrites one)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        _sqlite_copy(_sqlite_path(url), out)
        return ["sqlite3 online backup", str(_sqlite_path(url)), "->", str(out)]
    uri, env = _libpq(url)
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}", uri]
    _run(command, env)
    os.chmod(out, 0o600)
    return command


def is_empty(url: str) -> bool:
    """Whether the database at ``url`` has no tables (a restore may only go there)."""
    engine = db.get_engine(url)
    return not inspect(engine).get_table_names()


def restore(backup_file: Path, url: str | None = None) -> list[str]:
    """Restore ``backup_file`` into the empty database at ``url`` (default: the app's).

    Raises
    ------
    BackupError
        The file is missing, the database is not empty, or the tool fails.
    """
    url = url or config.database_url()
    if not backup_file.is_file():
        raise BackupError(f"{backup_file} is not a file")
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size and not is_empty(url):
            raise BackupError(f"{path} already holds data: restore only into a new, empty database")
        db.dispose_engines()
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(backup_file, path)
        return ["sqlite3 online backup", str(backup_file), "->", str(path)]
    if not is_empty(url):
        raise BackupError("the database already holds tables: restore only into a new, empty database")
    db.dispose_engines()
    uri, env = _libpq(url)
    command = ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={uri}", str(backup_file)]
    _run(command, env)
    return command

"""Storage faults that explain themselves: a full disk, a read-only data folder, a lost database.

When the server cannot store anything, a participant must not see a traceback, and the load
balancer must stop sending new participants here. This module names the fault an exception stands
for (:func:`classify`), remembers that the process is in that state and logs one line when it
starts and one when it ends (:func:`record`), and finds out whether storage works again
(:func:`check`, used by the health check in :mod:`core.health`). Pages draw the retry page
(:mod:`core.ui.faults`); the command line prints :func:`describe`'s one sentence.

No Streamlit here: the CLI, the HTTP middleware and the pages all use it.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError

from core import config, db
from core.i18n import N_

_log = logging.getLogger(__name__)


class Fault(StrEnum):
    """What keeps the server from storing answers."""

    DISK_FULL = "disk full"
    READ_ONLY = "read-only storage"
    DATABASE_LOST = "database unreachable"


# SQLite's primary result codes (the low byte of an extended code), https://sqlite.org/rescode.html
_SQLITE_FAULTS = {13: Fault.DISK_FULL, 8: Fault.READ_ONLY, 3: Fault.READ_ONLY, 14: Fault.DATABASE_LOST}
_SQLITE_FAULTS |= {10: Fault.DATABASE_LOST, 26: Fault.DATABASE_LOST}  # I/O error, not a database
_OS_FAULTS = {
    errno.ENOSPC: Fault.DISK_FULL,
    errno.EDQUOT: Fault.DISK_FULL,
    errno.EROFS: Fault.READ_ONLY,
    errno.EACCES: Fault.READ_ONLY,
    errno.EPERM: Fault.READ_ONLY,
}
# PostgreSQL SQLSTATE classes: 53 insufficient resources (53100 disk full), 08 connection exception,
# 57P01-57P03 the server shuts down or cannot accept connections, 25006 read-only transaction.
_PG_FAULTS = {"53100": Fault.DISK_FULL, "25006": Fault.READ_ONLY, "57P01": Fault.DATABASE_LOST}
_PG_FAULTS |= {"57P02": Fault.DATABASE_LOST, "57P03": Fault.DATABASE_LOST}


def _causes(error: BaseException) -> list[BaseException]:
    """``error``, what it wraps (a DBAPI error's ``orig``) and the exceptions it was raised from."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is known for known in seen) or len(seen) > 20:
            continue
        seen.append(current)
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return seen


def _classify_one(error: BaseException) -> Fault | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return _SQLITE_FAULTS.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(error, OSError) and error.errno in _OS_FAULTS:
        return _OS_FAULTS[error.errno]
    sqlstate = getattr(error, "sqlstate", None)  # psycopg
    if isinstance(sqlstate, str):
        return _PG_FAULTS.get(sqlstate) or (Fault.DATABASE_LOST if sqlstate.startswith("08") else None)
    if isinstance(error, DisconnectionError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return Fault.DATABASE_LOST
    if type(error).__module__.startswith("psycopg") and type(error).__name__ == "OperationalError":
        return Fault.DATABASE_LOST  # no SQLSTATE: the connection could not be made at all
    return None


def classify(error: BaseException) -> Fault | None:
    """The storage fault ``error`` (or an exception it wraps or was raised from) stands for, if any.

    A full disk, a read-only file or folder, or a database that cannot be reached: SQLite result
    codes, ``OSError`` numbers and PostgreSQL SQLSTATEs. Anything else (a bug, bad input) is None.
    """
    for cause in _causes(error):
        fault = _classify_one(cause)
        if fault is not None:
            return fault
    return None


_SENTENCES = {
    Fault.DISK_FULL: "The disk holding the data folder {where} or the database is full: nothing can be stored "
    "until space is freed",
    Fault.READ_ONLY: "The data folder {where} or the database is read-only here: nothing can be stored until "
    "it is writable again (check the mount and the folder's owner)",
    Fault.DATABASE_LOST: "The database {url} cannot be reached or read: check that it is running and that "
    "HUMAN_TOUCH_DATABASE_URL is right",
}


def describe(fault: Fault, error: BaseException | None = None) -> str:
    """One sentence for an organiser: what is wrong, where, and what to do; ``error`` is quoted briefly."""
    url = config.database_url()
    shown = url.split("@", 1)[-1] if "@" in url else url  # no password in logs
    sentence = _SENTENCES[fault].format(where=config.data_dir(), url=shown)
    if error is not None:
        detail = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0][:200]
        sentence += f" ({type(error).__name__}: {detail})"
    return sentence + "."


@dataclass
class _State:
    fault: Fault | None = None
    checked_at: float = 0.0


_state = _State()
_state_lock = threading.Lock()
CHECK_EVERY_S = 2.0
"""While a fault lasts, storage is probed at most this often (health checks may come many times a second)."""


def record(error: BaseException) -> Fault | None:
    """Remember the fault ``error`` stands for (None: not a storage fault, nothing remembered).

    The first occurrence logs one line (which fault, where, what to do); repeats while it lasts do not.
    """
    fault = classify(error)
    if fault is None:
        return None
    with _state_lock:
        starts = _state.fault != fault
        _state.fault, _state.checked_at = fault, time.monotonic()
    if starts:
        _log.error(
            "Storage fault: %s Participants see the retry page; the health check answers 503.", describe(fault, error)
        )
    return fault


def current() -> Fault | None:
    """The fault this process last met and has not yet seen end (no probing)."""
    return _state.fault


def probe(engine: Engine, data_dir: Path) -> Fault | None:
    """Try to store something, changing nothing: None when the data folder and the database take writes.

    The data folder gets a small file, written through to the disk and deleted (a full or read-only
    file system). The database gets a write inside a transaction that is rolled back: on SQLite a
    table (which needs a new page: a full database, a read-only file), on PostgreSQL a connection.
    """
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".ht-probe-") as scratch:
            scratch.write(b"\0" * 4096)
            scratch.flush()
            os.fsync(scratch.fileno())
        db.try_a_write(engine)
    except Exception as error:  # whatever it is, storage does not work; classify says how
        return classify(error) or Fault.DATABASE_LOST
    return None


def check(engine: Engine, data_dir: Path) -> Fault | None:
    """The fault still in force: None at once when there is none, else a fresh :func:`probe` (rate limited).

    When the probe succeeds the fault has ended: one line is logged and None returned.
    """
    with _state_lock:
        fault = _state.fault
        if fault is None or time.monotonic() - _state.checked_at < CHECK_EVERY_S:
            return fault
        _state.checked_at = time.monotonic()
    still = probe(engine, data_dir)
    with _state_lock:
        if still is None and _state.fault is not None:
            _log.warning("Storage works again (after: %s); the health check answers 200.", _state.fault)
        _state.fault = still
        return _state.fault


def forget() -> None:
    """Start from no fault (a new process; tests)."""
    with _state_lock:
        _state.fault, _state.checked_at = None, 0.0


# What a participant reads while storage is faulty (the retry page in the app, and the page a new
# visitor gets from the health gate); translated in core/locales.
RETRY_TITLE = N_("We cannot save answers at the moment")
RETRY_TEXT = N_(
    "Your answers so far are saved. A problem on our server keeps us from saving new ones right now. "
    "Please try again in a few minutes: you will continue where you left off."
)
RETRY_BUTTON = N_("Try again")
RETRY_MESSAGES = (RETRY_TITLE, RETRY_TEXT, RETRY_BUTTON)

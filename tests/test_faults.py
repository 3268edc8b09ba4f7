"""Storage faults name themselves: real full, read-only and unreachable databases and folders.

Each fault is produced for real (SQLite's page limit, a read-only file or mount, a port nobody
listens on), never by raising a made-up exception. The browser's view (retry page, health check,
answer stored once) is in tests/e2e/test_faults.py.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from core import db, faults
from core.faults import Fault

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_fault_left():
    faults.forget()
    yield
    faults.forget()


def _error_of(action) -> BaseException:
    try:
        action()
    except BaseException as error:  # the real exception the storage raised
        return error
    raise AssertionError("the storage did not fail")


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` made read-only for real: a read-only mount as root (root ignores permission bits), else mode 0555."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(folder)], check=True)
        try:
            yield folder
        finally:
            subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


def _full_sqlite_engine(path: Path):
    """A SQLite engine whose every connection may not grow the file: SQLite raises SQLITE_FULL."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE answers (x BLOB)"))

    @event.listens_for(engine, "connect")
    def _cap(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA max_page_count = 1")  # below the current size: capped there

    engine.dispose()
    return engine


def test_a_full_sqlite_database_is_a_full_disk(tmp_path):
    engine = _full_sqlite_engine(tmp_path / "full.db")

    def insert():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO answers VALUES (zeroblob(100000))"))

    assert faults.classify(_error_of(insert)) is Fault.DISK_FULL


def test_a_read_only_database_file_and_folder_are_read_only(tmp_path):
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert faults.classify(_error_of(lambda: read_only.execute("INSERT INTO t VALUES (1)"))) is Fault.READ_ONLY
    with read_only_folder(tmp_path / "locked") as folder:
        assert faults.classify(_error_of((folder / "new").mkdir)) is Fault.READ_ONLY


def test_an_unreachable_postgresql_and_a_file_that_is_no_database_are_lost_databases(tmp_path):
    engine = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:9/none", connect_args={"connect_timeout": 5})
    assert faults.classify(_error_of(engine.connect)) is Fault.DATABASE_LOST
    garbage = tmp_path / "not.db"
    garbage.write_bytes(b"this is not a database " * 100)
    broken = create_engine(f"sqlite:///{garbage}")
    assert faults.classify(_error_of(lambda: broken.connect().execute(text("SELECT * FROM t")))) is Fault.DATABASE_LOST


def test_other_errors_are_not_storage_faults(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'ok.db'}")
    assert faults.classify(_error_of(lambda: engine.connect().execute(text("SELECT * FROM missing")))) is None
    assert faults.classify(_error_of(lambda: int("x"))) is None


def test_a_fault_logs_one_line_and_ends_when_storage_works_again(tmp_path, caplog):
    full = _full_sqlite_engine(tmp_path / "full.db")

    def insert():
        with full.begin() as conn:
            conn.execute(text("INSERT INTO answers VALUES (zeroblob(100000))"))

    with caplog.at_level(logging.INFO, logger="core.faults"):
        for _ in range(3):  # three participants meet it: one line
            assert faults.record(_error_of(insert)) is Fault.DISK_FULL
    (line,) = [r.getMessage() for r in caplog.records]
    assert "\n" not in line and "is full" in line and "503" in line

    assert faults.probe(full, tmp_path) is Fault.DISK_FULL  # still full: the probe's write fails too
    faults.CHECK_EVERY_S, every = 0.0, faults.CHECK_EVERY_S
    try:
        assert faults.check(full, tmp_path) is Fault.DISK_FULL
        roomy = create_engine(f"sqlite:///{tmp_path / 'full.db'}")  # space freed: no page limit
        with caplog.at_level(logging.INFO, logger="core.faults"):
            assert faults.check(roomy, tmp_path) is None
        assert faults.current() is None and "works again" in caplog.records[-1].getMessage()
        with roomy.connect() as conn:  # the probe left nothing behind
            assert conn.execute(text("SELECT count(*) FROM answers")).scalar_one() == 0
            assert "_ht_storage_probe" not in str(conn.execute(text("SELECT name FROM sqlite_master")).all())
    finally:
        faults.CHECK_EVERY_S = every


def test_prepare_on_a_read_only_data_folder_says_so_in_one_sentence(tmp_path):
    with read_only_folder(tmp_path / "data") as data:
        env = {**os.environ, "HUMAN_TOUCH_DATA": str(data)}
        env.pop("HUMAN_TOUCH_DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "human_touch.cli", "prepare", "--no-demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: The data folder") and "read-only" in line and line.endswith(".")
    db.dispose_engines()

"""Engine, sessions and migrations: the one database layer every package uses.

SQLite (WAL mode, foreign keys on) is the embedded default; PostgreSQL is used when
``HUMAN_TOUCH_DATABASE_URL`` points at it. Repository modules in each package take a
:class:`sqlalchemy.orm.Session` from :func:`session_scope`; pages never write SQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from core import config

_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the app read while another process (CLI import, second worker) writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Wait for a competing writer instead of failing at once with "database is locked".
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _create_private_file(path: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite would create it world-readable.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions, so they follow.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


DEFAULT_POOL = (10, 30)
"""Pool size and overflow per process when the database sets no limit (SQLite) or allows more."""

ADMIN_RESERVE = 5
"""PostgreSQL connections left free for psql, backups and ``human-touch`` commands beside the app."""

_log = logging.getLogger(__name__)


def app_processes() -> int:
    """How many app processes share the database: ``HUMAN_TOUCH_PROCESSES`` (serve.sh and the systemd units set it)."""
    return max(1, int(os.environ.get("HUMAN_TOUCH_PROCESSES", "1")))


def pool_limits(connection_limit: int | None = None, processes: int = 1) -> dict[str, int]:
    """Connection pool size per process, within what the database server allows.

    Every participant's script run holds one connection while it runs, and a Prolific launch puts
    dozens of runs in flight in one process at once (they queue for the CPU while holding it).
    SQLAlchemy's default of 5 + 10 made 48 of 100 simulated participants fail with "QueuePool limit
    reached" on 2 replicas; 10 + 30 did not (at most 61 connections were in use at 200 participants
    on three processes). With ``connection_limit`` (PostgreSQL's ``max_connections`` minus its
    superuser reserve) the ``processes`` share it, less :data:`ADMIN_RESERVE`: a quarter of a
    process's share is kept open, the rest may open under load. ``HUMAN_TOUCH_DB_POOL_SIZE`` /
    ``HUMAN_TOUCH_DB_MAX_OVERFLOW`` override either number; an override that lets the processes
    together open more than the server allows is kept but logged as one warning line.
    """
    pool_size, max_overflow = DEFAULT_POOL
    if connection_limit is not None:
        share = max(2, (connection_limit - ADMIN_RESERVE) // max(1, processes))
        pool_size = min(pool_size, max(1, share // 4))
        max_overflow = min(max_overflow, share - pool_size)
    pool_size = int(os.environ.get("HUMAN_TOUCH_DB_POOL_SIZE", pool_size))
    max_overflow = int(os.environ.get("HUMAN_TOUCH_DB_MAX_OVERFLOW", max_overflow))
    if connection_limit is not None and (pool_size + max_overflow) * processes > connection_limit:
        _log.warning(
            "Database connections: %d processes x (pool %d + overflow %d) = %d may exceed the %d PostgreSQL "
            "allows (max_connections less its superuser reserve); lower HUMAN_TOUCH_DB_MAX_OVERFLOW or raise "
            "max_connections.",
            processes,
            pool_size,
            max_overflow,
            (pool_size + max_overflow) * processes,
            connection_limit,
        )
    return {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": 60}


def server_connection_limit(url: str) -> int | None:
    """Connections a PostgreSQL server at ``url`` gives ordinary users (None if it cannot be asked now).

    One short connection outside any pool: ``max_connections`` less ``superuser_reserved_connections``.
    """
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as conn:
            allowed = int(conn.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    except OperationalError as error:  # the server is down: size the pool as if it allowed the default
        _log.warning("Database connections: could not ask the server for max_connections (%s)", error.orig)
        return None
    finally:
        probe.dispose()
    return allowed - reserved


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the project's connection settings."""
    if url.startswith("sqlite"):
        if url == "sqlite:///:memory:" or not url.startswith("sqlite:///"):
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        else:
            _create_private_file(Path(url[len("sqlite:///") :]))
            engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **pool_limits())
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    limits = pool_limits(server_connection_limit(url), app_processes())
    return create_engine(url, pool_pre_ping=True, **limits)


def try_a_write(engine: Engine) -> None:
    """Write to the database and roll it back (the storage probe of :mod:`core.faults`); raises what it meets.

    SQLite: a table with a 4 KiB row, which needs new pages (a full database, a read-only file
    raise). PostgreSQL: a connection and a query (a lost server raises).
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("BEGIN"))  # the driver would run the DDL outside any transaction
            conn.execute(text("CREATE TABLE _ht_storage_probe (x BLOB)"))
            conn.execute(text("INSERT INTO _ht_storage_probe VALUES (zeroblob(4096))"))
        else:
            conn.execute(text("SELECT 1"))
        conn.rollback()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default :func:`core.config.database_url`)."""
    url = url or config.database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before forking worker processes)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def snapshot_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A read-only session in which every query sees the same snapshot of the database.

    For reads that must agree with each other while participants keep answering (the results' data
    set: answers, participants, clips, versions and flow are read in one of these). PostgreSQL:
    ``REPEATABLE READ, READ ONLY``. SQLite (WAL): one read transaction, begun explicitly, because the
    driver begins a transaction only before a write, so each SELECT would otherwise see the newest data.
    """
    engine = engine or get_engine()
    if engine.dialect.name == "postgresql":
        readonly = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with session_scope(readonly) as session:
            yield session
        return
    with session_scope(engine) as session:
        session.execute(text("BEGIN"))
        yield session


def alembic_config(url: str):
    """An Alembic config object for ``url`` using the project's migration scripts."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Apply every pending migration (idempotent; safe to call at every start)."""
    from alembic import command

    url = url or config.database_url()
    engine = get_engine(url)
    cfg = alembic_config(url)
    # Several replicas may start at once: one migrates, the others wait and then find nothing to
    # do. (On SQLite, Alembic's version check alone does not stop two processes from both seeing
    # "no version" and the second failing with "table ... already exists".)
    with exclusive("migrate", engine), engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite's batch ALTER rebuilds a table (copy, DROP, rename); with foreign keys on, the
            # DROP would first delete every row and cascade into the tables that refer to it
            # (dropping participants would empty trials and responses). Off for this connection
            # only, and every reference is checked before the migration commits.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # ends SQLAlchemy's autobegun block; the pragma is outside any transaction
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def hold_lock(session: Session, name: str) -> None:
    """Take the lock ``name`` until ``session``'s transaction ends (commit or rollback).

    For read-then-write decisions that must not interleave across processes or replicas, e.g.
    balancing clip exposure when many participants are assigned at once. PostgreSQL: a
    transaction-level advisory lock keyed by the name. SQLite: the database's write lock, taken
    now by a statement that writes nothing (SQLite has one writer at a time, and a transaction
    that starts by writing reads the newest data).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})
    else:
        session.execute(text("UPDATE studies SET id = id WHERE 0 = 1"))


@contextmanager
def exclusive(name: str, engine: Engine | None = None) -> Iterator[None]:
    """Hold the lock ``name`` across processes and replicas for a long task (e.g. the demo build).

    Unlike :func:`hold_lock` this blocks no database writes meanwhile. PostgreSQL: a session-level
    advisory lock on a dedicated connection. SQLite: an ``flock`` on a file beside the database
    (every process sharing a SQLite file shares its folder).
    """
    engine = engine or get_engine()
    if engine.dialect.name == "postgresql":
        key = _lock_key(name)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        return
    database = engine.url.database
    lock_path = f"{database}.{name}-lock" if database and database != ":memory:" else None
    if lock_path is None:
        yield
        return
    with os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)

"""Shared fixtures.

Database tests run against every available backend: SQLite always, PostgreSQL when
``HUMAN_TOUCH_TEST_PG_URL`` is set (``.ci/run`` starts one). Each test gets a copy of a database
migrated once per test process (a copied SQLite file, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL);
under pytest-xdist every worker has its own template and test database on the same server. Under ``CI=true`` a missing
PostgreSQL or browser is an error, not a skip, so CI cannot go green on half the suite.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from core import db

# A persistent numba cache: librosa's kernels compile once per machine, not once per run. Each xdist
# worker keeps its own folder inside it: two workers compiling different signatures of one cached
# gufunc at the same moment (librosa's peak_pick, float32 and float64) left an index that made every
# later process segfault on loading it (a clean-clone CI run lost 7 workers that way).
_NUMBA_CACHE = os.environ.get("NUMBA_CACHE_DIR") or str(Path(__file__).resolve().parents[1] / ".numba-cache")
os.environ["NUMBA_CACHE_DIR"] = os.path.join(_NUMBA_CACHE, os.environ.get("PYTEST_XDIST_WORKER", "main"))

# The results pages keep an analysis for 30 s by default; on a loaded machine one AppTest run can take
# longer, and a test that reads the pages' analysis after the run would find it expired and rebuilt.
os.environ.setdefault("HUMAN_TOUCH_RESULTS_CACHE_S", "3600")

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("HUMAN_TOUCH_TEST_PG_URL", "").strip()


def require_or_skip(available: bool, what: str) -> None:
    """Skip when ``what`` is missing locally; fail under CI, where everything must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


WORKER = "_".join(
    (
        os.environ.get("PYTEST_XDIST_WORKER", "main"),
        os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:12],
    )
)
"""This test process's name (xdist worker and run): each has its own PostgreSQL databases, so two runs of the
suite against one server (two developers on a shared machine) never touch each other's."""


def _postgres_admin():
    """An autocommit engine on the test server's maintenance database (CREATE/DROP DATABASE)."""
    return create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _recreate_postgres(name: str, template: str | None = None) -> str:
    """Drop and create database ``name`` (a copy of ``template`` when given); return its URL."""
    admin = _postgres_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated to head once per test process; tests start from a copy (~1 ms, not ~35)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    db.migrate(f"sqlite:///{path}")
    db.dispose_engines()  # the last connection closes: the WAL is checkpointed into the file
    return path


def _drop_postgres(*names: str) -> None:
    admin = _postgres_admin()
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head once per test process (``CREATE DATABASE ... TEMPLATE``
    copies it in ~35 ms where Alembic takes ~250 ms); it and the test copies are dropped at the end."""
    require_or_skip(bool(PG_URL), "PostgreSQL (HUMAN_TOUCH_TEST_PG_URL)")
    name = f"human_touch_template_{WORKER}"
    url = _recreate_postgres(name)
    db.migrate(url)
    db.dispose_engines()  # a template must have no open connections
    yield name
    db.dispose_engines()
    _drop_postgres(name, f"human_touch_test_{WORKER}", f"human_touch_restored_{WORKER}")


def migrated_sqlite_copy(template: Path, path: Path) -> str:
    """Copy the migrated template to ``path`` and return its URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """A fresh, migrated, empty database URL for each backend (a copy of the migrated template)."""
    if request.param == "sqlite":
        return migrated_sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
    template = request.getfixturevalue("postgres_template")
    db.dispose_engines()
    return _recreate_postgres(f"human_touch_test_{WORKER}", template)


def _forget_streamlit_caches() -> None:
    """Empty Streamlit's process-wide caches: AppTest runs pages in this process, and a PostgreSQL test
    database keeps its URL from test to test, so a cached analysis of the last test's data would match."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def data_env(tmp_path: Path, database_url: str, monkeypatch) -> Iterator[Path]:
    """Point the app at a temporary data folder and the fresh test database.

    Returns the data folder. Engines are disposed afterwards so no connection leaks
    into the next test's database.
    """
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", database_url)
    _forget_streamlit_caches()
    yield data
    db.dispose_engines()


@pytest.fixture
def sqlite_data_env(tmp_path: Path, monkeypatch, sqlite_template: Path) -> Iterator[Path]:
    """Like ``data_env`` but SQLite only, for tests that are not about the database."""
    data = tmp_path / "data"
    data.mkdir()
    url = migrated_sqlite_copy(sqlite_template, data / "human_touch.db")
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", url)
    _forget_streamlit_caches()
    yield data
    db.dispose_engines()

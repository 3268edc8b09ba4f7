"""Shared fixtures.

Database tests run against every available backend: SQLite always, PostgreSQL when
``HUMAN_TOUCH_TEST_PG_URL`` is set (``.ci/run`` starts one). Under ``CI=true`` a missing
PostgreSQL or browser is an error, not a skip, so CI cannot go green on half the suite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core import db

# A persistent numba cache: librosa's kernels compile once per machine, not once per run.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("HUMAN_TOUCH_TEST_PG_URL", "").strip()


def require_or_skip(available: bool, what: str) -> None:
    """Skip when ``what`` is missing locally; fail under CI, where everything must run."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but is not available")
    pytest.skip(f"{what} not available")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """A fresh, migrated, empty database URL for each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        require_or_skip(bool(PG_URL), "PostgreSQL (HUMAN_TOUCH_TEST_PG_URL)")
        url = PG_URL
        db.dispose_engines()
        _reset_postgres(url)
    db.migrate(url)
    return url


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
    yield data
    db.dispose_engines()


@pytest.fixture
def sqlite_data_env(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """Like ``data_env`` but SQLite only, for tests that are not about the database."""
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'human_touch.db'}"
    monkeypatch.setenv("HUMAN_TOUCH_DATA", str(data))
    monkeypatch.setenv("HUMAN_TOUCH_DATABASE_URL", url)
    db.migrate(url)
    yield data
    db.dispose_engines()

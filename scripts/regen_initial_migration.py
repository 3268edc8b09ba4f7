"""Regenerate ``0001_initial`` from the models (only until the first tagged release).

Usage: python scripts/regen_initial_migration.py
After the first release, add new revisions with ``alembic revision --autogenerate`` instead.
"""

import tempfile
from pathlib import Path

from alembic import command

from core.db import alembic_config

versions = Path(__file__).resolve().parents[1] / "core" / "migrations" / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    cfg = alembic_config(f"sqlite:///{tmp}/empty.db")
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
for new in versions.glob("0001_*.py"):
    new.rename(versions / "0001_initial.py")
print("wrote", versions / "0001_initial.py")

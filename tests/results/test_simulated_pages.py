"""A new user's first look: the demo study with simulated participants fills every results page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import db
from experiment.simulate import simulate_participants
from tests.experiment.drive import add_clips, configure
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["results/pages/overview.py", "results/pages/clips.py", "results/pages/features.py", "results/pages/export.py"]


@pytest.fixture
def simulated_study(sqlite_data_env):
    add_clips(7, 7)  # 12 main clips and one for the practice trial
    configure()
    simulate_participants(db.session_scope, 12, d_prime=1.5, seed=1, echo=lambda _: None)


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES)
def test_simulated_participants_fill_each_page_only_when_included(simulated_study, path):
    app = AppTest.from_file(str(ROOT / path), default_timeout=120)
    log_in_as_admin(app)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("No answered main trials" in i.value for i in app.info)  # left out by default

    app.sidebar.checkbox(key="rf_include_simulated").check().run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert not any("No answered main trials" in i.value for i in app.info)
    assert "INCLUDING SIMULATED" in " ".join(c.value for c in app.caption)
    if path.endswith("overview.py"):
        assert "; listeners 0." in " ".join(m.value for m in app.markdown)

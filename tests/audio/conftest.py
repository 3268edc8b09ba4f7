"""Audio tests run with the wiring the app and the command line set up at start-up."""

from __future__ import annotations

import pytest

from audio import library
from experiment import repository as experiment_repository


@pytest.fixture(autouse=True)
def heard_check_wired():
    """Audio asks experiment whether a clip was heard, as ``app.py`` and ``human-touch`` wire it."""
    library.use_heard_check(experiment_repository.clip_has_been_heard)
    yield
    library.use_heard_check(None)

"""Staff pages show each account only what its role on the chosen study allows (AppTest, SQLite).

A researcher of study A reads A's settings but cannot change them, is refused B in words (even by
typing B's address), and cannot open B's results or anyone's participant list.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import access, db, repository
from experiment import studies
from experiment.settings import StudySettings
from tests.experiment.playable_clips import add_playable_clips
from tests.staff_accounts import make_account

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_studies(sqlite_data_env):
    """Study A (the default) and study B, with playable clips; returns (A, B)."""
    add_playable_clips(3, 3.0)
    operator = access.operator().actor()
    with db.session_scope() as session:
        first = studies.default(session)
        second = studies.create(session, "Study B", operator, slug="study-b", settings=StudySettings(n_trials=2))
    return first, second


def _as(username: str, roles: dict[int, str], page: str) -> AppTest:
    """An AppTest of ``page`` logged in as a new non-admin account holding ``roles`` ({study id: role})."""
    account_id = make_account(username, is_admin=False)
    with db.session_scope() as session:
        for study_id, role in roles.items():
            repository.set_member_role(session, study_id, account_id, role)
        epoch = repository.account(session, account_id).session_epoch
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["_staff_authenticated"] = True
    at.session_state["_staff_account_id"] = account_id
    at.session_state["_staff_session_epoch"] = epoch
    return at


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in (at.error, at.info, at.warning, at.markdown, at.title) for e in kind)


def test_a_researcher_reads_settings_but_gets_no_form_and_no_toggle(two_studies):
    first, _second = two_studies
    at = _as("rita", {first.id: "researcher"}, "experiment/pages/study_settings.py").run()
    assert not at.exception
    assert "lets you read its settings, not change them" in _texts(at)
    assert not [b for b in at.button if b.label == "Save as new version"]
    assert all(toggle.disabled for toggle in at.toggle)


def test_an_address_naming_another_study_is_refused_in_words(two_studies):
    first, second = two_studies
    at = _as("rita", {first.id: "researcher"}, "experiment/pages/study_settings.py")
    at.query_params["study"] = second.slug
    at.run()
    assert f"no role in a study called '{second.slug}'" in _texts(at)
    assert f"Study settings: {first.name}" in _texts(at)  # her own study, never B's settings


def test_an_organiser_of_b_gets_the_form_for_b(two_studies):
    _first, second = two_studies
    at = _as("olga", {second.id: "organiser"}, "experiment/pages/study_settings.py").run()
    assert f"Study settings: {second.name}" in _texts(at)
    assert [b for b in at.button if b.label == "Save as new version"]


@pytest.mark.parametrize(
    "page, refusal",
    [
        ("experiment/pages/participants.py", "does not allow managing participants"),
        ("experiment/pages/preview.py", "does not allow previewing the study"),
    ],
)
def test_a_researcher_is_refused_participants_and_preview(two_studies, page, refusal):
    first, _second = two_studies
    at = _as("rita", {first.id: "researcher"}, page).run()
    assert refusal in _texts(at)


def test_someone_without_a_role_anywhere_is_told_so(two_studies):
    at = _as("nobody", {}, "experiment/pages/study_settings.py").run()
    assert "no role in any study yet" in _texts(at)

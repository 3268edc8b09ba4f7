"""The staff Participants page and the preview's jump to a step, rendered with Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import db
from experiment import repository
from tests.experiment.drive import complete_participant, prolific, reach_trials
from tests.experiment.playable_clips import add_playable_clips
from tests.experiment.test_participate_apptest import SHORT_STUDY, texts
from tests.staff_accounts import log_in_as_admin

ROOT = Path(__file__).resolve().parents[2]


def _staff_page(relative: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / relative), default_timeout=60)
    log_in_as_admin(at)
    return at


def _study() -> None:
    add_playable_clips(3, 3.0)
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY.with_changes(min_answer_seconds=0.0))


def test_participants_page_lists_who_is_in_the_study_with_prolific_ids(sqlite_data_env):
    _study()
    complete_participant(prolific("a" * 24))
    reach_trials(prolific("b" * 24))
    anonymous = AppTest.from_file(str(ROOT / "experiment/pages/participants.py"), default_timeout=60).run()
    assert "for study staff" in anonymous.error[0].value

    at = _staff_page("experiment/pages/participants.py").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Finished"] == "1" and metrics["In progress"] == "1"
    (table,) = at.dataframe
    assert set(table.value["prolific_pid"]) == {"a" * 24, "b" * 24}
    assert sorted(table.value["status"]) == ["finished", "in progress"]
    labels = [getattr(button, "label", "") or button.proto.label for button in at.get("download_button")]
    assert any(label.startswith("Approve (1)") for label in labels)


def test_participants_page_says_why_it_is_empty(sqlite_data_env):
    _study()
    at = _staff_page("experiment/pages/participants.py").run()
    assert "Nobody has taken part yet" in texts(at)


def test_preview_jumps_straight_to_the_debrief(sqlite_data_env):
    _study()
    at = _staff_page("experiment/pages/preview.py").run()
    assert "Information about this study" in texts(at)
    at.selectbox[0].set_value("debrief")
    at.button[0].click().run()  # the form's "Start here"
    assert not at.exception, [e.value for e in at.exception]
    assert "Which clips were made by AI?" in texts(at) and "PREVIEW" in texts(at)


def test_staff_withdraw_a_participant_on_request_from_the_participants_page(sqlite_data_env):
    _study()
    complete_participant(prolific("c" * 24))
    reach_trials(prolific("d" * 24))
    at = _staff_page("experiment/pages/participants.py").run()
    at.text_input(key="withdraw_who").set_value("c" * 24)
    at.button[-1].click().run()  # without the confirmation: refused
    assert any("nothing was erased" in w.value for w in at.warning)
    at.text_input(key="withdraw_who").set_value("c" * 24)
    at.checkbox(key="withdraw_sure").check()
    at.button[-1].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("withdrawn" in s.value for s in at.success)
    (table,) = at.dataframe
    assert set(table.value["prolific_pid"]) == {"d" * 24}

"""Withdrawal: by the participant (resume link) or by staff on request, nothing of the person remains."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import db
from core.models import Base, utcnow
from experiment.entry import load_participant
from experiment.progress import JourneyError
from experiment.withdrawal import withdraw, withdraw_on_request
from human_touch.cli import main
from results.data.dataset import Filters, load_dataset
from results.rendering import export
from tests.experiment.drive import add_clips, answer_current, complete_participant, configure, prolific, reach_trials


def _every_cell() -> list[object]:
    """Every value stored in every table."""
    cells: list[object] = []
    with db.session_scope() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                cells.extend(row)
    return cells


def _traces(number: int, *texts: str) -> list[str]:
    """Where the participant's number (in a participant_id column) or identifying texts still appear."""
    found = [text for text in texts if any(isinstance(cell, str) and text in cell for cell in _every_cell())]
    with db.session_scope() as s:
        for table in Base.metadata.sorted_tables:
            column = table.c.get("participant_id") if table.name != "participants" else table.c.id
            if column is not None and s.execute(select(column).where(column == number)).first():
                found.append(f"{table.name} row of participant {number}")
    return found


def test_withdrawing_mid_study_and_after_finishing_leaves_nothing_of_the_person(data_env, tmp_path):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    stays = complete_participant(prolific("STAYS-1", session_id="S0"))
    mid = reach_trials(prolific("MIDWAY-1", session_id="S1"))
    assert answer_current(mid).status == "recorded"
    done = complete_participant(prolific("DONE-1", session_id="S2"))
    with db.session_scope() as s:
        staying = load_participant(s, stays).id
    numbers = {}
    for token in (mid, done):
        with db.session_scope() as s:
            participant = load_participant(s, token)
            numbers[token] = participant.id
            withdraw(s, participant, utcnow())
    assert _traces(numbers[mid], mid, "MIDWAY-1") == []
    assert _traces(numbers[done], done, "DONE-1") == []
    dataset = load_dataset(Filters(completed_only=False))
    assert set(dataset.participants["participant_id"]) == {staying}
    flow = dataset.flow.set_index("stage")
    assert flow.loc["Withdrew (everything of them erased)", "removed"] == 2
    assert flow["remaining"].iloc[0] == 3  # arrived: the two who withdrew are counted, nothing else of them
    for path in export.export_all(tmp_path, filters=Filters(completed_only=False)):
        content = path.read_bytes()
        assert b"MIDWAY-1" not in content and b"DONE-1" not in content and mid.encode() not in content, path.name


def test_staff_withdraw_by_prolific_id_from_the_command_line(data_env, capsys):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = complete_participant(prolific("ASKED-BY-EMAIL", session_id="S1"))
    with db.session_scope() as s:
        number = load_participant(s, token).id
    assert main(["participants", "withdraw", "--prolific-pid", "NOBODY"]) == 2
    assert "no participant" in capsys.readouterr().err
    assert main(["participants", "withdraw", "--prolific-pid", "ASKED-BY-EMAIL"]) == 0
    assert f"Participant {number} withdrawn" in capsys.readouterr().out
    assert _traces(number, token, "ASKED-BY-EMAIL") == []


def test_after_the_deadline_only_staff_can_withdraw_and_a_double_click_counts_once(data_env):
    add_clips(6, 6)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    configure(n_trials=4, screening="off", withdrawal_deadline=yesterday)
    token = complete_participant(prolific("LATE-1", session_id="S1"))
    with db.session_scope() as s, pytest.raises(JourneyError, match=f"until {yesterday}"):
        withdraw(s, load_participant(s, token), utcnow())
    with db.session_scope() as s:
        number = load_participant(s, token).id  # nothing was erased
    with db.session_scope() as s:
        assert withdraw_on_request(s, participant_id=number) == number
    with db.session_scope() as s, pytest.raises(LookupError):
        withdraw_on_request(s, participant_id=number)  # a second click finds nobody and counts nothing
    dataset = load_dataset(Filters(completed_only=False))
    assert dataset.flow.set_index("stage").loc["Withdrew (everything of them erased)", "removed"] == 1


def test_where_the_consent_says_so_a_withdrawal_keeps_the_answers_without_identifiers(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", withdrawal_keeps_answers=True)
    token = complete_participant(prolific("KEPT-1", study="STUDY9", session_id="SESSION9"))
    with db.session_scope() as s:
        participant = load_participant(s, token)
        number = participant.id
        withdraw(s, participant, utcnow())
    # Only the pseudonymous rows remain: no resume token, Prolific, study or session id anywhere.
    assert set(_traces(number, token, "KEPT-1", "STUDY9", "SESSION9")) == {
        f"{table} row of participant {number}" for table in ("participants", "trials", "responses")
    }
    with pytest.raises(JourneyError):  # the resume link reaches nothing any more
        with db.session_scope() as s:
            load_participant(s, token)
    dataset = load_dataset(Filters(completed_only=False))
    assert set(dataset.participants["participant_id"]) == {number}  # the answers stay in the results
    assert dataset.n_main_trials == 4
    with db.session_scope() as s, pytest.raises(LookupError):  # and no Prolific ID finds them again
        withdraw_on_request(s, prolific_pid="KEPT-1")
    with db.session_scope() as s:
        from core import audit

        (event,) = [e for e in audit.events(s) if e.action == "participant.withdraw"]
    assert event.detail == {"by": "participant", "answers_kept": True} and event.target == f"participant {number}"

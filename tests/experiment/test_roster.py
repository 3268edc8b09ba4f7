"""The Participants page's roster: status rules, progress, flags, and the Prolific decision lists."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from experiment import roster
from experiment.roster import ProlificList, Status

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _record(pid: int, **fields) -> dict:
    base = {
        "participant_id": pid,
        "participant_created_at": NOW - timedelta(minutes=30),
        "consented_at": NOW - timedelta(minutes=30),
        "completed_at": None,
        "last_answer_at": None,
        "step": "trials",
        "screening_passed": True,
        "flags": {},
        "n_answered": 0,
        "n_trials_assigned": 14,
        "prolific_pid": f"PID{pid:021d}",
        "prolific_session_id": f"S{pid}",
        "completion_code": None,
    }
    return {**base, **fields}


RECORDS = [
    _record(1, completed_at=NOW - timedelta(minutes=5), step="debrief", n_answered=14, completion_code="C0DE"),
    _record(2, completed_at=NOW - timedelta(minutes=5), step="debrief", n_answered=14, flags={"too_fast": True}),
    _record(3, step="screened_out", screening_passed=False),
    _record(4, n_answered=3, last_answer_at=NOW - timedelta(minutes=2)),
    _record(
        5,
        n_answered=3,
        last_answer_at=NOW - timedelta(hours=3),
        consented_at=NOW - timedelta(hours=4),
        participant_created_at=NOW - timedelta(hours=4),
    ),
    _record(6, prolific_pid=None, n_answered=1, last_answer_at=NOW - timedelta(minutes=1)),
]


def test_each_participant_gets_the_status_progress_and_flags_staff_need():
    rows = {row["participant_id"]: row for row in roster.roster(RECORDS, NOW, idle_minutes=60)}
    assert [rows[i]["status"] for i in range(1, 7)] == [
        Status.FINISHED,
        Status.FINISHED,
        Status.SCREENED_OUT,
        Status.IN_PROGRESS,
        Status.DROPPED_OUT,
        Status.IN_PROGRESS,
    ]
    assert (rows[4]["trials_done"], rows[4]["trials_total"]) == (3, 14)
    assert rows[2]["flags"] == "answered too fast" and rows[1]["flags"] == ""
    assert rows[1]["minutes_taken"] == 25.0  # consent to debrief
    assert rows[1]["completion_code"] == "C0DE"


def test_the_idle_threshold_decides_who_dropped_out():
    rows = {row["participant_id"]: row for row in roster.roster(RECORDS, NOW, idle_minutes=240)}
    assert rows[5]["status"] == Status.IN_PROGRESS


def test_prolific_lists_split_approve_review_return_and_the_first_column_is_only_ids():
    rows = roster.roster(RECORDS, NOW)
    ids = {which: [r["participant_id"] for r in roster.prolific_list(rows, which)] for which in ProlificList}
    assert ids == {ProlificList.APPROVE: [1], ProlificList.REVIEW: [2], ProlificList.RETURN: [5, 3]}
    table = list(csv.reader(io.StringIO(roster.prolific_csv(roster.prolific_list(rows, ProlificList.RETURN)))))
    assert table[0][0] == "prolific_pid"
    assert [line[0] for line in table[1:]] == [f"PID{5:021d}", f"PID{3:021d}"]


def test_prolific_lists_neutralise_cells_a_spreadsheet_would_run():
    row = {
        "prolific_pid": "-2-3",
        "status": "finished",
        "completion_code": "=HYPERLINK(1)",
        "flags": "+cmd",
        "prolific_session_id": "@SUM(A1)",
        "participant_id": 7,
    }
    (header, cells) = list(csv.reader(io.StringIO(roster.prolific_csv([row]))))
    assert header[0] == "prolific_pid"
    assert cells == ["'-2-3", "finished", "'=HYPERLINK(1)", "'+cmd", "'@SUM(A1)", "7"]


@pytest.mark.parametrize("pid", ["-2-3", "-cmd"])
def test_a_prolific_id_starting_with_a_minus_is_refused(pid):
    from experiment.entry import parse_entry
    from experiment.progress import JourneyError

    with pytest.raises(JourneyError, match="invalid PROLIFIC_PID"):
        parse_entry({"PROLIFIC_PID": pid})

"""Who is in the study now: one row per participant with status, progress, flags and Prolific ids.

Built from :func:`experiment.records.participant_records` (previews excluded) for the staff
Participants page and for the lists a Prolific study needs: whom to approve, whom to review by
hand, whom to ask to return their submission.

Status policy
-------------
``finished``      reached the debrief (has ``completed_at``);
``screened out``  failed a *required* headphone screening (step ``screened_out``; a failed
                  optional screening is a flag);
``dropped out``   neither, and no sign of life (consent, answer) for ``idle_minutes``;
``in progress``   everyone else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from core.spreadsheets import neutral_cell
from core.vocabulary import Step


class Status(StrEnum):
    """Where a participant stands (see the module docstring for the rules)."""

    IN_PROGRESS = "in progress"
    FINISHED = "finished"
    SCREENED_OUT = "screened out"
    DROPPED_OUT = "dropped out"


class ProlificList(StrEnum):
    """The Prolific decision lists: approve, check by hand first, or ask to return."""

    APPROVE = "approve"
    REVIEW = "review"
    RETURN = "return"


DEFAULT_IDLE_MINUTES = 60.0

_FLAG_LABELS = {
    "attention_failed": "attention check failed",
    "too_fast": "answered too fast",
    "repeat_inconsistent": "repeat inconsistent",
}

ROSTER_FIELDS: tuple[str, ...] = (
    "participant_id",
    "status",
    "condition",
    "step",
    "trials_done",
    "trials_total",
    "flags",
    "prolific_pid",
    "prolific_session_id",
    "completion_code",
    "started_at",
    "last_activity_at",
    "minutes_taken",
)
"""The keys of each :func:`roster` row, in display order."""


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite hands timezone-aware columns back naive; they were stored as UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def flag_labels(flags: dict | None, screening_passed: bool | None = None) -> list[str]:
    """Human names of the quality flags that are set (headphone check, attention, too fast, repeat)."""
    flags = flags or {}
    failed_check = ["headphone check failed"] if screening_passed is False else []
    return failed_check + [label for name, label in _FLAG_LABELS.items() if flags.get(name) is True]


def status_of(record: dict, now: datetime, idle: timedelta) -> Status:
    """The :class:`Status` of one participant record at ``now``."""
    if record.get("completed_at") is not None:
        return Status.FINISHED
    if record.get("step") == Step.SCREENED_OUT:  # an *optional* screening failure only flags
        return Status.SCREENED_OUT
    last = last_activity(record)
    if last is not None and now - last > idle:
        return Status.DROPPED_OUT
    return Status.IN_PROGRESS


def last_activity(record: dict) -> datetime | None:
    """The participant's latest known moment: completion, last answer, consent or creation (UTC)."""
    moments = [
        _utc(record.get(name))
        for name in ("completed_at", "last_answer_at", "practice_done_at", "consented_at", "participant_created_at")
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def roster(
    records: Iterable[dict], now: datetime | None = None, idle_minutes: float = DEFAULT_IDLE_MINUTES
) -> list[dict]:
    """One row per participant (keys :data:`ROSTER_FIELDS`), newest first.

    ``minutes_taken`` runs from consent (or creation) to the debrief for finished participants
    and to the last activity otherwise; ``flags`` is a comma-separated list of human names.
    """
    now = now or datetime.now(UTC)
    idle = timedelta(minutes=idle_minutes)
    rows = []
    for record in records:
        started = _utc(record.get("consented_at")) or _utc(record.get("participant_created_at"))
        last = last_activity(record)
        taken = (last - started).total_seconds() / 60.0 if started and last else None
        rows.append(
            {
                "participant_id": record["participant_id"],
                "status": status_of(record, now, idle),
                "condition": str(record.get("condition") or ""),  # drawn when the trial list is stored
                "step": str(record.get("step") or ""),
                "trials_done": int(record.get("n_answered") or 0),
                "trials_total": int(record.get("n_trials_assigned") or 0),
                "flags": ", ".join(flag_labels(record.get("flags"), record.get("screening_passed"))),
                "prolific_pid": record.get("prolific_pid") or "",
                "prolific_session_id": record.get("prolific_session_id") or "",
                "completion_code": record.get("completion_code") or "",
                "started_at": started,
                "last_activity_at": last,
                "minutes_taken": None if taken is None else round(max(taken, 0.0), 1),
            }
        )
    return sorted(rows, key=lambda row: row["participant_id"], reverse=True)


def prolific_list(rows: Iterable[dict], which: ProlificList) -> list[dict]:
    """The rows with a Prolific id that belong on one decision list.

    ``approve``: finished without a quality flag. ``review``: finished with a flag (decide by
    hand; Prolific asks for a fair reason to reject). ``return``: screened out or dropped out
    (ask them to return the submission so the place reopens).
    """
    chosen = []
    for row in rows:
        if not row["prolific_pid"]:
            continue
        finished = row["status"] == Status.FINISHED
        belongs = {
            ProlificList.APPROVE: finished and not row["flags"],
            ProlificList.REVIEW: finished and bool(row["flags"]),
            ProlificList.RETURN: row["status"] in (Status.SCREENED_OUT, Status.DROPPED_OUT),
        }[which]
        if belongs:
            chosen.append(row)
    return chosen


def prolific_csv(rows: Iterable[dict]) -> str:
    """CSV (UTF-8 text, header row) of Prolific ids with status, completion code and flags.

    The first column holds only Prolific participant ids, so it can be pasted into Prolific's
    bulk approve / return boxes as it is. Text a spreadsheet would run as a formula is neutralised
    (:func:`core.spreadsheets.neutral_cell`), as in every CSV the app writes.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["prolific_pid", "status", "completion_code", "flags", "prolific_session_id", "participant_id"])
    for row in rows:
        writer.writerow(
            neutral_cell(cell)
            for cell in [
                row["prolific_pid"],
                row["status"],
                row["completion_code"],
                row["flags"],
                row["prolific_session_id"],
                row["participant_id"],
            ]
        )
    return out.getvalue()


def load_roster(
    idle_minutes: float = DEFAULT_IDLE_MINUTES, now: datetime | None = None, study_id: int | None = None
) -> list[dict]:
    """:func:`roster` of every non-preview participant of the study (None: the default study)."""
    from core import db
    from experiment.records import participant_records

    with db.session_scope() as session:
        records = participant_records(session, with_identifiers=True, study_id=study_id)
    return roster(records, now, idle_minutes)

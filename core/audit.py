"""The audit trail: who did what, when, from where, to which study (no Streamlit here).

Every change staff make (a settings save with its diff, opening or closing a study, clips added or
retired, an export or download, accounts and roles, every staff login, successful or not) is one
:class:`core.models.AuditEvent`, written in the same transaction as the change itself, so a change
that rolls back leaves no entry and an entry never describes a change that did not happen.
The trail is append only: nothing here updates or deletes a row.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.models import AuditEvent, utcnow


@dataclass(frozen=True)
class Actor:
    """Who acts: an account's name and id (None for the command line and the system), and the client address."""

    name: str
    account_id: int | None = None
    client: str | None = None


SYSTEM = Actor("system")


def command_line() -> Actor:
    """The operator at the server's command line (named by the operating-system user)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}"[:200], None, "local")


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    study_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event; the caller's transaction commits it together with the change it describes.

    ``action`` is a dotted verb such as ``"settings.save"``, ``"study.open"``, ``"clip.add"``,
    ``"export.download"``, ``"account.create"``, ``"login.success"``, ``"login.failure"``.
    ``detail`` must be JSON-serialisable.
    """
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=actor.name[:200],
            account_id=actor.account_id,
            client=(actor.client or "")[:64] or None,
            study_id=study_id,
            action=action[:64],
            target=(target or "")[:300] or None,
            detail=detail or {},
        )
    )


def settings_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields that changed between two settings dicts: ``{field: [before, after]}`` (JSON values)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


@dataclass(frozen=True)
class Entry:
    """One audit event as staff read it."""

    at: datetime
    actor: str
    client: str | None
    study_id: int | None
    action: str
    target: str | None
    detail: dict[str, Any]


def events(session: Session, study_id: int | None = None, limit: int | None = None) -> list[Entry]:
    """The trail, newest first: one study's events (``study_id``) or every event (None)."""
    from core import repository

    return [
        Entry(row.at, row.actor, row.client, row.study_id, row.action, row.target, dict(row.detail or {}))
        for row in repository.audit_events(session, study_id, limit)
    ]


def describe_detail(detail: dict[str, Any]) -> str:
    """An event's detail in one line for a table: settings changes as ``field: before → after``."""
    changes = detail.get("changes")
    if isinstance(changes, dict):
        shown = [f"{name}: {pair[0]!r} → {pair[1]!r}" for name, pair in list(changes.items())[:6]]
        more = f" (+{len(changes) - 6} more)" if len(changes) > 6 else ""
        return "; ".join(shown) + more
    return ", ".join(f"{key}: {value}" for key, value in detail.items())

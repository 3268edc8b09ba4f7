"""Daily housekeeping that the law and the ethics board expect: retention periods, enforced.

Run at every start of the app (:func:`human_touch.startup.prepare`) and by ``human-touch maintenance``,
which a lab schedules daily (cron or a systemd timer, see the README). It erases participants' Prolific
ids past their study version's retention period and failed-login addresses past the server's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core import auth, db
from core.models import utcnow


@dataclass(frozen=True)
class MaintenanceReport:
    """What one run erased."""

    identifiers_erased: int
    login_failures_forgotten: int

    def describe(self) -> str:
        return (
            f"Retention: Prolific ids of {self.identifiers_erased} participant(s) erased; "
            f"{self.login_failures_forgotten} old failed-login record(s) deleted."
        )


def run_maintenance(now: datetime | None = None) -> MaintenanceReport:
    """Enforce every retention period at ``now`` (default: the current UTC time), in one transaction."""
    from experiment.retention import erase_expired_identifiers

    now = now or utcnow()
    with db.session_scope() as session:
        erased = erase_expired_identifiers(session, now)
        forgotten = auth.forget_old_login_failures(session, now)
    return MaintenanceReport(erased, forgotten)

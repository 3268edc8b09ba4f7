"""How long participants' identifiers are kept: each study version's ``identifier_retention_days``.

Prolific ids are needed to approve, return or withdraw a submission, and only for that: once the period a
study states (in its consent text and its settings) has passed since a participant finished, or since an
unfinished participant consented, their ids are erased and the answers stay under the participant number.
Run at every start of the app and by ``human-touch maintenance``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from experiment import repository


def erase_expired_identifiers(session: Session, now: datetime) -> int:
    """Erase the Prolific ids whose version's retention period has passed at ``now`` (UTC).

    Returns
    -------
    int
        Participants whose identifiers were erased now.
    """
    erased = 0
    for version_id, _created, _note, settings in repository.settings_history(session):
        cutoff = now - timedelta(days=settings.identifier_retention_days)
        erased += repository.erase_identifiers_finished_before(session, version_id, cutoff)
    return erased

"""Withdrawal: a participant (with their resume link) or staff (on request) erases everything of that person.

One transaction deletes the participant's answers, trial list, questionnaire, flags and identifiers
(the ``participants`` row), on whichever replica is asked, and adds one to the version's bare count of
withdrawals so that the participant flow can say how many withdrew (:mod:`experiment.records`). A
participant can withdraw until the study's ``withdrawal_deadline``; staff, answering a request by
e-mail, at any time. Nothing of the content is logged; the audit trail records that participant
number N of the study withdrew, and who did it (the participant, or the staff member).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy.orm import Session

from core import audit
from core.i18n import N_, _
from core.models import Participant
from experiment import repository
from experiment.progress import JourneyError, settings_for

WITHDRAWN = N_("Your answers and everything else we stored about your participation have been deleted.")
"""What a participant reads once their withdrawal is done (a message id)."""
WITHDRAWN_ANSWERS_KEPT = N_(
    "Everything that identified you has been deleted. As the consent said, your answers stay in the study "
    "without it: nobody can link them to you any more."
)
"""What they read when the study keeps answers without identifiers (``withdrawal_keeps_answers``)."""
_TOO_LATE = N_(
    "Withdrawal was possible until {deadline}. Please contact the researchers named in the study information."
)


def can_withdraw(session: Session, participant: Participant, today: date) -> bool:
    """Whether the participant may still withdraw themselves on ``today`` (UTC) under their version's deadline."""
    deadline = settings_for(session, participant).withdrawal_deadline
    return not deadline or today <= date.fromisoformat(deadline)


def withdraw(session: Session, participant: Participant, now: datetime) -> None:
    """The participant withdraws: erase everything of them in the caller's transaction.

    Raises
    ------
    JourneyError
        After the study's withdrawal deadline (nothing is erased).
    """
    if not can_withdraw(session, participant, now.date()):
        deadline = settings_for(session, participant).withdrawal_deadline
        raise JourneyError(_(_TOO_LATE).format(deadline=deadline))
    _erase(session, participant, audit.Actor("participant"))


def withdraw_on_request(
    session: Session,
    *,
    prolific_pid: str | None = None,
    participant_id: int | None = None,
    study_id: int | None = None,
    actor: audit.Actor = audit.SYSTEM,
) -> int:
    """Staff (``actor``) withdraw a participant of the study found by Prolific ID or participant number.

    Returns the number erased. ``study_id`` None means the default study; a participant of another
    study is never found (staff of one study cannot erase another's participants).

    Raises
    ------
    LookupError
        No participant (or more than one, for a Prolific ID used in several Prolific studies) matches.
    """
    study_id = repository.default_study_id(session) if study_id is None else study_id
    if (prolific_pid is None) == (participant_id is None):
        raise ValueError("give exactly one of prolific_pid and participant_id")
    if participant_id is not None:
        one = repository.participant_by_id(session, participant_id)
        found = [one] if one is not None and one.study_id == study_id and not one.is_preview else []
    else:
        found = [
            p for p in repository.participants_by_prolific_pid(session, str(prolific_pid)) if p.study_id == study_id
        ]
    if len(found) != 1:
        what = f"participant {participant_id}" if participant_id is not None else f"Prolific ID {prolific_pid}"
        raise LookupError(f"{what}: {'no participant' if not found else f'{len(found)} participants'} found")
    number = found[0].id
    _erase(session, found[0], actor)
    return number


def keeps_answers(session: Session, participant: Participant) -> bool:
    """Whether the participant's study version keeps answers (without identifiers) on withdrawal."""
    return settings_for(session, participant).withdrawal_keeps_answers


def _erase(session: Session, participant: Participant, actor: audit.Actor) -> None:
    version_id, participant_id, study_id = participant.study_version_id, participant.id, participant.study_id
    if keeps_answers(session, participant):
        # The identifiers go and the resume token changes to one nobody knows, so no link reaches the
        # answers and nothing ties them to the person; the answers stay (the consent said so).
        if repository.strip_identifiers(session, participant, secrets.token_urlsafe(24)):
            _audit(session, actor, study_id, participant_id, {"answers_kept": True})
        return
    session.expunge(participant)  # the rows go by id; the object must not be flushed back
    if repository.erase_participant(session, participant_id):  # counted once, however often clicked
        repository.record_withdrawal(session, version_id)
        _audit(session, actor, study_id, participant_id, {"version": version_id})


def _audit(session: Session, actor: audit.Actor, study_id: int, participant_id: int, facts: dict[str, object]) -> None:
    """The trail's entry: the participant number only (their identifiers are gone and must not survive here)."""
    detail = {"by": "participant" if actor.name == "participant" else "staff", **facts}
    audit.record(
        session, actor, "participant.withdraw", study_id=study_id, target=f"participant {participant_id}", detail=detail
    )

"""What a participant has given so far on the trial page, kept on the server across a refresh. No Streamlit here.

A refresh starts a new browser session, and the trial page used to start afresh: the ratings given
so far were gone, and the questions stayed locked until the clip had been heard again in full
(issue 24). Two drafts (:func:`experiment.repository.draft`) keep what is needed:

``trial_answers``
    The answers so far on the screen shown (one clip, or a pair), by field ("valence",
    "confidence", "1_liking" ...), for the screen named by its first trial's index. Written at
    every change of a question (all the screen's clicked answers at once), shown again after a refresh.
``trial_heard``
    Per trial index, what the player reported when the server accepted the listening
    requirement (:func:`experiment.trials.mark_listened`): after a refresh the questions stay
    unlocked and the answer carries that report (:func:`with_heard`), so what unlocks is what
    the server accepts.

A draft never becomes an answer by itself: only the participant's submit stores one (and the
service validates it as any other); the stored answer drops both drafts in its transaction.
Drafts stay on the server; the browser gets back only the participant's own answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from core.models import Participant, Trial
from experiment import repository
from experiment.answers import MAX_COMMENT_CHARS, Answer

ANSWERS_DRAFT = "trial_answers"
HEARD_DRAFT = "trial_heard"
_FIELD = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Listening:
    """What the player reported about one clip when the listening requirement was met.

    Attributes
    ----------
    listened_s : float
        Seconds of distinct audio heard (union of played intervals).
    plays, pauses, seeks : int
        Counts of the audio element's events.
    first_play_ms : int or None
        Milliseconds from the player appearing to the first play.
    """

    listened_s: float
    plays: int = 0
    pauses: int = 0
    seeks: int = 0
    first_play_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "listened_s": float(self.listened_s),
            "plays": int(self.plays),
            "pauses": int(self.pauses),
            "seeks": int(self.seeks),
            "first_play_ms": self.first_play_ms,
        }

    @classmethod
    def from_dict(cls, stored: Any) -> Listening | None:
        """The report as kept (None when missing or not of this shape)."""
        if not isinstance(stored, dict):
            return None
        try:
            first = stored.get("first_play_ms")
            return cls(
                listened_s=float(stored["listened_s"]),
                plays=int(stored.get("plays", 0)),
                pauses=int(stored.get("pauses", 0)),
                seeks=int(stored.get("seeks", 0)),
                first_play_ms=None if first is None else int(first),
            )
        except (KeyError, TypeError, ValueError):
            return None


def answers_so_far(session: Session, participant: Participant, screen: int) -> dict[str, Any]:
    """The answers kept for the screen whose first trial is ``screen`` (field -> value; {} when none)."""
    stored = repository.draft(session, participant, ANSWERS_DRAFT)
    fields = stored.get("fields")
    if stored.get("screen") != screen or not isinstance(fields, dict):
        return {}
    return dict(fields)


def keep_answers(session: Session, token: str, screen: int, answers: Mapping[str, Any]) -> bool:
    """Keep ``answers`` as what the participant with resume ``token`` has given on the screen ``screen``.

    ``answers`` is every clicked question of the screen as the browser session holds it now,
    field -> value: an int (a rating, a choice), a short string (an option) or None (not given,
    or taken back; not kept); it replaces what was kept for the screen (a refresh restores the questions from it,
    so a session holds what was kept before). One UPSERT, no participant loaded: it runs at every
    answer given (:func:`experiment.repository.save_screen_draft`). Nothing is kept (False) for a
    screen already answered (a click that raced the submit, a second tab), an unknown token, or
    a malformed field or value.
    """
    if not all(isinstance(field, str) and _FIELD.fullmatch(field) and _storable(v) for field, v in answers.items()):
        return False
    given = {field: value for field, value in answers.items() if value is not None}
    return repository.save_screen_draft(session, token, ANSWERS_DRAFT, screen, {"screen": screen, "fields": given})


def keep_heard(session: Session, participant: Participant, trial_index: int, heard: Listening) -> None:
    """Keep the report with which the server accepted the listening requirement of ``trial_index``."""
    stored = repository.draft(session, participant, HEARD_DRAFT)
    repository.save_draft(session, participant, HEARD_DRAFT, {**stored, str(trial_index): heard.as_dict()})


def heard_by_player(session: Session, participant: Participant, trial: Trial) -> bool:
    """Whether the participant's player reported ``trial``'s clip heard and the server accepted it.

    Not ``trial.listen_met_at`` alone: with a requirement within the server's clock tolerance
    (e.g. 1 s of a 20 s clip) the server's clock check passes the moment the clip is sent, and
    a refresh would then open the questions of a clip nobody played.
    """
    return trial.listen_met_at is not None and heard_so_far(session, participant, trial.trial_index) is not None


def heard_so_far(session: Session, participant: Participant, trial_index: int) -> Listening | None:
    """The report kept by :func:`keep_heard` for ``trial_index`` (None when there is none)."""
    return Listening.from_dict(repository.draft(session, participant, HEARD_DRAFT).get(str(trial_index)))


def with_kept_listening(session: Session, participant: Participant, trial: Trial, answer: Answer) -> Answer:
    """``answer`` to ``trial`` with the report kept when the server accepted its listening (:func:`with_heard`)."""
    if trial.listen_met_at is None:
        return answer
    return with_heard(answer, heard_so_far(session, participant, trial.trial_index))


def with_heard(answer: Answer, heard: Listening | None) -> Answer:
    """``answer`` with the kept listening report when the browser's own report says less.

    After a refresh the new player reports nothing (the server knows the clip was heard), so the
    answer's telemetry is the report the server accepted before; a fuller report of the browser
    (the clip heard again in this session) is kept as it is.
    """
    if heard is None or not _number(answer.listened_s) or answer.listened_s >= heard.listened_s:
        return answer
    return replace(
        answer,
        listened_s=heard.listened_s,
        plays=heard.plays,
        pauses=heard.pauses,
        seeks=heard.seeks,
        time_to_first_play_ms=heard.first_play_ms,
    )


def drop(session: Session, participant: Participant) -> None:
    """Drop both drafts: the screen's answer is stored (the caller's transaction)."""
    repository.drop_draft(session, participant, ANSWERS_DRAFT)
    repository.drop_draft(session, participant, HEARD_DRAFT)


def _storable(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -(2**31) <= value < 2**31
    return isinstance(value, str) and len(value) <= MAX_COMMENT_CHARS


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value

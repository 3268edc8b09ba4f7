"""One trial's answer: what the participant sends and the rules it must meet. No Streamlit, no SQL.

The rating page sends an :class:`Answer`; :func:`answer_problem` says, in a participant-facing
sentence, why it cannot be stored. :mod:`experiment.trials` stores the answers that pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from core.i18n import _
from core.vocabulary import Source
from experiment import quality
from experiment.reasons import reason_problem
from experiment.settings import StudySettings

LISTEN_TOLERANCE_S = 0.5
"""Slack on the listening requirement: the player reports positions a few times a second."""

MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Answer:
    """A participant's answer to one trial plus the player's listening telemetry.

    Ratings are integers ``1..scale_points`` (``None`` when the scale is not asked).
    ``reason`` answers "What made you think so?" (:mod:`experiment.reasons`; None when not asked).
    ``confidence`` is 1..6: 1 "sure human" ... 6 "sure AI"; the guess is "ai" when >= 4.
    Telemetry: ``plays``, ``pauses``, ``seeks`` counts; ``listened_s`` seconds of distinct audio
    heard; ``time_to_first_play_ms`` and ``client_time_to_answer_ms`` as measured in the browser
    (the server measures its own time to answer from ``Trial.first_shown_at``).
    """

    confidence: int | None
    valence: int | None = None
    arousal: int | None = None
    moved: int | None = None
    liking: int | None = None
    familiar: bool | None = None
    comment: str | None = None
    reason: str | None = None
    plays: int = 0
    pauses: int = 0
    seeks: int = 0
    listened_s: float = 0.0
    time_to_first_play_ms: int | None = None
    client_time_to_answer_ms: int | None = None


def guess_from_confidence(confidence: int) -> Source:
    """:attr:`Source.AI` when ``confidence >= 4`` on the 1..6 scale, else :attr:`Source.HUMAN`."""
    return Source.AI if confidence >= 4 else Source.HUMAN


def required_listen_seconds(duration_s: float, listening_requirement: float) -> float:
    """Seconds of distinct audio that must be heard: ``duration * requirement - tolerance`` (>= 0)."""
    return max(0.0, float(duration_s) * float(listening_requirement) - LISTEN_TOLERANCE_S)


def attention_answer_text(answer: Answer, ratings: Mapping[str, int | None]) -> str:
    """The attention answer in a compact readable form, e.g. ``confidence=1;valence=1`` (<= 64 chars).

    The confidence is left out when it is None (conditions that do not ask who made the clip).
    """
    parts = [f"confidence={answer.confidence}"] if answer.confidence is not None else []
    parts += [f"{scale}={value}" for scale, value in ratings.items() if value is not None]
    return ";".join(parts)[:64]


def answer_problem(
    answer: Answer, settings: StudySettings, required_listen_s: float, *, ask_source: bool = True
) -> str:
    """Why ``answer`` cannot be stored under ``settings`` ('' when it can).

    Parameters
    ----------
    answer : Answer
    settings : StudySettings
        The participant's settings (scales asked, scale points).
    required_listen_s : float
        Seconds of the clip that must have been heard (:func:`required_listen_seconds`).
    ask_source : bool
        The trial asks who made the clip (blind condition); otherwise ``confidence`` is not required.
    """
    if ask_source and (not _is_int(answer.confidence) or not 1 <= answer.confidence <= 6):
        return _("Please say who you think made this clip (choose one of the six options).")
    for scale in settings.scales:
        value = getattr(answer, scale)
        if not _is_int(value) or not 1 <= value <= settings.scale_points:
            return _("Please answer every rating (missing: {scale}).").format(
                scale=_(quality.SCALE_NAMES.get(scale, scale))
            )
    return (
        _telemetry_problem(answer)
        or _listening_problem(answer.listened_s, required_listen_s)
        or _extras_problem(answer)
    )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _telemetry_problem(answer: Answer) -> str:
    for name in ("plays", "pauses", "seeks"):
        if not _is_int(getattr(answer, name)) or getattr(answer, name) < 0:
            return _("The player reported an invalid {name} count. Please reload the page.").format(name=name)
    for name in ("time_to_first_play_ms", "client_time_to_answer_ms"):
        value = getattr(answer, name)
        if value is not None and (not _is_int(value) or value < 0):
            return _("The player reported an invalid {name}. Please reload the page.").format(name=name)
    return ""


def _listening_problem(listened: Any, required_listen_s: float) -> str:
    if (
        isinstance(listened, bool)
        or not isinstance(listened, (int, float))
        or not math.isfinite(listened)
        or listened < 0
    ):
        return _("The player reported an invalid listening time. Please reload the page.")
    if listened < required_listen_s:
        return _(
            "Please listen to the clip before answering: {heard} of the required {required} seconds heard so far."
        ).format(heard=f"{listened:.0f}", required=f"{required_listen_s:.0f}")
    return ""


def _extras_problem(answer: Answer) -> str:
    if answer.familiar is not None and not isinstance(answer.familiar, bool):
        return _("Please answer whether you knew the piece with yes or no.")
    if answer.comment is not None and (not isinstance(answer.comment, str) or len(answer.comment) > MAX_COMMENT_CHARS):
        return _("Please keep your comment under {n} characters.").format(n=MAX_COMMENT_CHARS)
    return reason_problem(answer.reason)

"""The listening requirement as the server sees it: time since the clip was sent. No Streamlit, no SQL.

The blind player reports how much of a clip the browser played (``listened_s``), but a browser can
say anything. Time cannot be faked from the browser: nobody hears ``duration * requirement``
seconds of a clip sooner than that after it was first sent (``Trial.first_shown_at``, stored just
before the bytes go out). So the server rejects an answer that arrives earlier, whatever the
browser reports (issue 12: an answer 231 ms after a 20 s clip appeared was accepted), and keeps the
moment the requirement was met (``Trial.listen_met_at``), from which "too fast" is timed
(:func:`experiment.quality.is_too_fast`; issue 11: timed from the showing, it could never fire,
because answers unlock only after the listening).
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.i18n import _
from core.models import Trial

SERVER_TOLERANCE_S = 1.0
"""Slack on the server's clock check, seconds: the player's own 0.5 s (its coarse position updates)
plus 0.5 s for the two clocks (the trial is stamped a moment before its bytes leave)."""


def earliest_answer_s(duration_s: float, listening_requirement: float) -> float:
    """Seconds after the clip was first sent before an answer may arrive (>= 0).

    ``duration_s * listening_requirement - SERVER_TOLERANCE_S``, in seconds.
    """
    return max(0.0, float(duration_s) * float(listening_requirement) - SERVER_TOLERANCE_S)


def seconds_since_sent(trial: Trial, now: datetime) -> float | None:
    """Seconds from the trial's first sending to ``now`` (None when it was never sent)."""
    if trial.first_shown_at is None:
        return None
    return (now - aware(trial.first_shown_at)).total_seconds()


def too_early_problem(trial: Trial, now: datetime, duration_s: float, listening_requirement: float) -> str:
    """Why an answer at ``now`` cannot have followed the listening ('' when it can).

    Parameters
    ----------
    trial : Trial
        The trial answered (its ``first_shown_at`` is the moment its clip was first sent).
    now : datetime
        Server time of the answer (UTC).
    duration_s : float
        Clip duration, seconds.
    listening_requirement : float
        Fraction (0..1) of the clip that must be heard.
    """
    needed = earliest_answer_s(duration_s, listening_requirement)
    if needed <= 0:
        return ""
    elapsed = seconds_since_sent(trial, now)
    if elapsed is None or elapsed < needed:
        return _(
            "Please listen to the clip before answering: the answer arrived sooner than the clip "
            "could have been heard. Nothing was saved; please listen and try again."
        )
    return ""


def note_requirement_met(trial: Trial, now: datetime, duration_s: float, listening_requirement: float) -> bool:
    """Record ``now`` as the moment the listening requirement was met, once, if time allows it.

    Returns
    -------
    bool
        True when ``trial.listen_met_at`` is set (now or before); False when the clock says the
        clip cannot have been heard yet (nothing recorded).
    """
    if trial.listen_met_at is not None:
        return True
    if too_early_problem(trial, now, duration_s, listening_requirement):
        return False
    trial.listen_met_at = now
    return True


def ms_after_listening(trial: Trial, answered_at: datetime) -> int | None:
    """Milliseconds from the requirement being met to the answer (None when unknown)."""
    if trial.listen_met_at is None:
        return None
    return max(0, int((answered_at - aware(trial.listen_met_at)).total_seconds() * 1000))


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for stored UTC values; make them comparable."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

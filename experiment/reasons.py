"""The "What made you think so?" question after the guess: when it is asked and what is stored (issue 26).

No Streamlit, no SQL. The organiser chooses :attr:`experiment.settings.StudySettings.ask_reason`:
after every guess ("per_trial"; in a paired study the guess is the pair's choice, and the reason is
stored on both clips' answers), once after the last clip ("at_end"; stored on the participant), or
not at all ("off", the default). Only participants who guess are asked (the blind condition: a
rate-only or labelled participant makes no guess to explain). Answering is optional: an empty reason
is stored as missing.
"""

from __future__ import annotations

from core.i18n import N_, _
from core.vocabulary import ReasonMode, TrialKind
from experiment import conditions
from experiment.settings import StudySettings

MAX_REASON_CHARS = 1000
"""Longest reason accepted (characters, after trimming spaces): a few sentences, not an essay."""

PER_TRIAL_PROMPT = N_("What made you think so? (optional)")
AT_END_PROMPT = N_(
    "Looking back on all the clips: what made you think a clip was made by a person or by AI? (optional)"
)


def asks_reason_per_trial(settings: StudySettings, condition: str | None, kind: str = TrialKind.MAIN) -> bool:
    """Whether a trial of ``kind`` asks the reason after its guess (never on an attention trial: its answer is set)."""
    return (
        settings.ask_reason == ReasonMode.PER_TRIAL
        and conditions.asks_source(condition)
        and kind != TrialKind.ATTENTION
    )


def asks_reason_at_end(settings: StudySettings, condition: str | None) -> bool:
    """Whether the questions after the clips include the one reason for all the guesses."""
    return settings.ask_reason == ReasonMode.AT_END and conditions.asks_source(condition)


def reason_problem(reason: object) -> str:
    """Why ``reason`` cannot be stored ('' when it can: missing, empty, or text within the limit)."""
    if reason is None:
        return ""
    if not isinstance(reason, str):
        return _("Please write your reason as text.")
    if len(reason.strip()) > MAX_REASON_CHARS:
        return _("Please keep your reason to at most {n} characters (it has {count}).").format(
            n=MAX_REASON_CHARS, count=len(reason.strip())
        )
    return ""


def stored_reason(reason: str | None) -> str | None:
    """The reason as stored: trimmed, None when empty (call :func:`reason_problem` first)."""
    return (reason or "").strip() or None

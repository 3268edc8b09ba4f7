"""Data-quality checks that mark a participant for the researcher; they never hide data.

Flags live in ``Participant.flags`` (a JSON dict) under these keys:

``attention_failed`` : bool
    The attention trial was not answered as instructed (see :func:`attention_target`).
``repeat_inconsistent`` : bool
    The deliberate repeat contradicts the original: the human/AI guess flips *and* the
    confidence ratings (1..6) differ by more than :data:`REPEAT_CONFIDENCE_TOLERANCE`
    (so 3 -> 4 is a flip but not inconsistent; 2 -> 5 is). ``repeat_confidence_diff`` and
    ``repeat_rating_diffs`` (scale -> absolute difference) are stored alongside for analysis.
``too_fast_trials`` : int
    Rated trials (main, repeat) answered sooner than ``min_answer_seconds`` after the listening
    requirement was met (server time, ``Trial.listen_met_at``; timed from the showing it could
    never fire, since answers unlock only after the listening). ``too_fast`` is True when this is
    at least one.
``screening_failed`` : bool
    The headphone screening was failed while it was "optional" (stored, journey continued).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from core.i18n import N_, _
from core.vocabulary import Scale

REPEAT_CONFIDENCE_TOLERANCE = 2
CONFIDENCE_LABELS = {
    1: N_("Sure human"),
    2: N_("Probably human"),
    3: N_("Maybe human"),
    4: N_("Maybe AI"),
    5: N_("Probably AI"),
    6: N_("Sure AI"),
}
"""The 1..6 guess as the participant reads it (message ids: translate with ``core.i18n._``)."""
SCALE_NAMES: dict[str, str] = {
    Scale.VALENCE: N_("pleasantness"),
    Scale.AROUSAL: N_("excitement"),
    Scale.MOVED: N_("how moved you felt"),
    Scale.LIKING: N_("liking"),
}
"""Each rating scale's short name inside a sentence (message ids, as :data:`CONFIDENCE_LABELS`)."""


@dataclass(frozen=True)
class AttentionTarget:
    """The answer the attention trial asks for.

    ``scale`` is None when the study asks no rating scales (then only confidence is checked).
    """

    confidence: int | None  # None in conditions that do not ask who made the clip
    scale: str | None
    value: int | None

    def instructions(self) -> str:
        """The sentence shown on the rating screen of the attention trial, in the active language.

        It quotes the guess option exactly as the rating screen labels it; a trial that asks no
        source (rate-only, labelled) asks only for the rating.
        """
        scale = _(SCALE_NAMES.get(self.scale, self.scale)) if self.scale is not None else None
        if self.confidence is None:
            return _("Attention check: for this clip, please set {scale} to {value}, whatever you hear.").format(
                scale=scale, value=self.value
            )
        choice = _(CONFIDENCE_LABELS[self.confidence])
        if self.scale is None:
            return _("Attention check: for this clip, please choose “{choice}”, whatever you hear.").format(
                choice=choice
            )
        return _(
            "Attention check: for this clip, please choose “{choice}” and set {scale} to {value}, whatever you hear."
        ).format(choice=choice, scale=scale, value=self.value)

    def as_dict(self) -> dict:
        return {"confidence": self.confidence, "scale": self.scale, "value": self.value}


def attention_target(seed: int, scales: tuple[str, ...], scale_points: int) -> AttentionTarget:
    """The participant's attention instruction, deterministic for their seed.

    Confidence is one of the two extremes (1 or 6) and the rating one end of the first scale,
    so a careless participant rarely hits both by chance.
    """
    rng = random.Random(f"attention-{seed}")
    confidence = rng.choice((1, 6))
    if not scales:
        return AttentionTarget(confidence, None, None)
    return AttentionTarget(confidence, scales[0], rng.choice((1, scale_points)))


def attention_passed(target: AttentionTarget, confidence: int | None, ratings: Mapping[str, int | None]) -> bool:
    """Whether an answer follows the attention instruction exactly."""
    if confidence != target.confidence:
        return False
    return target.scale is None or ratings.get(target.scale) == target.value


@dataclass(frozen=True)
class RepeatComparison:
    """Original vs repeat answers of the consistency check."""

    guess_flipped: bool
    confidence_diff: int
    rating_diffs: dict[str, int]

    @property
    def inconsistent(self) -> bool:
        return self.guess_flipped and self.confidence_diff > REPEAT_CONFIDENCE_TOLERANCE


def compare_repeat(
    original_confidence: int,
    repeat_confidence: int,
    original_ratings: Mapping[str, int | None],
    repeat_ratings: Mapping[str, int | None],
) -> RepeatComparison:
    """Compare the two answers to the repeated clip (confidence 1..6; ratings per scale)."""
    flipped = (original_confidence >= 4) != (repeat_confidence >= 4)
    diffs = {
        scale: abs(int(original) - int(repeat))
        for scale in original_ratings
        if (original := original_ratings.get(scale)) is not None and (repeat := repeat_ratings.get(scale)) is not None
    }
    return RepeatComparison(flipped, abs(original_confidence - repeat_confidence), diffs)


def is_too_fast(ms_after_listening: int | None, min_answer_seconds: float) -> bool:
    """True when an answer came sooner than ``min_answer_seconds`` after the listening requirement was met.

    ``ms_after_listening`` is in milliseconds; unknown times (None) are not flagged.
    """
    return ms_after_listening is not None and ms_after_listening < min_answer_seconds * 1000.0

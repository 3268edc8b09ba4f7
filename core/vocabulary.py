"""Names that several packages share, defined once.

Each is a :class:`enum.StrEnum`, so a member compares equal to (and is stored in the database as)
its plain string value: ``Source.AI == "ai"``. Code writes the member; the database, JSON exports
and query parameters keep the string.
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """Who made a clip. "AI" is the signal in every detection statistic."""

    HUMAN = "human"
    AI = "ai"


SOURCES: tuple[Source, ...] = tuple(Source)
"""Both sources, human first (the order of tables, charts and balanced assignment)."""


class Scale(StrEnum):
    """The emotion rating scales a study may ask, in the order the rating screen shows them."""

    VALENCE = "valence"
    AROUSAL = "arousal"
    MOVED = "moved"
    LIKING = "liking"


SCALES: tuple[Scale, ...] = tuple(Scale)
"""Every rating scale, in screen order."""


class Step(StrEnum):
    """A step of the participant's journey, as stored in ``Participant.step``.

    The order of the journey lives in ``experiment.journey``; this is only the vocabulary.
    """

    CONSENT = "consent"
    QUESTIONNAIRE = "questionnaire"
    AUDIO_CHECK = "audio_check"
    INSTRUCTIONS = "instructions"
    PRACTICE = "practice"
    TRIALS = "trials"
    AFTER_TRIALS = "after_trials"
    """Questions asked once the clips are rated (AI exposure and attitude, unless asked before)."""
    DEBRIEF = "debrief"
    SCREENED_OUT = "screened_out"
    """Terminal step for participants who failed a *required* headphone screening."""


class TrialKind(StrEnum):
    """What a trial is for, as stored in ``Trial.kind``."""

    PRACTICE = "practice"
    """Unscored warm-up before the main trials."""
    MAIN = "main"
    """A scored trial: the only kind that counts in detection and emotion statistics."""
    ATTENTION = "attention"
    """The rating screen tells the participant which answer to give."""
    REPEAT = "repeat"
    """A main clip heard again later, to measure consistency."""


class Vocals(StrEnum):
    """Whether a clip has singing (catalogue metadata)."""

    INSTRUMENTAL = "instrumental"
    VOCAL = "vocal"


VOCALS_LABELS: dict[str, str] = {"": "not set", Vocals.INSTRUMENTAL: "Instrumental", Vocals.VOCAL: "With vocals"}
"""Choices offered on the organiser pages, "" meaning not set."""


class ScreeningMode(StrEnum):
    """How the headphone screen is used."""

    REQUIRED = "required"
    """Failing ends the journey politely (:attr:`Step.SCREENED_OUT`)."""
    OPTIONAL = "optional"
    """The result is stored and flagged; the participant continues."""
    OFF = "off"
    """No audio check step at all."""


class Condition(StrEnum):
    """A between-participants design condition, as stored in ``Participant.condition``."""

    BLIND = "blind"
    """Each clip is rated, then its source guessed (the detection design)."""
    RATE_ONLY = "rate_only"
    """The same clips are only rated; the source is asked about once, after the last clip."""
    LABELLED = "labelled"
    """Each clip is announced as made by a person or by AI before it plays; ratings only."""


CONDITIONS: tuple[Condition, ...] = tuple(Condition)
"""Every condition, in the order of tables and the settings page."""


class LabelMode(StrEnum):
    """How a labelled trial's announced source relates to the clip's true source (``Trial.label_mode``)."""

    TRUE = "true"
    """The label tells the clip's real source."""
    REVERSED = "reversed"
    """The label names the other source."""
    RANDOM = "random"
    """The label is drawn at random (a coin per trial), whatever the source."""

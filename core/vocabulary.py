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


class ScreeningCriterion(StrEnum):
    """Which published pass mark scores the Huggins-pitch headphone screen (``StudySettings.screening_criterion``)."""

    MILNE_2021 = "milne2021"
    """All trials correct (6 of 6): the criterion Milne et al. (2021) give for the Huggins-pitch test
    and the default of their reference code (ChaitLabUCL/HeadphoneCheck_Test, ``passMark = 6``)."""
    WOODS_2017 = "woods2017"
    """5 of 6: Woods et al. (2017)'s criterion for their *antiphase* loudness test, a different test;
    more lenient here (more loudspeaker listeners pass)."""
    CUSTOM = "custom"
    """The organiser's own pass mark (``screening_pass`` of ``screening_trials``)."""


class ExclusionRule(StrEnum):
    """A preregistered reason to leave a whole participant out of the analyses (``StudySettings.exclusion_rules``).

    Listed in the order the flow table applies them; a participant is counted at the first rule
    that removes them.
    """

    INCOMPLETE = "incomplete"
    """Left before the debrief (dropped out)."""
    FAILED_SCREENING = "failed_screening"
    """Failed the headphone screen (when it was optional and they went on)."""
    FAILED_ATTENTION = "failed_attention"
    """Failed one or more attention checks."""
    TOO_FAST = "too_fast"
    """Answered at least one rated trial sooner than ``min_answer_seconds``."""
    INCONSISTENT = "inconsistent"
    """Judged the repeated clip inconsistently."""


EXCLUSION_RULE_LABELS: dict[str, str] = {
    ExclusionRule.INCOMPLETE: "left before the debrief",
    ExclusionRule.FAILED_SCREENING: "failed the headphone screen",
    ExclusionRule.FAILED_ATTENTION: "failed an attention check",
    ExclusionRule.TOO_FAST: "answered too fast",
    ExclusionRule.INCONSISTENT: "judged the repeated clip inconsistently",
}
"""Each rule in words, for the settings page, the flow table and the preregistration."""


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


class TrialFormat(StrEnum):
    """How clips are presented: one per trial, or a human and an AI clip together (2AFC)."""

    SINGLE = "single"
    """One clip per trial, rated (and, in the blind condition, its source guessed)."""
    PAIRED = "paired"
    """Two clips per trial, one human and one AI, both rated; then "which one was made by AI?"."""


TRIAL_FORMATS: tuple[TrialFormat, ...] = tuple(TrialFormat)


class LabelMode(StrEnum):
    """How a labelled trial's announced source relates to the clip's true source (``Trial.label_mode``)."""

    TRUE = "true"
    """The label tells the clip's real source."""
    REVERSED = "reversed"
    """The label names the other source."""
    RANDOM = "random"
    """The label is drawn at random (a coin per trial), whatever the source."""


class PairingDesign(StrEnum):
    """How a paired study makes its pairs of one human and one AI clip (issue 26)."""

    OFF = "off"
    """Organisers' ``pair_id`` pairs when every clip has one, else random pairs (no pairing factor)."""
    SIMILAR = "similar"
    """Every pair similar: an AI clip with the human clip nearest to it in the features (audio.pairing)."""
    RANDOM = "random"
    """Every pair random (the similar pairs' humans re-paired among themselves)."""
    WITHIN = "within"
    """Each participant gets half similar and half random pairs (pairing type within participants)."""
    BETWEEN = "between"
    """Each participant gets all similar or all random pairs, balanced over arrivals."""


PAIRING_DESIGNS: tuple[PairingDesign, ...] = tuple(PairingDesign)

PAIRING_TYPES: tuple[str, ...] = ("similar", "random")
"""The two kinds of pair a pairing design compares (``Trial.pairing``)."""

PAIRING_FEATURE_GROUPS: tuple[str, ...] = ("timbre", "tempo", "key", "loudness range", "spectral shape")
"""Feature groups similarity pairing can use (:data:`audio.pairing.FEATURE_GROUPS`); all by default."""


class ReasonMode(StrEnum):
    """When a blind participant is asked "What made you think so?" (optional free text, issue 26)."""

    OFF = "off"
    PER_TRIAL = "per_trial"
    """After every guess (a paired study: after every pair's choice)."""
    AT_END = "at_end"
    """Once, after the last clip (stored with the last answer)."""


REASON_MODES: tuple[ReasonMode, ...] = tuple(ReasonMode)

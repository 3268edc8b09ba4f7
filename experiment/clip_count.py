"""What counts as a clip for the participant, defined once. No Streamlit, no SQL.

Every trial after the practice one is a "clip": the main trials, the repeat and the attention
trial alike (a participant cannot tell them apart while listening, and must not be able to). The
instructions ("You will hear N clips"), the progress bar ("Clip k of N") and the debrief's
numbering all come from here, so they always agree. The practice clip is announced separately
and never numbered. Only main trials are scored.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.models import Trial
from core.vocabulary import TrialKind
from experiment import paired
from experiment.assignment import AssignmentRules
from experiment.settings import StudySettings


def clips_to_hear(settings: StudySettings) -> int:
    """How many numbered clips a participant under ``settings`` hears (practice not included).

    A paired study has no repeat or attention trial (:func:`experiment.paired.paired_rules`).
    """
    rules = AssignmentRules.from_settings(settings)
    return (paired.paired_rules(rules) if paired.is_paired(settings) else rules).n_rated


def clip_numbers(trials: Sequence[Trial]) -> dict[int, int]:
    """``trial_index -> clip number`` (1-based, presentation order) for every trial but the practice.

    Parameters
    ----------
    trials : sequence of Trial
        One participant's stored trial list, in presentation order.
    """
    numbered = [trial for trial in trials if trial.kind != TrialKind.PRACTICE]
    return {trial.trial_index: number for number, trial in enumerate(numbered, start=1)}

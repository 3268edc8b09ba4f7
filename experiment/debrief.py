"""The debrief: the reveal of which clips were AI, the participant's score and the completion details.

No Streamlit here. This is the first and only place a participant is told a clip's source.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.models import Clip, Participant
from core.vocabulary import Condition, Source, TrialKind
from experiment import repository
from experiment.conditions import asks_source
from experiment.progress import JourneyError, settings_for
from experiment.scoring import dprime, percentile_rank
from experiment.settings import PROLIFIC_COMPLETE_URL, StudySettings


@dataclass(frozen=True)
class RevealItem:
    """One main trial in the reveal (in presentation order)."""

    position: int  # 1-based among non-practice trials
    guess: str | None  # a core.vocabulary.Source value; None where the source was not asked
    confidence: int | None
    truth: str  # a core.vocabulary.Source value
    correct: bool
    creator: str | None  # creator (human) or AI system + version; None when hidden by settings
    label_shown: str | None = None  # labelled condition: the source announced before the clip


@dataclass(frozen=True)
class Debrief:
    """Everything the debrief page shows.

    Attributes
    ----------
    items : tuple of RevealItem
    n_correct, n_main : int
    accuracy : float
        ``n_correct / n_main``.
    dprime : float
        Sensitivity d' ("AI" is the signal) with the log-linear correction.
    percentile : float or None
        Percentage (0..100) of other completed participants scoring lower (ties count half);
        None when nobody else has completed or the setting is off.
    n_compared : int
        Number of other completed participants in the comparison.
    text : str
        The organiser's debrief text.
    completion_code : str
    completion_url : str
        Where the finish button leads ('' for none).
    condition : str
        The participant's design condition; outside "blind" there is no score (no guesses), and
        the labelled condition's items say which announced labels were false.
    """

    items: tuple[RevealItem, ...]
    n_correct: int
    n_main: int
    accuracy: float
    dprime: float
    percentile: float | None
    n_compared: int
    text: str
    completion_code: str
    completion_url: str
    condition: str = Condition.BLIND

    @property
    def scored(self) -> bool:
        """Whether the participant guessed sources (blind condition), so that a score makes sense."""
        return self.condition == Condition.BLIND


def debrief(session: Session, participant: Participant) -> Debrief:
    """The reveal, score and completion details.

    Raises
    ------
    JourneyError
        The participant has not answered every trial yet.
    """
    if participant.completed_at is None:
        raise JourneyError("The debrief is available once every clip has been answered.")
    settings = settings_for(session, participant)
    _, current = repository.current_settings(session)
    responses = repository.responses_of(session, participant)
    trials = repository.trials_of(session, participant)
    rated = [t for t in trials if t.kind != TrialKind.PRACTICE]
    items = []
    for trial in trials:
        if trial.kind != TrialKind.MAIN:
            continue
        response = responses[trial.trial_index]
        clip = trial.clip
        items.append(
            RevealItem(
                position=rated.index(trial) + 1,
                guess=response.guess,
                confidence=response.confidence,
                truth=clip.source,
                correct=response.guess == clip.source,
                creator=_creator(clip) if settings.show_creator_in_debrief else None,
                label_shown=trial.label_shown,
            )
        )
    n_main = len(items)
    n_correct = sum(item.correct for item in items)
    accuracy = n_correct / n_main if n_main else 0.0
    hits = sum(1 for i in items if i.truth == Source.AI and i.guess == Source.AI)
    misses = sum(1 for i in items if i.truth == Source.AI and i.guess == Source.HUMAN)
    false_alarms = sum(1 for i in items if i.truth == Source.HUMAN and i.guess == Source.AI)
    correct_rejections = sum(1 for i in items if i.truth == Source.HUMAN and i.guess == Source.HUMAN)
    others = repository.completed_accuracies(session, exclude_participant_id=participant.id)
    compare = settings.show_percentile and asks_source(participant.condition)
    percentile = percentile_rank(accuracy, others) if compare else None
    return Debrief(
        items=tuple(items),
        n_correct=n_correct,
        n_main=n_main,
        accuracy=accuracy,
        dprime=dprime(hits, misses, false_alarms, correct_rejections),
        percentile=percentile,
        n_compared=len(others) if compare else 0,
        text=settings.debrief_text,
        completion_code=participant.completion_code or "",
        completion_url=_completion_url(current, participant),
        condition=participant.condition or Condition.BLIND,
    )


# ----------------------------------------------------------------------------------------------
# Internals


def _completion_url(current: StudySettings, participant: Participant) -> str:
    if participant.is_preview:
        return ""
    if current.completion_url:
        return current.completion_url
    if current.prolific_enabled and participant.completion_code:
        return PROLIFIC_COMPLETE_URL.format(code=participant.completion_code)
    return ""


def _creator(clip: Clip) -> str | None:
    if clip.source == Source.AI:
        system = " ".join(part for part in (clip.ai_system, clip.ai_version) if part)
        return system or clip.creator
    return clip.creator

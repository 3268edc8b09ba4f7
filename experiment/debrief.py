"""The debrief: the reveal of which clips were AI, the participant's score and the completion details.

No Streamlit here. This is the first and only place a participant is told a clip's source.
Every clip the participant heard after the practice is revealed under the number it had on the
progress bar (:mod:`experiment.clip_count`); only main trials are scored, so the repeat and the
attention trial are listed as checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.i18n import _
from core.models import Clip, Participant
from core.vocabulary import Condition, Source, TrialKind
from experiment import paired, repository
from experiment.clip_count import clip_numbers
from experiment.conditions import asks_source
from experiment.progress import JourneyError, settings_for
from experiment.scoring import dprime, percentile_rank
from experiment.settings import PROLIFIC_COMPLETE_URL, StudySettings


@dataclass(frozen=True)
class RevealItem:
    """One clip in the reveal (in presentation order): every trial after the practice."""

    position: int  # the clip's number, 1-based among non-practice trials ("Clip k of N")
    guess: str | None  # a core.vocabulary.Source value; None where the source was not asked
    confidence: int | None
    truth: str  # a core.vocabulary.Source value
    correct: bool
    creator: str | None  # creator (human) or AI system + version; None when hidden by settings
    label_shown: str | None = None  # labelled condition: the source announced before the clip
    kind: str = TrialKind.MAIN  # a core.vocabulary.TrialKind value
    repeat_of: int | None = None  # for the repeat: the number of the clip it repeated

    @property
    def scored(self) -> bool:
        """Only main trials count in the score."""
        return self.kind == TrialKind.MAIN


@dataclass(frozen=True)
class PairReveal:
    """One scored pair of a paired (2AFC) study in the reveal: the choice and what each clip was.

    ``choice`` is the position (1 or 2) the participant chose as AI, ``confidence`` 1..3;
    ``truths`` and ``creators`` are by position (first clip, second clip).
    """

    number: int
    choice: int
    confidence: int | None
    truths: tuple[str, str]  # core.vocabulary.Source values
    creators: tuple[str | None, str | None]

    @property
    def correct(self) -> bool:
        """Whether the clip chosen as AI is the AI clip."""
        return self.truths[self.choice - 1] == Source.AI


@dataclass(frozen=True)
class Debrief:
    """Everything the debrief page shows.

    Attributes
    ----------
    items : tuple of RevealItem
        Every clip after the practice, numbered as on the progress bar.
    n_correct, n_main : int
        Correct guesses among the scored (main) clips, and their number; in a paired study the
        pairs chosen right and the scored pairs (one choice each).
    accuracy : float
        ``n_correct / n_main``.
    dprime : float
        Sensitivity d' ("AI" is the signal) with the log-linear correction; in a paired study
        the 2AFC d' = sqrt(2) z(proportion of pairs right) (:mod:`experiment.paired`).
    percentile : float or None
        Percentage (0..100) of other completed participants scoring lower (ties count half);
        None when nobody else has completed or the setting is off.
    n_compared : int
        Number of other completed participants in the comparison.
    n_lower, n_tied : int
        How many of them scored lower than this participant, and how many the same (the rest
        scored higher); the page says these counts, which read right for a tie and for one person.
    text : str
        The organiser's debrief text, in the participant's language.
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
    n_lower: int
    n_tied: int
    text: str
    completion_code: str
    completion_url: str
    condition: str = Condition.BLIND
    pairs: tuple[PairReveal, ...] = ()  # a paired study's scored pairs, in order (empty otherwise)

    @property
    def scored(self) -> bool:
        """Whether the participant guessed sources (blind condition), so that a score makes sense."""
        return self.condition == Condition.BLIND


def _reveal_items(trials, responses, numbers, show_creator: bool) -> list[RevealItem]:
    """One reveal line per answered clip after the practice, numbered as the participant saw it."""
    main_number = {t.clip_id: numbers[t.trial_index] for t in trials if t.kind == TrialKind.MAIN}
    items = []
    for trial in trials:
        if trial.kind == TrialKind.PRACTICE:
            continue
        response = responses[trial.trial_index]
        clip = trial.clip
        guess = paired.guess_in_pair(trial.pair_position, response.pair_choice) or response.guess
        items.append(
            RevealItem(
                position=numbers[trial.trial_index],
                guess=guess,
                confidence=response.confidence,
                truth=clip.source,
                correct=guess == clip.source,
                creator=_creator(clip) if show_creator else None,
                kind=trial.kind,
                repeat_of=main_number.get(trial.clip_id) if trial.kind == TrialKind.REPEAT else None,
                label_shown=trial.label_shown,
            )
        )
    return items


def debrief(session: Session, participant: Participant) -> Debrief:
    """The reveal, score and completion details.

    Raises
    ------
    JourneyError
        The participant has not answered every trial yet.
    """
    if participant.completed_at is None:
        raise JourneyError(_("The debrief is available once every clip has been answered."))
    settings = settings_for(session, participant).localised(participant.language, participant.condition)
    _version, current = repository.current_settings(session, participant.study_id)
    responses = repository.responses_of(session, participant)
    trials = repository.trials_of(session, participant)
    numbers = clip_numbers(trials)
    items = _reveal_items(trials, responses, numbers, settings.show_creator_in_debrief)
    scored = [item for item in items if item.scored]
    n_main = len(scored)
    n_correct = sum(item.correct for item in scored)
    accuracy = n_correct / n_main if n_main else 0.0
    others = repository.completed_accuracies(
        session, exclude_participant_id=participant.id, study_id=participant.study_id
    )
    pairs = _pair_reveals(trials, responses, settings.show_creator_in_debrief)
    # Paired participants' choices are not single-clip guesses: no comparison with those scores.
    compare = settings.show_percentile and asks_source(participant.condition) and not pairs
    percentile = percentile_rank(accuracy, others) if compare else None
    sensitivity = _yes_no_dprime(scored)
    if pairs:  # each pair is one 2AFC choice, scored once: d' = sqrt(2) z(pc)
        n_main, n_correct = len(pairs), sum(pair.correct for pair in pairs)
        accuracy = n_correct / n_main
        sensitivity = paired.dprime_2afc_from_counts(n_correct, n_main)
    return Debrief(
        items=tuple(items),
        n_correct=n_correct,
        n_main=n_main,
        accuracy=accuracy,
        dprime=sensitivity,
        percentile=percentile,
        n_compared=len(others) if compare else 0,
        n_lower=sum(other < accuracy for other in others) if compare else 0,
        n_tied=sum(other == accuracy for other in others) if compare else 0,
        text=settings.debrief_text,
        completion_code=participant.completion_code or "",
        completion_url=_completion_url(current, participant),
        condition=participant.condition or Condition.BLIND,
        pairs=pairs,
    )


# ----------------------------------------------------------------------------------------------
# Internals


def _yes_no_dprime(scored: list[RevealItem]) -> float:
    """d' of the scored single-clip guesses ("AI" is the signal), log-linear corrected."""

    def count(truth: str, guess: str) -> int:
        return sum(1 for i in scored if i.truth == truth and i.guess == guess)

    return dprime(
        count(Source.AI, Source.AI),
        count(Source.AI, Source.HUMAN),
        count(Source.HUMAN, Source.AI),
        count(Source.HUMAN, Source.HUMAN),
    )


def _pair_reveals(trials, responses, show_creator: bool) -> tuple[PairReveal, ...]:
    """The scored pairs (``pair_trial`` 1..n, main trials) with the choice and both clips' truth."""
    members: dict[int, list] = {}
    for trial in trials:
        if trial.kind == TrialKind.MAIN and trial.pair_trial not in (None, paired.PRACTICE_PAIR):
            members.setdefault(trial.pair_trial, []).append(trial)
    reveals = []
    for number in sorted(members):
        first, second = sorted(members[number], key=lambda t: t.pair_position or 0)
        response = responses[first.trial_index]
        reveals.append(
            PairReveal(
                number=number,
                choice=int(response.pair_choice),
                confidence=response.pair_confidence,
                truths=(first.clip.source, second.clip.source),
                creators=(_creator(first.clip), _creator(second.clip)) if show_creator else (None, None),
            )
        )
    return tuple(reveals)


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

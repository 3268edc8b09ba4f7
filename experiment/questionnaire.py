"""The "About you" questionnaire: its questions, their validation and storage. No Streamlit here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.i18n import N_, _
from core.models import Participant
from core.vocabulary import Condition, Step
from experiment import reasons
from experiment.progress import JourneyError, advance, settings_for
from experiment.settings import StudySettings


@dataclass(frozen=True)
class Question:
    """One questionnaire item.

    Attributes
    ----------
    key : str
        Key in ``Participant.questionnaire``.
    prompt : str
        The English text, a message id (translated with ``core.i18n._`` where shown); so are
        ``options`` and the end labels. Answers are stored as the English option, whatever the
        participant's language, so that the data compare across languages.
    kind : {"choice", "scale"}
        "choice": one of ``options`` (stored as the option string).
        "scale": an integer ``low..high`` (stored as int) with end labels.
    options : tuple of str
        For "choice".
    low, high : int
        For "scale".
    low_label, high_label : str
        For "scale": what the ends mean.
    reverse : bool
        Scored in reverse (``low + high - answer``) where the instrument says so.
    """

    key: str
    prompt: str
    kind: str
    options: tuple[str, ...] = ()
    low: int = 1
    high: int = 7
    low_label: str = ""
    high_label: str = ""
    reverse: bool = False


def _agreement(key: str, prompt: str, *, reverse: bool = False) -> Question:
    """A Gold-MSI agreement item: 1 = completely disagree ... 7 = completely agree."""
    return Question(
        key,
        prompt,
        "scale",
        low=1,
        high=7,
        low_label=N_("Completely disagree"),
        high_label=N_("Completely agree"),
        reverse=reverse,
    )


AGE_QUESTION = Question(
    "age_band",
    N_("How old are you?"),
    "choice",
    options=("18-24", "25-34", "35-44", "45-54", "55-64", N_("65 or older"), N_("Prefer not to say")),
)

MUSICAL_TRAINING: tuple[Question, ...] = (
    Question(
        "instrument_practice_years",
        N_("I engaged in regular, daily practice of a musical instrument (including voice) for ... years."),
        "choice",
        options=("0", "1", "2", "3", "4-5", "6-9", N_("10 or more")),
    ),
    Question(
        "practice_hours_peak",
        N_("At the peak of my interest, I practised ... hours per day on my primary instrument."),
        "choice",
        options=("0", "0.5", "1", "1.5", "2", "3-4", N_("5 or more")),
    ),
    _agreement(
        "never_complimented", N_("I have never been complimented for my talents as a musical performer."), reverse=True
    ),
    Question(
        "theory_training_years",
        N_("I have had formal training in music theory for ... years."),
        "choice",
        options=("0", "0.5", "1", "2", "3", "4-6", N_("7 or more")),
    ),
    Question(
        "instrument_training_years",
        N_("I have had formal training on a musical instrument (including voice) for ... years during my lifetime."),
        "choice",
        options=("0", N_("0.5"), "1", "2", "3-5", "6-9", N_("10 or more")),
    ),
    Question(
        "instruments_played",
        N_("I can play ... musical instruments."),
        "choice",
        options=("0", "1", "2", "3", "4", "5", N_("6 or more")),
    ),
    _agreement("musician_self_rating", N_("I would not consider myself a musician."), reverse=True),
)
"""The Gold-MSI Musical Training subscale (Müllensiefen, Gingras, Musil & Stewart 2014, items MT_01..MT_07).

Wording and answer options as published; the two agreement items ("never complimented", "not a
musician") are reverse-scored. Each item scores 1..7 (an option by its position, an agreement by
its point, reversed as 8 - point), and the subscale score is their sum, 7..49
(:func:`musical_training_score`). Keys kept from the earlier three-item version keep their meaning.
"""

AI_QUESTIONS: tuple[Question, ...] = (
    Question(
        "ai_music_heard",
        N_("How much music have you heard that you knew was made by AI?"),
        "choice",
        options=(N_("None"), N_("One or two pieces"), N_("Some"), N_("A lot")),
    ),
    Question(
        "ai_music_attitude",
        N_("How do you feel about AI being used to make music?"),
        "scale",
        low=1,
        high=7,
        low_label=N_("Very negative"),
        high_label=N_("Very positive"),
    ),
)
"""Exposure to and attitude towards AI music: after the clips unless ``ai_questions_before`` (priming)."""

SOURCE_BELIEF = Question(
    "believed_ai_present",
    N_("Do you think any of the clips you heard were made by AI?"),
    "choice",
    options=(
        N_("No, none of them"),
        N_("Yes, some of them"),
        N_("Yes, most of them"),
        N_("Yes, all of them"),
        N_("I don't know"),
    ),
)
"""Asked after the last clip in the rate-only condition, the only time its participants hear of AI."""

QUESTIONNAIRE: tuple[Question, ...] = (AGE_QUESTION, *MUSICAL_TRAINING, *AI_QUESTIONS)
"""Every questionnaire item about the participant, in display order (:func:`questions_before` and
:func:`questions_after` say which are asked when)."""


def questions_before(settings: StudySettings) -> tuple[Question, ...]:
    """The "About you" questions asked before the clips under ``settings``."""
    return (AGE_QUESTION, *MUSICAL_TRAINING, *(AI_QUESTIONS if settings.ai_questions_before else ()))


def questions_after(
    settings: StudySettings, condition: str | None, answered: Mapping[str, Any]
) -> tuple[Question, ...]:
    """The questions asked after the clips: the source belief (rate-only), then AI exposure and attitude.

    Items already in ``answered`` are not asked again (a participant who started under settings
    that asked them before the clips).
    """
    questions: tuple[Question, ...] = (SOURCE_BELIEF,) if condition == Condition.RATE_ONLY else ()
    if not settings.ai_questions_before:
        questions += AI_QUESTIONS
    return tuple(q for q in questions if q.key not in answered)


def musical_training_score(answers: Mapping[str, Any]) -> int | None:
    """The Gold-MSI Musical Training score, 7..49 (None unless all seven items are answered)."""
    total = 0
    for question in MUSICAL_TRAINING:
        value = answers.get(question.key)
        if question.kind == "choice":
            if str(value) not in question.options:
                return None
            total += question.options.index(str(value)) + 1
        else:
            number = _as_int(value)
            if number is None or not question.low <= number <= question.high:
                return None
            total += question.high + question.low - number if question.reverse else number
    return total


def validate_questionnaire(
    answers: Mapping[str, Any], questions: tuple[Question, ...] = QUESTIONNAIRE
) -> dict[str, Any]:
    """Check answers against ``questions``; return the cleaned dict (unknown keys dropped).

    Raises
    ------
    JourneyError
        Naming every missing answer (a participant who skipped several sees them all at once), else
        the first invalid one.
    """
    missing = [question for question in questions if answers.get(question.key) in (None, "")]
    if len(missing) == 1:
        raise JourneyError(_("Please answer: {question}").format(question=_(missing[0].prompt)))
    if missing:
        listed = "\n".join(f"- {_(question.prompt)}" for question in missing)
        raise JourneyError(_("Please answer these {n} questions:").format(n=len(missing)) + "\n\n" + listed)
    cleaned: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.key)
        if question.kind == "choice":
            if str(value) not in question.options:
                raise JourneyError(
                    _("Please choose one of the options for: {question}").format(question=_(question.prompt))
                )
            cleaned[question.key] = str(value)
        else:
            number = _as_int(value)
            if number is None or not question.low <= number <= question.high:
                raise JourneyError(
                    _("Please choose a number from {low} to {high} for: {question}").format(
                        low=question.low, high=question.high, question=_(question.prompt)
                    )
                )
            cleaned[question.key] = number
    return cleaned


def save_questionnaire(session: Session, participant: Participant, answers: Mapping[str, Any]) -> None:
    """Validate and store the questionnaire answers, then advance to the next shown step.

    Raises
    ------
    JourneyError
        A missing or out-of-range answer (message names the question); nothing stored.
    """
    if participant.step != Step.QUESTIONNAIRE:
        return  # already saved (a resubmitted form after a refresh): change nothing
    cleaned = validate_questionnaire(answers, questions_before(settings_for(session, participant)))
    participant.questionnaire = cleaned
    advance(session, participant)


def after_trials_questions(session: Session, participant: Participant) -> tuple[Question, ...]:
    """The questions this participant is asked after the clips (may be empty)."""
    settings = settings_for(session, participant)
    return questions_after(settings, participant.condition, participant.questionnaire or {})


def asks_reason_after_trials(session: Session, participant: Participant) -> bool:
    """Whether this participant is asked, once after the clips, what made them think so (:mod:`experiment.reasons`)."""
    return reasons.asks_reason_at_end(settings_for(session, participant), participant.condition)


def save_after_trials(
    session: Session, participant: Participant, answers: Mapping[str, Any], reason: str | None = None
) -> None:
    """Validate and add the answers given after the clips, then advance (to the debrief: completed).

    ``reason`` is the optional answer to "What made you think so?" when the study asks it once after the
    last clip (stored on the participant; ignored when not asked). With no question to ask, it only
    advances. Raises :class:`JourneyError` for a missing or invalid answer or a reason over the length
    limit; nothing stored. A second call (a form sent twice) changes nothing.
    """
    if participant.step != Step.AFTER_TRIALS:
        return  # already saved
    cleaned = validate_questionnaire(answers, after_trials_questions(session, participant))
    if asks_reason_after_trials(session, participant):
        problem = reasons.reason_problem(reason)
        if problem:
            raise JourneyError(problem)
        participant.reason = reasons.stored_reason(reason)
    participant.questionnaire = {**(participant.questionnaire or {}), **cleaned}  # a new dict: the JSON is written
    advance(session, participant)


def _as_int(value: Any) -> int | None:
    """``value`` as an int if it is one (or a string/float holding a whole number), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None

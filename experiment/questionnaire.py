"""The "About you" questionnaire: its questions, their validation and storage. No Streamlit here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.models import Participant
from core.vocabulary import Step
from experiment.progress import JourneyError, advance


@dataclass(frozen=True)
class Question:
    """One questionnaire item.

    Attributes
    ----------
    key : str
        Key in ``Participant.questionnaire``.
    prompt : str
    kind : {"choice", "scale"}
        "choice": one of ``options`` (stored as the option string).
        "scale": an integer ``low..high`` (stored as int) with end labels.
    options : tuple of str
        For "choice".
    low, high : int
        For "scale".
    low_label, high_label : str
        For "scale": what the ends mean.
    """

    key: str
    prompt: str
    kind: str
    options: tuple[str, ...] = ()
    low: int = 1
    high: int = 7
    low_label: str = ""
    high_label: str = ""


QUESTIONNAIRE: tuple[Question, ...] = (
    Question(
        "age_band",
        "How old are you?",
        "choice",
        options=("18-24", "25-34", "35-44", "45-54", "55-64", "65 or older", "Prefer not to say"),
    ),
    Question(
        "musician_self_rating",
        "I would not consider myself a musician.",
        "scale",
        low=1,
        high=7,
        low_label="Completely disagree",
        high_label="Completely agree",
    ),
    Question(
        "instrument_practice_years",
        "I engaged in regular, daily practice of a musical instrument (including voice) for ... years.",
        "choice",
        options=("0", "1", "2", "3", "4-5", "6-9", "10 or more"),
    ),
    Question(
        "instrument_training_years",
        "I have had formal training on a musical instrument (including voice) for ... years during my lifetime.",
        "choice",
        options=("0", "0.5", "1", "2", "3-5", "6-9", "10 or more"),
    ),
    Question(
        "ai_music_heard",
        "How much music have you heard that you knew was made by AI?",
        "choice",
        options=("None", "One or two pieces", "Some", "A lot"),
    ),
    Question(
        "ai_music_attitude",
        "How do you feel about AI being used to make music?",
        "scale",
        low=1,
        high=7,
        low_label="Very negative",
        high_label="Very positive",
    ),
)
"""The participant questionnaire, in display order.

The three musical-training items follow the wording and answer options of the Gold-MSI
(Müllensiefen et al. 2014) training subscale; "I would not consider myself a musician" is
reverse-scored there.
"""


def validate_questionnaire(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check answers against :data:`QUESTIONNAIRE`; return the cleaned dict (unknown keys dropped).

    Raises
    ------
    JourneyError
        Naming the first missing or invalid answer.
    """
    cleaned: dict[str, Any] = {}
    for question in QUESTIONNAIRE:
        value = answers.get(question.key)
        if value is None or value == "":
            raise JourneyError(f"Please answer: {question.prompt}")
        if question.kind == "choice":
            if str(value) not in question.options:
                raise JourneyError(f"Please choose one of the options for: {question.prompt}")
            cleaned[question.key] = str(value)
        else:
            number = _as_int(value)
            if number is None or not question.low <= number <= question.high:
                raise JourneyError(
                    f"Please choose a number from {question.low} to {question.high} for: {question.prompt}"
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
    cleaned = validate_questionnaire(answers)
    participant.questionnaire = cleaned
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

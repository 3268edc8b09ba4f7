"""The "About you" questionnaire: its questions, their validation and storage. No Streamlit here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.i18n import N_, _
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
        N_("How old are you?"),
        "choice",
        options=("18-24", "25-34", "35-44", "45-54", "55-64", N_("65 or older"), N_("Prefer not to say")),
    ),
    Question(
        "musician_self_rating",
        N_("I would not consider myself a musician."),
        "scale",
        low=1,
        high=7,
        low_label=N_("Completely disagree"),
        high_label=N_("Completely agree"),
    ),
    Question(
        "instrument_practice_years",
        N_("I engaged in regular, daily practice of a musical instrument (including voice) for ... years."),
        "choice",
        options=("0", "1", "2", "3", "4-5", "6-9", N_("10 or more")),
    ),
    Question(
        "instrument_training_years",
        N_("I have had formal training on a musical instrument (including voice) for ... years during my lifetime."),
        "choice",
        options=("0", N_("0.5"), "1", "2", "3-5", "6-9", N_("10 or more")),
    ),
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
            raise JourneyError(_("Please answer: {question}").format(question=_(question.prompt)))
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

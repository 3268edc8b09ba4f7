"""The questionnaire's answers are checked all at once: a participant who skipped several sees every one."""

from __future__ import annotations

import pytest

from core.i18n import translate, using_language
from experiment.progress import JourneyError
from experiment.questionnaire import QUESTIONNAIRE, validate_questionnaire
from tests.experiment.drive import QUESTIONNAIRE as ANSWERS


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_missing_answer_is_named(language):
    skipped = list(QUESTIONNAIRE[:7])
    answers = {key: value for key, value in ANSWERS.items() if key not in {q.key for q in skipped}}
    with using_language(language), pytest.raises(JourneyError) as refused:
        validate_questionnaire(answers)
    message = str(refused.value)
    assert message.startswith(translate("Please answer these {n} questions:", language).format(n=7))
    for question in skipped:  # each by its prompt, once, as a list item
        assert message.count(f"- {translate(question.prompt, language)}") == 1


def test_one_missing_answer_reads_as_before():
    first = QUESTIONNAIRE[0]
    answers = {key: value for key, value in ANSWERS.items() if key != first.key}
    with pytest.raises(JourneyError) as refused:
        validate_questionnaire(answers)
    assert str(refused.value) == f"Please answer: {first.prompt}"
    assert validate_questionnaire(ANSWERS)  # complete answers pass

"""The journey registry is complete and consistent: every step is listed once, drawn, and completed.

Adding a step or a condition is one entry in ``experiment.journey.STEPS`` plus its service and its
page; these tests fail when one of the three is missing.
"""

from __future__ import annotations

import itertools

from core.vocabulary import ScreeningMode, Step
from experiment.journey import STEP_BY_NAME, STEPS, steps_for
from experiment.progress import step_after
from experiment.settings import StudySettings
from experiment.ui.journey import STEP_PAGES


def test_every_step_of_the_vocabulary_is_in_the_registry_once():
    assert [step.name for step in STEPS] == list(Step)
    assert set(STEP_BY_NAME) == set(Step)
    assert all(step.title for step in STEPS)


def test_every_step_a_participant_can_be_at_has_a_page():
    # Consent is drawn on arrival, before a participant row (and so a stored step) exists.
    assert set(STEP_PAGES) == {step.name for step in STEPS} - {Step.CONSENT}
    assert all(callable(draw) for draw in STEP_PAGES.values())


def test_every_step_that_is_moved_through_has_a_completing_service():
    ends = {Step.DEBRIEF, Step.SCREENED_OUT}
    for step in STEPS:
        assert (step.complete is None) == (step.name in ends), step.name
        assert step.complete is None or callable(step.service()), step.complete


def test_once_trials_are_needed_they_stay_needed():
    reached = [step for step in STEPS if step.name != Step.SCREENED_OUT]
    needs = [step.needs_trials for step in reached]
    assert needs == sorted(needs)  # False ... False, True ... True
    assert not STEP_BY_NAME[Step.AUDIO_CHECK].needs_trials  # screen-outs use no clips


def _all_settings():
    for screening, practice, before in itertools.product(ScreeningMode, (True, False), (True, False)):
        yield StudySettings(screening=screening, practice_trial=practice, ai_questions_before=before)


def test_the_conditions_decide_which_steps_are_shown():
    for settings in _all_settings():
        shown = [step.name for step in steps_for(settings)]
        expected = [Step.CONSENT, Step.QUESTIONNAIRE]
        expected += [Step.AUDIO_CHECK] if settings.screening != ScreeningMode.OFF else []
        expected += [Step.INSTRUCTIONS]
        expected += [Step.PRACTICE] if settings.practice_trial else []
        expected += [Step.TRIALS]
        expected += [Step.AFTER_TRIALS] if not settings.ai_questions_before else []
        expected += [Step.DEBRIEF]
        assert shown == expected, settings


def test_moving_on_walks_the_shown_steps_in_order_and_never_reaches_the_screen_out():
    for settings in _all_settings():
        shown = steps_for(settings)
        walked = [shown[0]]
        while walked[-1].name != Step.DEBRIEF:
            walked.append(step_after(walked[-1].name, settings))
        assert tuple(walked) == shown

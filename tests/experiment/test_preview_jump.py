"""Preview jumps: a preview participant starts at any step, trials assigned, and stays out of results."""

import pytest

from core import db
from core.vocabulary import Step
from experiment import records, repository
from experiment.debrief import debrief
from experiment.preview import jump_targets, start_preview_at
from experiment.progress import JourneyError
from experiment.trials import current_trial
from tests.experiment.drive import add_clips, configure


@pytest.fixture
def ready(data_env):
    db.migrate()
    add_clips(8, 8)


def test_every_step_can_be_previewed_and_the_debrief_has_a_real_reveal(ready):
    with db.session_scope() as session:
        steps = [step for step, _ in jump_targets(session)]
        assert steps[0] == Step.CONSENT and Step.DEBRIEF in steps
        for step in steps[1:]:
            participant = start_preview_at(session, step)
            assert participant.is_preview
            expected = Step.PRACTICE if step == Step.DEBRIEF else step  # debrief checked below
            if step != Step.DEBRIEF:
                assert participant.step == expected
        at_debrief = start_preview_at(session, Step.DEBRIEF)
        assert at_debrief.step == Step.DEBRIEF and at_debrief.completed_at is not None
        shown = debrief(session, at_debrief)
        assert shown.n_main > 0 and len(shown.items) >= shown.n_main  # attention and repeat trials listed too
        assert records.participant_records(session) == []  # previews never reach results


def test_jumping_to_a_clip_answers_the_earlier_ones(ready):
    with db.session_scope() as session:
        participant = start_preview_at(session, Step.TRIALS, position=3)
        view = current_trial(session, participant)
        assert view is not None and view.position == 3
        assert repository.trials_of(session, participant)
        assert records.answer_rows(session) == []


def test_a_step_switched_off_cannot_be_jumped_to(ready):
    configure(practice_trial=False)
    with db.session_scope() as session:
        assert Step.PRACTICE not in [step for step, _ in jump_targets(session)]
        with pytest.raises(JourneyError):
            start_preview_at(session, Step.PRACTICE)
        with pytest.raises(JourneyError):  # consent comes before a participant exists
            start_preview_at(session, Step.CONSENT)
        assert start_preview_at(session, Step.DEBRIEF).completed_at is not None

"""The participant page in each design condition (AppTest, real MP3 clips): every answer stored once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, Response, Trial
from core.vocabulary import Condition
from experiment import repository
from experiment.conditions import label_text
from tests.experiment.playable_clips import add_playable_clips
from tests.experiment.test_participate_apptest import (
    SHORT_STUDY,
    answer_questionnaire,
    answer_trial,
    consent,
    current_nonce,
    open_page,
    pass_audio_check,
    texts,
)
from tests.staff_accounts import log_in_as_admin

NEUTRAL = {"title": "A listening study", "information_text": "Short music clips; say how each made you feel."}


@pytest.mark.parametrize("condition", list(Condition))
def test_each_condition_runs_from_consent_to_debrief(sqlite_data_env, condition):
    add_playable_clips(3, 3.0)
    with db.session_scope() as session:
        repository.save_settings(session, SHORT_STUDY.with_changes(conditions=(condition,), **NEUTRAL))
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    instructions = texts(at)
    assert ("AI" in instructions) == (condition != Condition.RATE_ONLY)  # rate-only hears of AI only at the end
    at.button(key="instructions_done").click().run()
    for _ in range(3):  # practice and two clips
        with db.session_scope() as session:
            nonce = current_nonce(token)
            trial = session.scalars(select(Trial).where(Trial.audio_nonce == nonce)).one()
            shown = trial.label_shown
        page = texts(at)
        if condition == Condition.LABELLED:
            assert label_text(shown) in page  # the assigned label, whatever the truth
        assert ("Who do you think made this clip?" in page) == (condition == Condition.BLIND)
        answer_trial(at, token, confidence=6)
    after = texts(at)
    assert "A few last questions" in after
    assert ("Do you think any of the clips" in "\n".join(r.label for r in at.radio)) == (
        condition == Condition.RATE_ONLY
    )
    answer_questionnaire(at)

    page = texts(at)
    assert "Thank you!" in page
    assert ("The labels you saw" in page) == (condition == Condition.LABELLED)
    assert bool(at.get("metric")) == (condition == Condition.BLIND)  # a score only where sources were guessed
    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.condition == condition and participant.completed_at is not None
        responses = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert [r.trial_index for r in responses] == [0, 1, 2]
        expected = [6, 6, 6] if condition == Condition.BLIND else [None, None, None]
        assert [r.confidence for r in responses] == expected
        assert all(r.valence == 5 for r in responses)
        assert "ai_music_attitude" in participant.questionnaire


def test_the_preview_runs_the_condition_staff_choose(sqlite_data_env):
    from streamlit.testing.v1 import AppTest

    from tests.experiment.test_participate_apptest import PREVIEW_PAGE

    add_playable_clips(3, 3.0)
    settings = SHORT_STUDY.with_changes(conditions=(Condition.BLIND, Condition.LABELLED), screening="off")
    with db.session_scope() as session:
        repository.save_settings(session, settings)
    at = AppTest.from_file(PREVIEW_PAGE, default_timeout=60)
    log_in_as_admin(at)
    at.run()
    at.selectbox(key="preview_condition_choice").set_value(Condition.LABELLED).run()
    at.button(key="preview_consent_agree").click().run()
    answer_questionnaire(at)
    at.button(key="instructions_done").click().run()
    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.is_preview and participant.condition == Condition.LABELLED
        token = participant.resume_token
    with db.session_scope() as session:
        shown = session.scalars(select(Trial.label_shown).where(Trial.audio_nonce == current_nonce(token))).one()
    assert label_text(shown) in texts(at)

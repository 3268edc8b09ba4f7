"""Similar and random pairs with reasons, in Chromium, in English and in German (issue 26).

A participant takes a paired study whose pairing type varies within participants (half the pairs the
most similar human-AI pairs, half random re-pairings) and that asks "What made you think so?" after
every pair's choice. They type reasons over several lines (Enter adds a line and never sends the
answer), leave one empty, and double-click one submit. Every clip's answer is stored exactly once, each
pair's reason on both of its clips, and the pairs are the planted similar pairs and random ones.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from core import db
from core.i18n import translate
from core.models import Participant, Response, Trial
from core.vocabulary import Source
from experiment.reasons import AT_END_PROMPT, PER_TRIAL_PROMPT
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    trial_format="paired",
    pairing_design="within",
    ask_reason="per_trial",
    n_trials=8,
    practice_trial=False,
    screening="off",
    listening_requirement=1.0,
    min_answer_seconds=0.0,
)
REASONS = {
    "en": {1: "The vocals were too perfect.\nAnd the mix sounded flat.", 2: "Repetitive loops", 4: "Emotion!"},
    "de": {1: "Die Stimme klang zu perfekt.\nUnd der Gesang war steril.", 2: "Wiederholungen", 4: "Gefühl: ja"},
}
"""What the participant types after each pair (pair 3: nothing, the reason is optional)."""


@pytest.mark.parametrize("lang", ["en", "de"])
def test_similar_and_random_pairs_with_reasons_store_every_answer_once(e2e_data_dir, monkeypatch, chromium, lang):
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=4)
    twins = drive.plant_similar_pairs(identities)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE" if lang == "de" else "en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
    choices = {1: "The first clip", 2: "The second clip", 3: "The first clip", 4: "The second clip"}
    try:
        page.goto(server.url)
        drive.consent(page, lang)
        drive.answer_questionnaire(page, lang, STUDY)
        drive.read_instructions(page, lang)
        for number, choice in choices.items():
            expected = translate("Pair {position} of {total}", lang).format(position=number, total=4)
            drive.answer_current_pair(
                page,
                choice,
                "Fairly sure",
                expected,
                lang=lang,
                reason=REASONS[lang].get(number),
                double_click=number == 4,  # a double click on the last submit: the pair is stored once
            )
        drive.answer_after_trials(page, lang)
        wait_for_app(page, translate("Which clip of each pair was made by AI?", lang))
    finally:
        context.close()
        server.stop()

    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.language == lang and participant.completed_at is not None
        assert participant.reason is None  # asked after each pair, not once at the end
        rows = session.execute(
            select(Trial, Response).join(Response, Response.trial_id == Trial.id).order_by(Trial.trial_index)
        ).all()
        per_trial = Counter(session.scalars(select(Response.trial_id)).all())
        assert session.scalar(select(func.count()).select_from(Response)) == 8 == len(per_trial)
        assert set(per_trial.values()) == {1}  # every clip's answer stored exactly once
        pairs: dict[int, list] = {}
        for trial, response in rows:
            pairs.setdefault(trial.pair_trial, []).append((trial, response))
        assert sorted(pairs) == [1, 2, 3, 4]
        types: Counter[str] = Counter()
        for number, members in pairs.items():
            assert [t.pair_position for t, _r in members] == [1, 2]
            clip_of = {t.clip.source: t.clip_id for t, _r in members}
            pairing = {t.pairing for t, _r in members}
            assert len(pairing) == 1
            types[pairing.pop()] += 1
            is_twin = twins[clip_of[Source.HUMAN]] == clip_of[Source.AI]
            assert is_twin == (members[0][0].pairing == "similar"), (number, clip_of)
            chosen = 1 if choices[number] == "The first clip" else 2
            assert {(r.pair_choice, r.pair_confidence, r.reason) for _t, r in members} == {
                (chosen, 2, REASONS[lang].get(number))
            }
        assert types == {"similar": 2, "random": 2}  # within participants: half and half


def test_a_reason_once_after_the_last_pair_is_stored_once_on_the_participant(e2e_data_dir, monkeypatch, chromium):
    """In German: no reason box on the pairs; one after the last pair, Enter adding lines, sent once."""
    study = STUDY.with_changes(ask_reason="at_end")
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, study, n_per_source=4)
    drive.plant_similar_pairs(identities)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(30_000)
    reason = "Der Gesang klang zu sauber.\nDie Wiederholungen auch."
    try:
        page.goto(server.url)
        drive.consent(page, "de")
        drive.answer_questionnaire(page, "de", study)
        drive.read_instructions(page, "de")
        for number in range(1, 5):
            expected = translate("Pair {position} of {total}", "de").format(position=number, total=4)
            wait_for_app(page, expected)
            assert not page.get_by_label(translate(PER_TRIAL_PROMPT, "de"), exact=True).count()
            drive.answer_current_pair(page, "The first clip", "Fairly sure", expected, lang="de")
        wait_for_app(page, translate("A few last questions", "de"))
        drive.wait_for_radios(page, 1)
        drive.choose_first_options(page)
        box = page.get_by_label(translate(AT_END_PROMPT, "de"), exact=True)
        box.click()
        for number, line in enumerate(reason.split("\n")):
            if number:
                box.press("Enter")  # a new line; the questions are not sent
            box.press_sequentially(line)
        assert box.input_value() == reason
        page.get_by_role("button", name=translate("Continue", "de"), exact=True).dblclick()
        wait_for_app(page, translate("Which clip of each pair was made by AI?", "de"))
    finally:
        context.close()
        server.stop()
    with db.session_scope() as session:
        participant = session.scalars(select(Participant)).one()
        assert participant.reason == reason and participant.completed_at is not None
        assert session.scalar(select(func.count()).select_from(Response)) == 8
        assert set(session.scalars(select(Response.reason))) == {None}  # not asked per pair

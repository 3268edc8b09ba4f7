"""The paired (2AFC) design in Chromium: consent to debrief, both clips of every pair heard and rated.

Every pair is stored once as two rows (one per clip, the pair's choice on both), the listening
requirement holds for each clip, and the pair page is word for word the same whether the AI clip
plays first or second; nothing on it (DOM, shadow roots, widget keys) names a clip.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import db
from core.models import Participant, Response, Trial
from core.vocabulary import Source
from experiment.settings import StudySettings
from tests.e2e import journey_driver as drive
from tests.e2e.conftest import wait_for_app

pytestmark = pytest.mark.e2e

STUDY = StudySettings(
    trial_format="paired",
    n_trials=4,
    practice_trial=True,
    screening="off",
    listening_requirement=1.0,
    min_answer_seconds=0.0,
)

_DOM_WITH_SHADOW_ROOTS = """() => {
    const parts = [document.documentElement.outerHTML];
    for (const element of document.querySelectorAll('*')) {
        if (element.shadowRoot) parts.push(element.shadowRoot.innerHTML);
    }
    return parts.join('\\n');
}"""
ALLOWED_KEY = re.compile(
    r"st-key-(language|consent_(agree|decline)|q_[a-z_]+|instructions_done|answers|trial_\d+_[a-z_]+"
    r"|pair_\d+_(\d_(valence|arousal|moved|liking)|choice|confidence|submit)|player_[0-9a-f]{48}"
    r"|FormSubmitter-[A-Za-z0-9_-]+)"
)


def pair_page_text(page) -> str:
    """The visible text of the pair page without its progress line ("Pair k of N")."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    return re.sub(r"Pair \d+ of \d+", "Pair _ of _", text)


def test_paired_design_from_consent_to_debrief(e2e_data_dir, monkeypatch, chromium):
    identities = drive.prepare_study(e2e_data_dir, monkeypatch, STUDY, n_per_source=3)
    server = drive.start_server(e2e_data_dir)
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url)
        drive.consent(page)
        drive.answer_questionnaire(page)
        wait_for_app(page, "You will hear 2 pairs of short music clips")
        drive.read_instructions(page)
        # The practice is a pair, asked what every pair asks (issue 24, item 6).
        drive.answer_current_pair(page, "The first clip", "Guessing", "Practice pair")
        with db.session_scope() as session:
            trials = session.scalars(select(Trial).order_by(Trial.trial_index)).all()
            ai_position = {t.pair_trial: t.pair_position for t in trials if t.clip.source == Source.AI}
        assert sorted(ai_position) == [0, 1, 2] and sorted(ai_position[n] for n in (1, 2)) == [1, 2]  # counterbalanced

        texts = {}
        for number in (1, 2):
            wait_for_app(page, f"Pair {number} of 2")
            page.locator('[data-testid="stButtonGroup"]').nth(7).wait_for()
            texts[ai_position[number]] = pair_page_text(page)
            dom = page.evaluate(_DOM_WITH_SHADOW_ROOTS)
            for identity in identities:
                for secret in identity.secrets():
                    assert secret not in dom, f"{secret!r} reached the pair page"
            keys = set(re.findall(r"st-key-[A-Za-z0-9_-]+", dom))
            assert all(ALLOWED_KEY.fullmatch(key) for key in keys), sorted(keys)
            # Right on pair 1, wrong on pair 2.
            right = ai_position[number] if number == 1 else 3 - ai_position[number]
            drive.answer_current_pair(
                page, "The first clip" if right == 1 else "The second clip", "Fairly sure", f"Pair {number} of 2"
            )
        assert texts[1] == texts[2], "the pair page must read the same whichever clip is AI"
        drive.answer_after_trials(page)

        wait_for_app(page, "Which clip of each pair was made by AI?")
        page.locator('[data-testid="stMetric"]').first.wait_for()
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "1 of 2 pairs" in text  # one pair right: the score counts pairs, not clips
        reveal = page.locator('[data-testid="stTable"]').inner_text()
        assert "Pair" in reveal and "Clip" not in reveal  # the reveal lists the pairs
        assert reveal.count("✓") == 1 and reveal.count("✗") == 1
        with db.session_scope() as session:
            participant = session.scalars(select(Participant)).one()
            rows = session.execute(
                select(Trial, Response).join(Response, Response.trial_id == Trial.id).order_by(Trial.trial_index)
            ).all()
            assert participant.completed_at is not None
            assert [t.trial_index for t, _r in rows] == [0, 1, 2, 3, 4, 5]  # every clip answered exactly once
            practice = [r for t, r in rows if t.pair_trial == 0]  # the practice pair, its choice on both clips
            assert [(r.pair_choice, r.pair_confidence, r.valence) for r in practice] == [(1, 1, 5)] * 2
            for number in (1, 2):
                pair = [(t, r) for t, r in rows if t.pair_trial == number]
                assert [t.pair_position for t, _r in pair] == [1, 2]
                assert {(r.pair_choice, r.pair_confidence) for _t, r in pair} == {
                    (ai_position[number] if number == 1 else 3 - ai_position[number], 2)
                }
                for _t, response in pair:  # each clip heard in full in the real player, and rated
                    assert response.plays >= 1 and response.listened_s >= 3.0 - 0.5
                    assert (response.valence, response.arousal, response.moved, response.liking) == (5, 5, 5, 5)
                    assert response.guess is None and response.confidence is None
    finally:
        context.close()
        server.stop()

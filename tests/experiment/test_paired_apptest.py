"""The paired (2AFC) page in AppTest (real MP3 clips): locked until both clips are heard, stored once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import db
from core.models import Response, Trial, utcnow
from core.vocabulary import Source
from experiment import repository
from experiment.ui.player import player_key
from tests.experiment.playable_clips import add_playable_clips
from tests.experiment.test_participate_apptest import (
    SHORT_STUDY,
    answer_questionnaire,
    consent,
    listened,
    open_page,
    pass_audio_check,
    progress,
    texts,
)

PAIRED = SHORT_STUDY.with_changes(trial_format="paired", n_trials=4)


def current_pair(token: str) -> list[Trial]:
    """The two trials of the first unanswered pair (the practice pair first), shown 4 s ago (AppTest does not wait)."""
    with db.session_scope() as session:
        participant = repository.participant_by_token(session, token)
        answered = repository.answered_indices(session, participant)
        stored = repository.trials_of(session, participant)
        first = next(t for t in stored if t.trial_index not in answered and t.pair_trial is not None)
        pair = [t for t in stored if t.pair_trial == first.pair_trial]
        for trial in pair:
            trial.first_shown_at = utcnow() - timedelta(seconds=4)
        session.flush()
        session.expunge_all()
        return pair


def test_the_paired_page_unlocks_per_clip_and_stores_both_clips_and_the_choice_once(sqlite_data_env):
    add_playable_clips(3, 3.0)  # 2 + 2 main clips and a practice pair of the spare human and AI clip
    with db.session_scope() as session:
        repository.save_settings(session, PAIRED)
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    instructions = texts(at)
    assert "You will hear **2 pairs of short music clips**, after one practice pair." in instructions
    assert "Say which of the two you think was made by AI" in instructions
    at.button(key="instructions_done").click().run()

    for number in (0, 1, 2):  # the practice pair asks what every pair asks
        pair = current_pair(token)
        at.run()
        if number == 0:
            assert not progress(at) and "Practice pair" in texts(at)
        else:
            assert progress(at) == [f"Pair {number} of 2"]
        page = texts(at)
        assert "First clip" in page and "Second clip" in page and "Which one was made by AI?" in page
        assert len(at.segmented_control) == 8  # four scales for each clip
        submit = next(b for b in at.button if b.label == "Save and continue")
        assert submit.disabled and all(s.disabled for s in at.segmented_control)
        listened(at, player_key(pair[0].audio_nonce))
        at.run()
        assert [s.disabled for s in at.segmented_control] == [False] * 4 + [True] * 4  # only the first clip heard
        assert next(b for b in at.button if b.label == "Save and continue").disabled
        listened(at, player_key(pair[1].audio_nonce))
        at.run()
        for scale in at.segmented_control:
            scale.set_value(4)
        at.radio(key=f"pair_{number}_choice").set_value(1)
        at.radio(key=f"pair_{number}_confidence").set_value(3)
        next(b for b in at.button if b.label == "Save and continue").click().run()
        assert not at.exception

    assert "A few last questions" in texts(at)
    answer_questionnaire(at)
    assert "Thank you!" in texts(at) and at.metric[0].value.endswith("of 2 pairs")  # scored in pairs
    assert "Which clip of each pair was made by AI?" in texts(at)
    with db.session_scope() as session:
        rows = session.execute(
            select(Trial, Response).join(Response, Response.trial_id == Trial.id).order_by(Trial.trial_index)
        ).all()
        assert [t.trial_index for t, _r in rows] == [0, 1, 2, 3, 4, 5]
        assert [(t.pair_trial, t.pair_position) for t, _r in rows] == [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]
        assert all((r.pair_choice, r.pair_confidence, r.valence) == (1, 3, 4) for _t, r in rows)
        assert all(r.confidence is None and r.guess is None for _t, r in rows)
        for number in (0, 1, 2):
            assert {t.clip.source for t, _r in rows if t.pair_trial == number} == {Source.HUMAN, Source.AI}


def _everything(at) -> str:
    """Every element the last run sent (its protobuf as text: labels, options, values, widget ids), lower case.

    A component's JavaScript and CSS are left out: the same source on every page (the player's
    comments speak of "a random token"), not what the page says.
    """
    parts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            if {"js_content", "css_content"} <= set(proto.DESCRIPTOR.fields_by_name):
                proto = type(proto).FromString(proto.SerializeToString())
                proto.ClearField("js_content")
                proto.ClearField("css_content")
            parts.append(str(proto))
        children = getattr(node, "children", {})
        stack.extend(children.values() if isinstance(children, dict) else children)
    return "\n".join(parts).lower()


def test_similar_and_random_pairs_look_the_same_and_nothing_on_the_page_names_the_pairing(sqlite_data_env):
    """Blinding (issue 26): the pairing type and the pair's distance never reach the participant's page."""
    add_playable_clips(5, 3.0)  # 4 + 4 main clips and a practice pair
    with db.session_scope() as session:
        repository.save_settings(session, PAIRED.with_changes(n_trials=8, pairing_design="within", ask_comment=False))
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    at.button(key="instructions_done").click().run()
    pages: dict[str, set[str]] = {"similar": set(), "random": set()}
    for number in range(5):  # the practice pair, then 2 similar and 2 random pairs in random order
        pair = current_pair(token)
        for trial in pair:
            listened(at, player_key(trial.audio_nonce))
        at.run()
        seen = _everything(at)
        assert "which one was made by ai?" in seen and f"pair_{number}_choice" in seen  # the walk sees the page
        for word in ("similar", "random", "pairing", "distance", "ähnlich", "zufällig", "abstand"):
            assert word not in seen, f"{word!r} reached the page of pair {number}"
        if pair[0].pairing is not None:
            shown = texts(at).replace(f"Pair {number} of 4", "POSITION")
            pages[pair[0].pairing].add(shown + "|" + "|".join(str(r.options) for r in at.radio))
        for scale in at.segmented_control:
            scale.set_value(4)
        at.radio(key=f"pair_{number}_choice").set_value(1)
        at.radio(key=f"pair_{number}_confidence").set_value(3)
        next(b for b in at.button if b.label == "Save and continue").click().run()
        assert not at.exception
    assert pages["similar"] and pages["random"]
    assert len(pages["similar"] | pages["random"]) == 1  # word for word the same page for either type


def test_a_refreshed_pair_shows_both_clips_ratings_and_the_choice_given_so_far(sqlite_data_env):
    add_playable_clips(3, 3.0)
    with db.session_scope() as session:
        repository.save_settings(session, PAIRED)
    at = open_page()
    token = consent(at)
    answer_questionnaire(at)
    pass_audio_check(at)
    at.button(key="instructions_done").click().run()
    pair = current_pair(token)  # the practice pair
    at.run()
    listened(at, player_key(pair[0].audio_nonce))
    at.run()
    at.segmented_control[0].set_value(3)  # the first clip's first scale; the second clip is not heard yet
    at.run()

    refreshed = open_page({"resume": token})
    assert [s.value for s in refreshed.segmented_control] == [3] + [None] * 7
    # Only what the server accepted opens: the first clip, not yet the second or the pair question.
    assert [s.disabled for s in refreshed.segmented_control] == [False] * 4 + [True] * 4
    assert next(b for b in refreshed.button if b.label == "Save and continue").disabled
    listened(refreshed, player_key(pair[1].audio_nonce))
    refreshed.run()
    for scale in refreshed.segmented_control[1:]:
        scale.set_value(4)
    refreshed.radio(key="pair_0_choice").set_value(2)
    refreshed.run()

    again = open_page({"resume": token})  # a second refresh: everything given is still there
    assert [s.value for s in again.segmented_control] == [3] + [4] * 7
    assert again.radio(key="pair_0_choice").value == 2 and again.radio(key="pair_0_confidence").value is None
    again.radio(key="pair_0_confidence").set_value(2)
    next(b for b in again.button if b.label == "Save and continue").click().run()
    assert not again.exception and progress(again) == ["Pair 1 of 2"]
    with db.session_scope() as session:
        rows = session.scalars(select(Response).order_by(Response.trial_index)).all()
        assert [(r.valence, r.pair_choice, r.pair_confidence) for r in rows] == [(3, 2, 2), (4, 2, 2)]
        assert all(r.listened_s == 3.0 for r in rows)

"""Answers on both database backends: the rules an answer must meet, the quality flags it updates,
exposure and percentile bookkeeping, and that every answer is recorded exactly once.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from core import db
from core.i18n import using_language
from core.models import Response
from experiment import repository
from experiment.debrief import Debrief, debrief
from experiment.entry import (
    load_participant,
    start_preview,
)
from experiment.questionnaire import save_questionnaire
from experiment.trials import (
    LISTEN_TOLERANCE_S,
    acknowledge_instructions,
    current_trial,
    submit_answer,
)
from experiment.ui.debrief_page import comparison_sentence
from tests.experiment.drive import (
    DURATION_S,
    QUESTIONNAIRE,
    add_clips,
    answer_current,
    complete_participant,
    configure,
    consent,
    finish_practice_and_trials,
    good_answer,
    reach_trials,
    save_questionnaires_at_once,
    shown_seconds_ago,
    step,
)


def test_answers_that_break_the_rules_are_rejected_and_nothing_is_stored(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", listening_requirement=0.5, ask_comment=True)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        assert view.required_listen_s == pytest.approx(DURATION_S * 0.5 - LISTEN_TOLERANCE_S)
        good = good_answer(view)
        bad = [
            dataclasses.replace(good, listened_s=view.required_listen_s - 1),
            dataclasses.replace(good, confidence=7),
            dataclasses.replace(good, confidence=None),
            dataclasses.replace(good, valence=10),
            dataclasses.replace(good, arousal=None),
            dataclasses.replace(good, liking=True),
            dataclasses.replace(good, plays=-1),
            dataclasses.replace(good, listened_s=float("nan")),
            dataclasses.replace(good, comment="x" * 2001),
        ]
        for answer in bad:
            result = submit_answer(s, participant, view.trial_index, answer)
            assert result.status == "rejected" and result.message, answer
        listen = submit_answer(s, participant, view.trial_index, bad[0])
        assert "listen" in listen.message.lower()
        later = submit_answer(s, participant, view.trial_index + 1, good)
        assert later.status == "rejected"
        assert submit_answer(s, participant, 999, good).status == "rejected"
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert len(repository.responses_of(s, participant)) == 1  # only the practice answer
        shown_seconds_ago(s, participant, view.trial_index, DURATION_S * 0.5)
        result = submit_answer(
            s, participant, view.trial_index, dataclasses.replace(good, comment="  lovely strings  ")
        )
        assert result.status == "recorded"
        assert repository.responses_of(s, participant)[view.trial_index].comment == "lovely strings"


def test_quality_flags_attention_repeat_and_speed(data_env):
    add_clips(8, 8)
    configure(n_trials=6, screening="off", min_answer_seconds=600.0)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trials = repository.trials_of(s, participant)
        repeat_clip = next(t.clip_id for t in trials if t.kind == "repeat")
        original_index = next(t.trial_index for t in trials if t.kind == "main" and t.clip_id == repeat_clip)
    while step(token) == "trials":
        with db.session_scope() as s:
            view = current_trial(s, load_participant(s, token))
        # The original says "sure human", its repeat "sure AI": a flip with a 5-point difference.
        answer_current(token, follow_attention=False, confidence=1 if view.trial_index == original_index else 6)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        flags = participant.flags
        assert flags["attention_failed"] is True  # the instruction always asks for a scale end, not 5
        assert flags["repeat_inconsistent"] is True and flags["repeat_confidence_diff"] == 5
        assert flags["too_fast"] is True and flags["too_fast_trials"] == 7  # 6 main + repeat
        attention = next(r for r in repository.responses_of(s, participant).values() if r.extra["kind"] == "attention")
        assert attention.attention_answer.startswith("confidence=6")


def test_attention_followed_is_not_flagged(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = complete_participant()
    with db.session_scope() as s:
        flags = load_participant(s, token).flags
        assert flags["attention_failed"] is False and "too_fast" not in flags


def test_exposure_spreads_over_sequential_participants_and_ignores_previews(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, attention_check=False, repeat_check=False)
    for _ in range(9):
        consent_token = consent()
        with db.session_scope() as s:
            save_questionnaire(s, load_participant(s, consent_token), QUESTIONNAIRE)
            acknowledge_instructions(s, load_participant(s, consent_token))
    with db.session_scope() as s:
        counts = repository.exposure_counts(s)
        assert sorted(counts.values()) == [3] * 12  # 9 x 4 over 12 clips
        preview = start_preview(s)
        save_questionnaire(s, preview, QUESTIONNAIRE)
        acknowledge_instructions(s, preview)
        assert repository.trials_of(s, preview)
        assert repository.exposure_counts(s) == counts


def test_percentile_compares_with_completed_real_participants_only(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    complete_participant(guess_right=False)  # 0 of 4
    complete_participant(guess_right=True)  # 4 of 4
    reach_trials()  # unfinished: not compared
    with db.session_scope() as s:
        preview = start_preview(s)
        preview_token = preview.resume_token
    with db.session_scope() as s:
        p = load_participant(s, preview_token)
        save_questionnaire(s, p, QUESTIONNAIRE)
        acknowledge_instructions(s, p)
    finish_practice_and_trials(preview_token)
    third = complete_participant(guess_right=True)
    with db.session_scope() as s:
        info = debrief(s, load_participant(s, third))
        assert info.n_compared == 2 and info.percentile == pytest.approx(75.0)  # above one, tied with one
        assert (info.n_lower, info.n_tied) == (1, 1)
        assert comparison_sentence(info) == (
            "Of the 2 people who took part before you, 1 scored lower than you, 1 the same and 0 higher."
        )
        preview_info = debrief(s, load_participant(s, preview_token))
        assert preview_info.completion_code == "PREVIEW" and preview_info.completion_url == ""
        assert preview_info.n_compared == 3  # the preview sees how it would compare; it is never compared


@pytest.mark.parametrize(
    ("others", "lower", "tied", "english", "german"),
    [
        (1, 0, 1, "You scored the same as the one person who took part before you.", "genauso abgeschnitten wie die"),
        (1, 1, 0, "You scored higher than the one person who took part before you.", "besser abgeschnitten als die"),
        (
            1,
            0,
            0,
            "The one person who took part before you scored higher than you.",
            "hat besser abgeschnitten als Sie",
        ),
        (3, 0, 3, "You scored the same as all 3 people who took part before you.", "wie alle 3 Personen"),
    ],
)
def test_the_comparison_reads_right_for_a_tie_and_for_one_person(others, lower, tied, english, german):
    """A tie with one person read "You did better than 50 % of the 1 person" (issue 24)."""
    info = Debrief(
        items=(),
        n_correct=2,
        n_main=4,
        accuracy=0.5,
        dprime=0.0,
        percentile=50.0,
        n_compared=others,
        n_lower=lower,
        n_tied=tied,
        text="",
        completion_code="",
        completion_url="",
    )
    assert comparison_sentence(info) == english
    with using_language("de"):
        assert german in comparison_sentence(info)


def _submit_from_threads(token: str, n_threads: int) -> Counter:
    """Submit the current trial from ``n_threads`` threads at once (each with its own session)."""
    import threading

    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, view.duration_s)
    barrier = threading.Barrier(n_threads)
    statuses: list[str] = []
    errors: list[BaseException] = []

    def submit(confidence: int) -> None:
        try:
            with db.session_scope() as s:
                participant = load_participant(s, token)
                barrier.wait()
                result = submit_answer(s, participant, view.trial_index, good_answer(view, confidence))
                statuses.append(result.status)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(1 + i % 6,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return Counter(statuses)


def test_simultaneous_submits_of_one_trial_store_exactly_one_answer(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    for _ in range(3):
        assert _submit_from_threads(token, 4) == Counter({"recorded": 1, "duplicate": 3})
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert sorted(repository.responses_of(s, participant)) == [0, 1, 2]


def test_a_lost_insert_race_reports_duplicate_and_leaves_the_session_usable(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False)
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trial = repository.trial_at(s, participant, 0)
        first = Response(
            trial_id=trial.id,
            participant_id=participant.id,
            trial_index=0,
            study_version_id=participant.study_version_id,
            guess="ai",
            confidence=5,
        )
        assert repository.insert_response(s, first)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trial = repository.trial_at(s, participant, 0)
        second = Response(
            trial_id=trial.id,
            participant_id=participant.id,
            trial_index=0,
            study_version_id=participant.study_version_id,
            guess="human",
            confidence=1,
        )
        assert not repository.insert_response(s, second)
        assert [r.confidence for r in repository.responses_of(s, participant).values()] == [5]


def test_exposure_stays_within_one_when_participants_are_assigned_at_the_same_moment(data_env):
    """A Prolific launch: many participants reach their trial list together (8 page runs at once).

    With the audio check off, the trial list is assigned when the questionnaire is saved.
    """
    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, attention_check=False, repeat_check=False)
    tokens = [consent() for _ in range(24)]
    save_questionnaires_at_once(tokens)
    with db.session_scope() as s:
        counts = repository.exposure_counts(s)
    assert sum(counts.values()) == 24 * 4
    assert max(counts.values()) - min(counts.values()) <= 1, counts


_FINISH_QUESTIONNAIRE = """
import json, sys
from core import db
from experiment.entry import load_participant
from experiment.questionnaire import save_questionnaire

with db.session_scope() as s:
    participant = load_participant(s, sys.argv[1])
    print("saving", flush=True)  # tell the test: from here on this process needs the lock
    save_questionnaire(s, participant, json.loads(sys.argv[2]))
"""


def _read_line(stream, what: str, timeout_s: float = 240.0) -> str:
    """The next line from a child's pipe, waiting for it (a closed pipe or the time limit fails)."""
    import select

    ready, _, _ = select.select([stream], [], [], timeout_s)
    assert ready, f"still waiting after {timeout_s:.0f} s for: {what}"
    return stream.readline()


def test_an_assignment_in_another_process_waits_for_the_one_in_progress(data_env):
    """Balancing reads exposure then adds to it, so assignments anywhere must take turns.

    This test assigns two participants while holding the assignment lock, as a replica in the middle
    of assigning would, and lets a second process start its own assignment meanwhile. Waiting, that
    process must see both assignments once they commit: its four clips are then exactly the four nobody
    has heard (computed from stale counts they would overlap the others' clips). On PostgreSQL the test
    also sees the other process queue for the advisory lock; on SQLite it waits at its first write,
    since SQLite has one writer at a time.
    """
    import json
    import subprocess
    import sys

    from sqlalchemy import text

    from tests.waiting import wait_until

    add_clips(6, 6)
    configure(n_trials=4, screening="off", practice_trial=False, attention_check=False, repeat_check=False)
    earlier, token = [consent(), consent()], consent()
    with db.session_scope() as holder:
        db.hold_lock(holder, "assign-trials")
        for other_token in earlier:  # assigned under the lock, committed when it is released
            save_questionnaire(holder, load_participant(holder, other_token), QUESTIONNAIRE)
        other = subprocess.Popen(
            [sys.executable, "-c", _FINISH_QUESTIONNAIRE, token, json.dumps(QUESTIONNAIRE)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = _read_line(other.stdout, "the other process starts saving")
        assert line == "saving\n", other.communicate()[1][-3000:]
        if holder.get_bind().dialect.name == "postgresql":
            with db.get_engine().connect() as watcher:
                queued = (  # advisory locks are server-wide: count this database's only (xdist workers)
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
                wait_until(lambda: watcher.execute(text(queued)).scalar(), "the other process queues for the lock")
        assert other.poll() is None, other.communicate()[1]
    _, stderr = other.communicate(timeout=240)  # released: it goes ahead
    assert other.returncode == 0, stderr
    with db.session_scope() as s:
        assert len(repository.trials_of(s, load_participant(s, token))) == 4
        counts = repository.exposure_counts(s)
    assert sorted(counts.values()) == [1] * 12, counts  # every clip heard once: the late one saw both

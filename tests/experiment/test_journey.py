"""The participant journey through the real service on both database backends.

Each call opens its own session, as a Streamlit rerun would.
"""

from __future__ import annotations

import dataclasses
import io
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select

from core import config, db
from core.models import Clip, ConsentDecline, Participant, Response, StudyVersion, Trial
from experiment import quality, repository, screening
from experiment.audio_check import ScreeningOutcome, calibration_wav, save_screening, screening_trials
from experiment.debrief import debrief
from experiment.entry import (
    Entry,
    arrive,
    begin,
    decline,
    load_participant,
    parse_entry,
    participant_link,
    prolific_study_url,
    start_preview,
)
from core.vocabulary import Step
from experiment.journey import current_step
from experiment.progress import RESUME_PARAM, JourneyError, settings_for
from experiment.questionnaire import save_questionnaire
from experiment.settings import StudySettings
from experiment.trials import (
    LISTEN_TOLERANCE_S,
    Answer,
    SubmitResult,
    TrialView,
    acknowledge_instructions,
    audio_for,
    current_trial,
    mark_shown,
    submit_answer,
)

DURATION_S = 20.0
QUESTIONNAIRE = {
    "age_band": "25-34",
    "musician_self_rating": 4,
    "instrument_practice_years": "4-5",
    "instrument_training_years": "2",
    "ai_music_heard": "Some",
    "ai_music_attitude": 3,
}


def add_clips(n_human: int, n_ai: int, paired: bool = False) -> None:
    """Catalogue rows plus real (tiny) MP3 files under the data folder's clips directory."""
    clips_dir = config.ensure_dirs().clips
    with db.session_scope() as s:
        start = s.scalar(select(func.count()).select_from(Clip))
        for i in range(n_human + n_ai):
            number = start + i
            source = "human" if i < n_human else "ai"
            tone = np.sin(2 * np.pi * (220 + 7 * number) * np.arange(4410) / 44100)
            buffer = io.BytesIO()
            sf.write(buffer, np.stack([tone, tone], axis=1), 44100, format="MP3")
            digest = f"{number:064x}"
            (clips_dir / f"{digest}.mp3").write_bytes(buffer.getvalue())
            s.add(Clip(
                served_sha256=digest, served_name=f"{digest}.mp3", original_sha256=f"{number + 10**6:064x}",
                original_name=f"{number}.wav", duration_s=DURATION_S, sample_rate=44100, channels=2,
                codec="mp3-vbr", source=source, title=f"Title {number}", creator=f"Composer {number}",
                ai_system="Suno" if source == "ai" else None, ai_version="v4" if source == "ai" else None,
                pair_id=f"pair{i % max(n_human, 1)}" if paired else None,
            ))


def configure(**changes) -> int:
    """Save the default settings with ``changes`` (fast defaults for tests) and return the version id."""
    base = dict(min_answer_seconds=0.0, screening="optional")
    base.update(changes)
    with db.session_scope() as s:
        return repository.save_settings(s, StudySettings().with_changes(**base))


def prolific(pid: str, study: str = "STUDY1", session_id: str = "SESS1") -> Entry:
    return parse_entry({"PROLIFIC_PID": pid, "STUDY_ID": study, "SESSION_ID": session_id})


def consent(entry: Entry = Entry()) -> str:
    with db.session_scope() as s:
        assert arrive(s, entry).status in ("consent", "resume")
        return begin(s, entry).resume_token


def step(token: str) -> str:
    with db.session_scope() as s:
        return current_step(load_participant(s, token))


def pass_screening(token: str, correct: bool = True) -> ScreeningOutcome:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        n = settings_for(s, participant).screening_trials
        targets = screening.screening_targets(participant.seed, n)
        answers = targets if correct else [t % 3 + 1 for t in targets]
        return save_screening(s, participant, answers)


def good_answer(view: TrialView, confidence: int = 2, rating: int = 5) -> Answer:
    return Answer(
        confidence=confidence, valence=rating, arousal=rating, moved=rating, liking=rating, familiar=False,
        plays=1, listened_s=view.duration_s, time_to_first_play_ms=800, client_time_to_answer_ms=25_000,
    )


def answer_current(token: str, *, guess_right: bool | None = None, follow_attention: bool = True,
                   confidence: int = 2) -> SubmitResult:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        mark_shown(s, participant, view.trial_index)
        answer = good_answer(view, confidence=confidence)
        if guess_right is not None:
            truth = repository.trial_at(s, participant, view.trial_index).clip.source
            wanted = truth if guess_right else ("human" if truth == "ai" else "ai")
            answer = dataclasses.replace(answer, confidence=1 if wanted == "human" else 6)
        if view.kind == "attention" and follow_attention:
            target = quality.attention_target(participant.seed, view.scales, view.scale_points)
            answer = dataclasses.replace(answer, confidence=target.confidence, **{target.scale: target.value})
        return submit_answer(s, participant, view.trial_index, answer)


def reach_trials(entry: Entry = Entry()) -> str:
    token = consent(entry)
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    if step(token) == "audio_check":
        pass_screening(token)
    with db.session_scope() as s:
        acknowledge_instructions(s, load_participant(s, token))
    if step(token) == "practice":
        assert answer_current(token).status == "recorded"
    assert step(token) == "trials"
    return token


def finish(token: str, **kwargs) -> None:
    while step(token) == "trials":
        assert answer_current(token, **kwargs).status == "recorded"


def complete_participant(entry: Entry = Entry(), **kwargs) -> str:
    token = reach_trials(entry)
    finish(token, **kwargs)
    return token


# ----------------------------------------------------------------------------------------------


def test_a_full_prolific_participant(data_env):
    add_clips(10, 10)
    version = configure(n_trials=8, prolific_enabled=True, completion_code="C0DE1234")
    entry = prolific("pid_A-1")
    with db.session_scope() as s:
        arrival = arrive(s, entry)
        assert arrival.status == "consent" and arrival.settings.prolific_enabled
    token = consent(entry)
    assert len(token) >= 32 and "pid_A-1" not in token
    assert step(token) == "questionnaire"

    with db.session_scope() as s, pytest.raises(JourneyError, match="How old are you"):
        save_questionnaire(s, load_participant(s, token), {**QUESTIONNAIRE, "age_band": "12"})
    assert step(token) == "questionnaire"
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    assert step(token) == "audio_check"
    with db.session_scope() as s:
        views = screening_trials(s, load_participant(s, token))
        assert len(views) == 6 and all(v.wav[:4] == b"RIFF" for v in views)
        assert calibration_wav()[:4] == b"RIFF"
    outcome = pass_screening(token)
    assert outcome.passed and outcome.may_continue and outcome.n_correct == 6
    assert step(token) == "instructions"
    with db.session_scope() as s:
        acknowledge_instructions(s, load_participant(s, token))
    assert step(token) == "practice"

    with db.session_scope() as s:
        practice = current_trial(s, load_participant(s, token))
        assert (practice.kind, practice.position, practice.n_total) == ("practice", 0, 10)  # 8 + repeat + attention
    assert answer_current(token).status == "recorded"
    assert step(token) == "trials"

    seen_positions, kinds = [], Counter()
    while step(token) == "trials":
        with db.session_scope() as s:
            participant = load_participant(s, token)
            view = current_trial(s, participant)
            seen_positions.append(view.position)
            kinds[view.kind] += 1
            assert participant.completion_code is None
            with pytest.raises(JourneyError):
                debrief(s, participant)
        result = answer_current(token, guess_right=True)
        assert result.status == "recorded"
        # The same submit again (double click, second tab) changes nothing.
        with db.session_scope() as s:
            participant = load_participant(s, token)
            again = submit_answer(s, participant, view.trial_index, good_answer(view, confidence=6))
            assert again.status == "duplicate" and "already recorded" in again.message
    assert seen_positions == list(range(1, 11))
    assert kinds == Counter({"main": 9, "attention": 1})  # the repeat is presented as "main"

    with db.session_scope() as s:
        participant = load_participant(s, token)
        info = debrief(s, participant)
        assert participant.completed_at is not None and participant.study_version_id == version
        assert (info.n_main, info.n_correct, info.accuracy) == (8, 8, 1.0)
        assert info.dprime > 2
        assert info.completion_code == "C0DE1234"
        assert info.completion_url == "https://app.prolific.com/submissions/complete?cc=C0DE1234"
        assert {item.truth for item in info.items} == {"human", "ai"}
        assert all(item.creator == "Suno v4" for item in info.items if item.truth == "ai")
        assert info.percentile is None and info.n_compared == 0
        assert not participant.flags.get("attention_failed") and not participant.flags.get("too_fast")
        assert participant.flags["repeat_inconsistent"] is False
        stored = s.scalars(select(Response).where(Response.participant_id == participant.id)).all()
        assert len(stored) == 11 and {r.study_version_id for r in stored} == {version}
        assert all(r.time_to_answer_ms is not None and r.extra["client_time_to_answer_ms"] == 25_000 for r in stored)
        assert {r.guess for r in stored} == {"human", "ai"}

    # Completing twice with the same Prolific id is refused; the record is unchanged.
    with db.session_scope() as s:
        assert arrive(s, entry).status == "already_completed"
        with pytest.raises(JourneyError, match="already completed"):
            begin(s, prolific("pid_A-1", session_id="OTHER"))
        assert s.scalar(select(func.count()).select_from(Participant)) == 1


def test_nothing_in_a_trial_view_identifies_the_clip(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        secrets_of_clips = set()
        for trial in repository.trials_of(s, participant):
            clip = trial.clip
            secrets_of_clips |= {str(clip.id), clip.served_sha256, clip.served_name, clip.title, clip.creator}
        view = current_trial(s, participant)
        text = repr(dataclasses.asdict(view))
        assert "human" not in text.lower() and "'ai'" not in text.lower() and "repeat" not in text
        assert not any(secret in text for secret in secrets_of_clips if len(secret) > 3)
        assert view.audio_nonce not in {t.clip.served_sha256 for t in repository.trials_of(s, participant)}


def test_audio_is_served_only_for_the_participants_own_nonces(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    first, second = reach_trials(), reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, first)
        view = current_trial(s, participant)
        trial = repository.trial_at(s, participant, view.trial_index)
        data = audio_for(s, participant, view.audio_nonce)
        assert data == (config.paths().clips / trial.clip.served_name).read_bytes()
        assert view.audio_mime == "audio/mpeg"
        other = current_trial(s, load_participant(s, second))
        with pytest.raises(JourneyError):
            audio_for(s, participant, other.audio_nonce)
        with pytest.raises(JourneyError):
            audio_for(s, participant, "made-up")


def test_resume_after_a_server_restart_returns_to_the_first_unanswered_trial(data_env):
    add_clips(8, 8)
    configure(n_trials=6)
    token = reach_trials()
    for _ in range(3):
        answer_current(token)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        before = [(t.trial_index, t.clip_id, t.kind, t.audio_nonce) for t in repository.trials_of(s, participant)]
        expected_index = current_trial(s, participant).trial_index
    db.dispose_engines()  # the server restarts: every pooled connection is gone

    entry = parse_entry({RESUME_PARAM: token})
    with db.session_scope() as s:
        arrival = arrive(s, entry)
        assert arrival.status == "resume"
        participant = arrival.participant
        after = [(t.trial_index, t.clip_id, t.kind, t.audio_nonce) for t in repository.trials_of(s, participant)]
        assert after == before
        view = current_trial(s, participant)
        assert view.trial_index == expected_index == 4  # practice + three answered
    finish(token)
    assert step(token) == "debrief"


def test_an_unfinished_prolific_participant_resumes_instead_of_starting_again(data_env):
    add_clips(6, 6)
    configure(n_trials=4)
    entry = prolific("P2")
    first = consent(entry)
    with db.session_scope() as s:
        arrival = arrive(s, prolific("P2", session_id="NEWTAB"))
        assert arrival.status == "resume" and arrival.participant.resume_token == first
        assert begin(s, entry).resume_token == first
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
    # The same person in another Prolific study is a different participant.
    assert consent(prolific("P2", study="STUDY2")) != first


@pytest.mark.parametrize("params", [
    {"PROLIFIC_PID": "{{%PROLIFIC_PID%}}", "STUDY_ID": "S", "SESSION_ID": "X"},
    {"PROLIFIC_PID": "has space"},
    {"PROLIFIC_PID": "x" * 65},
    {"PROLIFIC_PID": ""},
    {"PROLIFIC_PID": "ok", "STUDY_ID": "semi;colon"},
    {"STUDY_ID": "S1"},
    {RESUME_PARAM: "short"},
    {RESUME_PARAM: "'; DROP TABLE participants; --"},
])
def test_malformed_url_parameters_get_a_message_and_store_nothing(data_env, params):
    add_clips(4, 4)
    with pytest.raises(JourneyError) as caught:
        parse_entry(params)
    assert len(str(caught.value)) > 20
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Participant)) == 0


def test_parse_entry_accepts_lists_and_valid_ids():
    entry = parse_entry({"PROLIFIC_PID": ["5f1a_B-c"], "STUDY_ID": "s" * 64, "SESSION_ID": "x"})
    assert entry == Entry("5f1a_B-c", "s" * 64, "x", None)
    assert parse_entry({}) == Entry()


def test_unknown_or_malformed_tokens_are_refused(data_env):
    add_clips(4, 4)
    with db.session_scope() as s:
        for token in ("A" * 32, "bad token", ""):
            with pytest.raises(JourneyError, match="link"):
                load_participant(s, token)
        with pytest.raises(JourneyError):
            arrive(s, Entry(resume_token="B" * 32))


def test_declining_consent_stores_only_a_count(data_env):
    add_clips(4, 4)
    version = configure(n_trials=4)
    with db.session_scope() as s:
        decline(s)
    with db.session_scope() as s:
        decline(s)
    with db.session_scope() as s:
        assert repository.decline_count(s, version) == 2
        assert s.scalar(select(func.count()).select_from(Participant)) == 0
        assert s.get(ConsentDecline, version).count == 2


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
        result = submit_answer(s, participant, view.trial_index,
                               dataclasses.replace(good, comment="  lovely strings  "))
        assert result.status == "recorded"
        assert repository.responses_of(s, participant)[view.trial_index].comment == "lovely strings"


def test_required_screening_failure_ends_politely_and_uses_no_clips(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="required", prolific_enabled=True, completion_code="ABC")
    token = consent(prolific("P9"))
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    outcome = pass_screening(token, correct=False)
    assert not outcome.passed and not outcome.may_continue and "Prolific" in outcome.message
    assert step(token) == Step.SCREENED_OUT
    with db.session_scope() as s:
        participant = load_participant(s, token)
        assert participant.screening_passed is False and participant.screening["n_correct"] == 0
        assert participant.flags["screening_failed"] is True
        assert repository.trials_of(s, participant) == []
        assert current_trial(s, participant) is None
        # Re-sending the answers (refresh) reports the same outcome and changes nothing.
        assert save_screening(s, participant, [1] * 6) == outcome


def test_optional_screening_failure_is_flagged_but_continues(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="optional")
    token = consent()
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
        with pytest.raises(JourneyError):
            save_screening(s, load_participant(s, token), [1, 2])
    outcome = pass_screening(token, correct=False)
    assert not outcome.passed and outcome.may_continue
    assert step(token) == "instructions"


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
        preview_info = debrief(s, load_participant(s, preview_token))
        assert preview_info.completion_code == "PREVIEW" and preview_info.completion_url == ""
        assert preview_info.n_compared == 3  # the preview sees how it would compare; it is never compared


def finish_practice_and_trials(token: str) -> None:
    while step(token) in ("practice", "trials"):
        assert answer_current(token, guess_right=False).status == "recorded"


def test_closed_study_refuses_newcomers_but_lets_participants_finish(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    configure(n_trials=4, screening="off", is_open=False)
    with db.session_scope() as s:
        arrival = arrive(s, Entry())
        assert arrival.status == "closed" and "closed" in arrival.message
        with pytest.raises(JourneyError, match="closed"):
            begin(s, Entry())
        assert start_preview(s).is_preview  # staff can still preview
    finish(token)
    assert step(token) == "debrief"


def test_prolific_only_study_asks_for_prolific_parameters(data_env):
    add_clips(6, 6)
    configure(n_trials=4, prolific_enabled=True, completion_code="XYZ")
    with db.session_scope() as s:
        assert arrive(s, Entry()).status == "needs_prolific"
        with pytest.raises(JourneyError, match="Prolific"):
            begin(s, Entry())


def test_settings_are_versioned_and_checked_against_the_library(data_env):
    add_clips(5, 7)
    with db.session_scope() as s:
        first_id, first = repository.current_settings(s)
        assert first == StudySettings()
        assert repository.current_settings(s)[0] == first_id  # defaults stored once
        with pytest.raises(ValueError, match="needs 6 human clips per participant, but the library has only 5"):
            repository.save_settings(s, StudySettings(n_trials=12))
        with pytest.raises(ValueError, match="n_trials must be even"):
            repository.save_settings(s, StudySettings(n_trials=7))
        assert s.scalar(select(func.count()).select_from(StudyVersion)) == 1
        new_id = repository.save_settings(s, StudySettings(n_trials=10, title="Second"), note="shorter")
        assert new_id > first_id
        assert repository.current_settings(s) == (new_id, StudySettings(n_trials=10, title="Second"))
    with db.session_scope() as s:
        assert arrive(s, Entry()).status == "consent"


def test_a_too_small_library_keeps_newcomers_out_politely(data_env):
    add_clips(2, 2)
    with db.session_scope() as s:
        repository.save_settings(s, StudySettings(n_trials=4), check_library=True)
        s.execute(Clip.__table__.update().where(Clip.id == 1).values(retired_at=func.now()))
    with db.session_scope() as s:
        arrival = arrive(s, Entry())
        assert arrival.status == "closed" and "not ready" in arrival.message
        with pytest.raises(JourneyError, match="cannot run"):
            start_preview(s)


def test_consenting_in_two_tabs_makes_one_prolific_participant(data_env):
    add_clips(6, 6)
    configure(n_trials=4)
    entry = prolific("TWIN")
    with db.session_scope() as s1, db.session_scope() as s2:
        a = begin(s1, entry)
        b = begin(s2, entry)
        assert a.resume_token == b.resume_token


def test_share_links():
    assert participant_link("https://lab.example.org/") == "https://lab.example.org/"
    assert prolific_study_url("https://lab.example.org/") == (
        "https://lab.example.org/?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}"
        "&SESSION_ID={{%SESSION_ID%}}"
    )
    assert prolific_study_url("https://lab.example.org/?lang=en").startswith(
        "https://lab.example.org/?lang=en&PROLIFIC_PID=")
    with pytest.raises(ValueError, match="http"):
        participant_link("lab.example.org")


def test_trial_rows_match_the_assignment(data_env):
    add_clips(6, 6)
    configure(n_trials=4, screening="off")
    token = reach_trials()
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trials = s.scalars(select(Trial).where(Trial.participant_id == participant.id)).all()
        kinds = Counter(t.kind for t in trials)
        assert kinds == Counter({"main": 4, "practice": 1, "repeat": 1, "attention": 1})
        assert len({t.audio_nonce for t in trials}) == len(trials)


def _submit_from_threads(token: str, n_threads: int) -> Counter:
    """Submit the current trial from ``n_threads`` threads at once (each with its own session)."""
    import threading

    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        mark_shown(s, participant, view.trial_index)
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
        first = Response(trial_id=trial.id, participant_id=participant.id, trial_index=0,
                         study_version_id=participant.study_version_id, guess="ai", confidence=5)
        assert repository.insert_response(s, first)
    with db.session_scope() as s:
        participant = load_participant(s, token)
        trial = repository.trial_at(s, participant, 0)
        second = Response(trial_id=trial.id, participant_id=participant.id, trial_index=0,
                          study_version_id=participant.study_version_id, guess="human", confidence=1)
        assert not repository.insert_response(s, second)
        assert [r.confidence for r in repository.responses_of(s, participant).values()] == [5]

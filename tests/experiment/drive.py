"""Driving participants through the real journey services, one session per call as a Streamlit rerun would.

Shared by the service tests of ``tests/experiment``.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from datetime import timedelta
from typing import Any

import numpy as np
import soundfile as sf
from sqlalchemy import func, select

from core import config, db
from core.models import Clip, Participant, utcnow
from experiment import paired_trials, quality, repository, screening
from experiment.audio_check import (
    ScreeningOutcome,
    save_screening,
)
from experiment.entry import (
    Entry,
    arrive,
    begin,
    load_participant,
    parse_entry,
)
from experiment.journey import current_step
from experiment.progress import settings_for
from experiment.questionnaire import save_after_trials, save_questionnaire
from experiment.settings import StudySettings
from experiment.trials import (
    Answer,
    SubmitResult,
    TrialView,
    acknowledge_instructions,
    current_trial,
    mark_shown,
    submit_answer,
)

DURATION_S = 20.0
QUESTIONNAIRE = {
    "age_band": "25-34",
    "instrument_practice_years": "4-5",
    "practice_hours_peak": "1",
    "never_complimented": 5,
    "theory_training_years": "0.5",
    "instrument_training_years": "2",
    "instruments_played": "1",
    "musician_self_rating": 4,
    "ai_music_heard": "Some",
    "ai_music_attitude": 3,
    "believed_ai_present": "Yes, some of them",
}
"""Answers to every question a participant may be asked, before or after the clips (extra keys are dropped)."""


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
            s.add(
                Clip(
                    served_sha256=digest,
                    served_name=f"{digest}.mp3",
                    original_sha256=f"{number + 10**6:064x}",
                    original_name=f"{number}.wav",
                    duration_s=DURATION_S,
                    sample_rate=44100,
                    channels=2,
                    codec="mp3-vbr",
                    source=source,
                    title=f"Title {number}",
                    creator=f"Composer {number}",
                    ai_system="Suno" if source == "ai" else None,
                    ai_version="v4" if source == "ai" else None,
                    pair_id=f"pair{i % max(n_human, 1)}" if paired else None,
                )
            )


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
        confidence=confidence,
        valence=rating,
        arousal=rating,
        moved=rating,
        liking=rating,
        familiar=False,
        plays=1,
        listened_s=view.duration_s,
        time_to_first_play_ms=800,
        client_time_to_answer_ms=25_000,
    )


def shown_seconds_ago(s, participant: Participant, trial_index: int, seconds: float) -> None:
    """Show the trial (if not yet) and move its first showing ``seconds`` into the past.

    Stands in for the wall time a real listen takes, which the server checks (tests do not wait).
    """
    mark_shown(s, participant, trial_index)
    trial = repository.trial_at(s, participant, trial_index)
    trial.first_shown_at = utcnow() - timedelta(seconds=seconds)


def answer_current(
    token: str, *, guess_right: bool | None = None, follow_attention: bool = True, confidence: int = 2
) -> SubmitResult:
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = current_trial(s, participant)
        shown_seconds_ago(s, participant, view.trial_index, view.duration_s)
        answer = good_answer(view, confidence=confidence)
        if guess_right is not None:
            truth = repository.trial_at(s, participant, view.trial_index).clip.source
            wanted = truth if guess_right else ("human" if truth == "ai" else "ai")
            answer = dataclasses.replace(answer, confidence=1 if wanted == "human" else 6)
        if view.kind == "attention" and follow_attention:
            target = quality.attention_target(participant.seed, view.scales, view.scale_points)
            ratings: dict[str, Any] = {target.scale: target.value} if target.scale else {}
            answer = dataclasses.replace(answer, confidence=target.confidence, **ratings)
        if not view.ask_source:  # rate-only and labelled trials have no source question
            answer = dataclasses.replace(answer, confidence=None)
        return submit_answer(s, participant, view.trial_index, answer)


def answer_practice_pair(token: str) -> SubmitResult | None:
    """Answer a paired study's practice pair (both clips heard and rated, the first chosen); None if none."""
    with db.session_scope() as s:
        participant = load_participant(s, token)
        view = paired_trials.current_pair(s, participant)
        if view is None:
            return None
        for clip in view.clips:
            shown_seconds_ago(s, participant, clip.trial_index, clip.duration_s)
        answers = [
            Answer(confidence=None, valence=5, arousal=5, moved=5, liking=5, plays=1, listened_s=clip.duration_s)
            for clip in view.clips
        ]
        return paired_trials.submit_pair(s, participant, view.pair_trial, answers, 1, 2)


def reach_trials(entry: Entry = Entry()) -> str:
    token = consent(entry)
    with db.session_scope() as s:
        save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
    if step(token) == "audio_check":
        pass_screening(token)
    with db.session_scope() as s:
        acknowledge_instructions(s, load_participant(s, token))
    if step(token) == "practice":
        assert (answer_practice_pair(token) or answer_current(token)).status == "recorded"
    assert step(token) == "trials"
    return token


def finish(token: str, **kwargs) -> None:
    """Answer every remaining trial, then the questions after the clips (to the debrief)."""
    while step(token) == "trials":
        assert answer_current(token, **kwargs).status == "recorded"
    answer_after_trials(token)


def answer_after_trials(token: str) -> None:
    if step(token) == "after_trials":
        with db.session_scope() as s:
            save_after_trials(s, load_participant(s, token), QUESTIONNAIRE)


def complete_participant(entry: Entry = Entry(), **kwargs) -> str:
    token = reach_trials(entry)
    finish(token, **kwargs)
    return token


def finish_practice_and_trials(token: str) -> None:
    while step(token) in ("practice", "trials"):
        assert answer_current(token, guess_right=False).status == "recorded"
    answer_after_trials(token)


def save_questionnaires_at_once(tokens: list[str], n_threads: int = 8) -> None:
    """Save every participant's questionnaire from ``n_threads`` page runs started at the same moment.

    Each save is its own page run (``session_scope``); with the audio check off it is where the
    trial list (and the design condition) is assigned, so this is a Prolific launch in miniature.
    Raises AssertionError listing any exception a thread met.
    """
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def save_mine(mine: list[str]) -> None:
        try:
            barrier.wait()
            for token in mine:
                with db.session_scope() as s:
                    save_questionnaire(s, load_participant(s, token), QUESTIONNAIRE)
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=save_mine, args=(tokens[i::n_threads],)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

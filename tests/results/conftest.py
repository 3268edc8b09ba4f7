"""Builders that write study data straight into the database with ``core.models``.

Results tests need answered studies without driving the participant journey; these helpers
create exactly the rows the experiment package would (study version, clips with features,
participants, stored trials, responses).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from core import db
from core.models import Clip, ClipFeatures, Participant, Response, StudyVersion, Trial
from experiment.repository import default_study_id

_counter = itertools.count(1)
# Table column -> questionnaire key (experiment.questionnaire.QUESTIONNAIRE) and how to store it.
_QUESTIONNAIRE: dict[str, tuple[str, Callable[[Any], object]]] = {
    "age_band": ("age_band", str),
    "training_years": ("instrument_training_years", str),
    "ai_exposure": ("ai_music_heard", str),
    "ai_attitude": ("ai_music_attitude", int),
    "training_self_rating": ("musician_self_rating", lambda v: 8 - int(v)),
}
# Table column -> flag key (experiment.quality).
_FLAGS = {
    "flag_attention_failed": "attention_failed",
    "flag_inconsistent": "repeat_inconsistent",
    "flag_too_fast": "too_fast",
}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_study_version(session, **config) -> StudyVersion:
    version = StudyVersion(study_id=default_study_id(session), config=config)
    session.add(version)
    session.flush()
    return version


def add_clip(session, source: str, features: dict | None = None, **metadata) -> Clip:
    """A clip row (unique fake hashes) and, when ``features`` is given, its feature row."""
    n = next(_counter)
    clip = Clip(
        served_sha256=f"{n:064x}",
        served_name=f"{n:064x}.m4a",
        original_sha256=f"{n + 10**9:064x}",
        original_name=f"{n}.wav",
        duration_s=20.0,
        sample_rate=44100,
        channels=2,
        codec="aac",
        source=source,
        loudness_after_lufs=-16.0,
        true_peak_dbtp=-1.5,
        **metadata,
    )
    session.add(clip)
    session.flush()
    if features is not None:
        session.add(ClipFeatures(clip_id=clip.id, extractor_version="test", values=features))
    return clip


def add_participant(session, version: StudyVersion, completed: bool = True, **fields) -> Participant:
    created = fields.pop("created_at", START)
    participant = Participant(
        resume_token=f"token-{next(_counter)}",
        study_id=version.study_id,
        study_version_id=version.id,
        seed=1,
        created_at=created,
        consented_at=created,
        completed_at=created + timedelta(minutes=15) if completed else None,
        **fields,
    )
    session.add(participant)
    session.flush()
    return participant


def add_trial(
    session,
    participant: Participant,
    trial_index: int,
    clip: Clip,
    kind: str = "main",
    answered: bool = True,
    **response,
) -> Trial:
    """A stored trial and, when ``answered``, its response (guess derived from confidence)."""
    trial = Trial(
        participant_id=participant.id,
        trial_index=trial_index,
        clip_id=clip.id,
        kind=kind,
        audio_nonce=f"nonce-{next(_counter)}",
    )
    session.add(trial)
    session.flush()
    if answered:
        confidence = response.pop("confidence", 5)
        response.setdefault("guess", None if confidence is None else ("ai" if confidence >= 4 else "human"))
        response.setdefault("answered_at", participant.created_at + timedelta(seconds=30 * (trial_index + 1)))
        response.setdefault("plays", 1)
        response.setdefault("listened_s", 20.0)
        session.add(
            Response(
                trial_id=trial.id,
                participant_id=participant.id,
                trial_index=trial_index,
                study_version_id=participant.study_version_id,
                confidence=confidence,
                **response,
            )
        )
    return trial


def write_simulated_study(engine, trials: pd.DataFrame) -> None:
    """Store a simulated tidy trial table (``results.planning.simulate.simulate_study`` output) as real rows.

    Needs the columns ``participant_id``, ``clip_id``, ``source``, ``trial_index`` and
    ``confidence``; ratings, ``kind``, ``completed``, ``answered_at``, questionnaire, screening,
    ``flag_*`` and ``feat_*`` columns are used when present. Database ids are assigned afresh;
    the row order per participant is kept.
    """
    features = [c for c in trials.columns if c.startswith("feat_")]
    scales = [s for s in ("valence", "arousal", "moved", "liking", "familiar") if s in trials.columns]
    with db.session_scope(engine) as session:
        version = add_study_version(session)
        clips = {}
        for clip_id, rows in trials.groupby("clip_id", sort=True):
            first = rows.iloc[0]
            values = {c[len("feat_") :]: float(first[c]) for c in features if pd.notna(first[c])}
            clips[clip_id] = add_clip(
                session,
                str(first["source"]),
                features=values or None,
                title=f"Clip {clip_id}",
                genre=str(first.get("genre", "pop")),
            )
        for _participant_id, rows in trials.groupby("participant_id", sort=True):
            rows = rows.sort_values("trial_index")
            first = rows.iloc[0]
            completed = bool(first["completed"]) if "completed" in rows else True
            questionnaire = {
                key: convert(first[column])
                for column, (key, convert) in _QUESTIONNAIRE.items()
                if column in rows and pd.notna(first[column])
            }
            flags = {key: bool(first[column]) for column, key in _FLAGS.items() if column in rows}
            screening = first["screening_passed"] if "screening_passed" in rows else None
            started = (
                pd.Timestamp(rows["answered_at"].min()).floor("us").to_pydatetime() - timedelta(minutes=1)
                if "answered_at" in rows
                else START
            )
            participant = add_participant(
                session,
                version,
                completed=completed,
                questionnaire=questionnaire,
                flags=flags,
                screening_passed=None if pd.isna(screening) else bool(screening),
                created_at=started,
            )
            for _, row in rows.iterrows():
                response: dict[str, Any] = {
                    s: (None if pd.isna(row[s]) else (bool(row[s]) if s == "familiar" else int(row[s]))) for s in scales
                }
                if "answered_at" in row and pd.notna(row["answered_at"]):
                    response["answered_at"] = pd.Timestamp(row["answered_at"]).floor("us").to_pydatetime()
                add_trial(
                    session,
                    participant,
                    int(row["trial_index"]),
                    clips[row["clip_id"]],
                    kind=str(row.get("kind", "main")),
                    confidence=None if pd.isna(row["confidence"]) else int(row["confidence"]),
                    **response,
                )


@pytest.fixture
def engine(data_env):
    """The engine of the fresh test database (both backends)."""
    return db.get_engine()


@pytest.fixture
def sqlite_engine(sqlite_data_env):
    return db.get_engine()

"""The tidy tables every analysis reads: trials, participants and clips (their codebook: :mod:`results.data.codebook`).

One row per answered trial (practice left out, attention and repeat trials kept with their
``kind``), joined with the participant's questionnaire, screening and quality flags and with the
clip's catalogue metadata and acoustic features (``feat_<name>`` columns). Preview sessions run
by staff (``Participant.is_preview``) are left out. The statistics, the charts, the exports and
the report all read exactly this table, so an exported file reproduces every number in the app.

The column types are fixed by :data:`TRIAL_COLUMNS` (also on an empty database), so code that
reads the table never has to guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio import library
from audio.key import key_name
from core.db import get_engine, session_scope
from core.vocabulary import Source, TrialKind
from experiment.questionnaire import musical_training_score
from results.data import repository
from results.data.codebook import (
    CLIP_COLUMNS,
    FEATURE_PREFIX,
    PARTICIPANT_COLUMNS,
    TRIAL_COLUMNS,
    Column,
)

# Questionnaire keys of ``experiment.questionnaire.QUESTIONNAIRE`` -> table columns. Scale items are
# integers; "musician_self_rating" is the Gold-MSI item "I would not consider myself a musician",
# which the Gold-MSI scores in reverse, so the table turns it round to read "higher = musician".
_QUESTIONNAIRE_CHOICES: dict[str, str] = {
    "age_band": "age_band",
    "training_years": "instrument_training_years",
    "practice_years": "instrument_practice_years",
    "ai_exposure": "ai_music_heard",
    "believed_ai_present": "believed_ai_present",
}
_QUESTIONNAIRE_SCALES: dict[str, tuple[str, int | None]] = {
    "training_self_rating": ("musician_self_rating", 8),  # reverse-scored: 8 - answer on 1..7
    "ai_attitude": ("ai_music_attitude", None),
}
# Flag keys of ``experiment.quality`` -> table columns; a flag that never fired is absent (False).
_FLAG_KEYS: dict[str, str] = {
    "flag_attention_failed": "attention_failed",
    "flag_inconsistent": "repeat_inconsistent",
    "flag_too_fast": "too_fast",
}


def _engine(engine: Engine | None) -> Engine:
    return engine or get_engine()


def feature_column(name: str) -> str:
    """The table column for feature ``name``: ``feat_`` + the name in lower snake case."""
    return FEATURE_PREFIX + re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()


def feature_columns(df: pd.DataFrame) -> list[str]:
    """The ``feat_*`` columns of ``df``, in table order."""
    return [c for c in df.columns if c.startswith(FEATURE_PREFIX)]


KEY_NAME_COLUMN = FEATURE_PREFIX + "key_name"


def with_key_names(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with ``feat_key_name`` ("G major"; missing without an estimate) after ``feat_key_mode_estimate``."""
    tonic, mode = feature_column("key_estimate"), feature_column("key_mode_estimate")
    if tonic not in df.columns or mode not in df.columns:
        return df
    known = df[tonic].notna() & df[mode].notna()
    names = pd.Series(pd.NA, index=df.index, dtype="string")
    names[known] = [key_name(t, m) for t, m in zip(df.loc[known, tonic], df.loc[known, mode])]
    out = df.drop(columns=[KEY_NAME_COLUMN], errors="ignore")
    out.insert(out.columns.get_loc(mode) + 1, KEY_NAME_COLUMN, names)
    return out


def _as_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _as_scale(value, reverse_from: int | None) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return reverse_from - number if reverse_from else number


def participant_descriptors(questionnaire: Mapping | None, flags: Mapping | None) -> dict:
    """Questionnaire answers and quality flags of one participant as table columns.

    Missing answers become None; a missing flag is False (the quality checks set flags only
    when they fire).
    """
    questionnaire = questionnaire if isinstance(questionnaire, Mapping) else {}
    flags = flags if isinstance(flags, Mapping) else {}
    row: dict = {column: _as_text(questionnaire.get(key)) for column, key in _QUESTIONNAIRE_CHOICES.items()}
    for column, (key, reverse_from) in _QUESTIONNAIRE_SCALES.items():
        row[column] = _as_scale(questionnaire.get(key), reverse_from)
    row["training_score"] = musical_training_score(questionnaire)
    for column, key in _FLAG_KEYS.items():
        row[column] = bool(flags.get(key))
    return row


def _features_frame(records: list[dict], key: str) -> pd.DataFrame:
    """``feat_*`` columns (float) per distinct ``key`` from the records' ``feature_values``."""
    by_key: dict[int, dict[str, float]] = {}
    for record in records:
        if record[key] in by_key:
            continue
        values = record.get("feature_values") or {}
        by_key[record[key]] = {
            feature_column(name): pd.to_numeric(value, errors="coerce") if np.isscalar(value) else np.nan
            for name, value in values.items()
        }
    frame = pd.DataFrame.from_dict(by_key, orient="index", dtype="float64")
    frame.index.name = key
    return frame[sorted(frame.columns)] if len(frame.columns) else frame


def _apply_dtypes(df: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Columns in codebook order with codebook dtypes, then any ``feat_*`` columns."""
    out = pd.DataFrame(index=df.index)
    for column in columns:
        values = df[column.name] if column.name in df.columns else pd.Series(None, index=df.index, dtype="object")
        if column.dtype.startswith("datetime"):
            out[column.name] = pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]")
        elif column.dtype == "str":
            out[column.name] = values.astype("object").where(values.notna(), None).astype("str")
        elif column.dtype in ("Int64", "boolean"):
            out[column.name] = pd.array(values.astype("object").where(values.notna(), None), dtype=column.dtype)
        else:
            out[column.name] = values.astype(column.dtype)
    for name in feature_columns(df):
        out[name] = df[name].astype("float64")
    return out.reset_index(drop=True)


def empty_trial_table() -> pd.DataFrame:
    """A trial table without rows: the columns and dtypes of :data:`TRIAL_COLUMNS`."""
    return _apply_dtypes(pd.DataFrame(), TRIAL_COLUMNS)


def _participant_frame(participants: list[dict]) -> pd.DataFrame:
    """Participant columns of the trial table, indexed by ``participant_id``."""
    rows = {
        record["participant_id"]: {
            "completed": record["completed_at"] is not None,
            "screening_passed": record["screening_passed"],
            "language": record.get("language"),
            "simulated": bool(record.get("simulated")),
            **participant_descriptors(record.get("questionnaire"), record.get("flags")),
        }
        for record in participants
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _clip_frame(clips: list[dict]) -> pd.DataFrame:
    """Clip catalogue and ``feat_*`` columns of the trial table, indexed by ``clip_id``."""
    catalogue = ["clip_title", "clip_creator", "source", "ai_system", "ai_version", "genre", "vocals", "pair_id"]
    frame = pd.DataFrame.from_records(clips, columns=["clip_id", *catalogue]).set_index("clip_id")
    features = _features_frame(clips, "clip_id")
    return frame.join(features) if len(features.columns) else frame


def trial_table_from_parts(answers: pd.DataFrame, participants: list[dict], clips: list[dict]) -> pd.DataFrame:
    """Build the tidy trial table from the three repository queries.

    Parameters
    ----------
    answers : pandas.DataFrame
        :func:`results.data.repository.fetch_answers` output (one row per answered trial).
    participants : list of dict
        :func:`results.data.repository.fetch_participant_descriptors` output.
    clips : list of dict
        :func:`audio.library.clip_records` output.

    Returns
    -------
    pandas.DataFrame
        One row per answered trial, columns and dtypes of :data:`TRIAL_COLUMNS` followed by the
        ``feat_*`` feature columns (float64; NaN where a clip lacks that feature).
    """
    if answers.empty:
        return empty_trial_table()
    df = answers.join(_participant_frame(participants), on="participant_id").join(_clip_frame(clips), on="clip_id")

    df["is_ai"] = df["source"].eq(Source.AI)
    confidence = pd.to_numeric(df["confidence"], errors="coerce")
    # The stored guess is derived from confidence at answer time; derive it again only when absent.
    # np.array(None): the missing guess as an array, which numpy's stubs accept where None is not typed.
    from_confidence = np.where(confidence.isna(), np.array(None), np.where(confidence >= 4, Source.AI, Source.HUMAN))
    df["guess"] = df["guess"].where(df["guess"].notna(), pd.Series(from_confidence, index=df.index))
    has_guess = df["guess"].notna()
    df["guessed_ai"] = pd.array(np.where(has_guess, df["guess"].eq(Source.AI), None), dtype="boolean")
    df["correct"] = pd.array(np.where(has_guess, df["guess"].eq(df["source"]), None), dtype="boolean")
    df["answer_too_fast"] = df["answer_too_fast"].fillna(False).astype(bool)
    labelled = df["label_shown"].notna()
    df["label_true"] = pd.array(np.where(labelled, df["label_shown"].eq(df["source"]), None), dtype="boolean")
    df["pair_correct"] = pair_correct(df)
    return _apply_dtypes(df, TRIAL_COLUMNS)


def pair_correct(df: pd.DataFrame) -> pd.Series:
    """Per row of a paired trial: whether the position chosen as AI held the AI clip (missing elsewhere).

    The AI clip's position is the row's ``pair_position`` when the row's clip is AI, else the other one.
    """
    if "pair_choice" not in df.columns or "pair_position" not in df.columns:
        return pd.Series(pd.array([None] * len(df), dtype="boolean"), index=df.index)
    position = pd.to_numeric(df["pair_position"], errors="coerce")
    choice = pd.to_numeric(df["pair_choice"], errors="coerce")
    ai_position = np.where(df["source"].eq(Source.AI), position, 3 - position)
    known = choice.notna() & position.notna()
    return pd.Series(pd.array(np.where(known, choice.eq(ai_position), None), dtype="boolean"), index=df.index)


def read_trial_table(
    session: Session, clips: list[dict], *, include_simulated: bool = False, study_id: int | None = None
) -> pd.DataFrame:
    """The study's tidy trial table read in ``session`` (see :func:`trial_table_from_parts`), given the clip records."""
    study_id = repository.study_or_default(session, study_id)
    answers = repository.fetch_answers(session, include_simulated=include_simulated, study_id=study_id)
    participants = repository.fetch_participant_descriptors(
        session, include_simulated=include_simulated, study_id=study_id
    )
    return trial_table_from_parts(answers, participants, clips)


def load_trial_table(
    engine: Engine | None = None, *, include_simulated: bool = False, study_id: int | None = None
) -> pd.DataFrame:
    """The study's tidy trial table from the database (see :func:`trial_table_from_parts`); simulated
    demo participants only with ``include_simulated``."""
    with session_scope(_engine(engine)) as session:
        clips = library.clip_records(session)
        return read_trial_table(session, clips, include_simulated=include_simulated, study_id=study_id)


def participants_table_from_records(records: list[dict]) -> pd.DataFrame:
    """Build the participants table (one row per participant, :data:`PARTICIPANT_COLUMNS`)."""
    if not records:
        return _apply_dtypes(pd.DataFrame(), PARTICIPANT_COLUMNS)
    rows = []
    for record in records:
        row = dict(record)
        row.update(participant_descriptors(record.get("questionnaire"), record.get("flags")))
        row["created_at"] = record["participant_created_at"]
        rows.append(row)
    df = pd.DataFrame.from_records(rows)
    df["completed"] = df["completed_at"].notna()
    start = pd.to_datetime(df["consented_at"].where(df["consented_at"].notna(), df["created_at"]), utc=True)
    end = pd.to_datetime(df["completed_at"].where(df["completed_at"].notna(), df["last_answer_at"]), utc=True)
    df["duration_min"] = (end - start).dt.total_seconds() / 60.0
    return _apply_dtypes(df, PARTICIPANT_COLUMNS)


def read_participants_table(
    session: Session, *, include_simulated: bool = False, study_id: int | None = None
) -> pd.DataFrame:
    """The study's participants table read in ``session`` (see :func:`participants_table_from_records`)."""
    return participants_table_from_records(
        repository.fetch_participant_records(session, include_simulated=include_simulated, study_id=study_id)
    )


def load_participants_table(
    engine: Engine | None = None, *, include_simulated: bool = False, study_id: int | None = None
) -> pd.DataFrame:
    """The study's participants table from the database (see :func:`participants_table_from_records`)."""
    with session_scope(_engine(engine)) as session:
        return read_participants_table(session, include_simulated=include_simulated, study_id=study_id)


def clips_table_from_records(records: list[dict], trials: pd.DataFrame) -> pd.DataFrame:
    """Build the clips table (:data:`CLIP_COLUMNS` then ``feat_*``), counting ratings in ``trials``.

    Parameters
    ----------
    records : list of dict
        :func:`audio.library.clip_records` output.
    trials : pandas.DataFrame
        The (possibly filtered) trial table; ``n_ratings`` counts its main trials per clip.
    """
    if not records:
        return _apply_dtypes(pd.DataFrame(), CLIP_COLUMNS)
    df = pd.DataFrame.from_records(records)
    df["is_ai"] = df["source"].eq(Source.AI)
    df["retired"] = df["retired_at"].notna()
    df["loudness_lufs"] = df["loudness_after_lufs"]
    main = trials[trials["kind"] == TrialKind.MAIN] if len(trials) else trials
    counts = main.groupby("clip_id").size() if len(main) else pd.Series(dtype="int64")
    df["n_ratings"] = df["clip_id"].map(counts).fillna(0).astype("int64")
    features = _features_frame(records, "clip_id")
    if len(features.columns):
        df = df.join(features, on="clip_id")
    return _apply_dtypes(df, CLIP_COLUMNS)


def load_clips_table(engine: Engine | None = None, trials: pd.DataFrame | None = None) -> pd.DataFrame:
    """The clips table from the database; ``n_ratings`` counts ``trials`` (default: all answers)."""
    engine = _engine(engine)
    with session_scope(engine) as session:
        records = library.clip_records(session)
    if trials is None:
        trials = load_trial_table(engine)
    return clips_table_from_records(records, trials)


def load_study_versions(engine: Engine | None = None, study_id: int | None = None) -> pd.DataFrame:
    """The study's saved versions: ``study_version_id``, ``created_at`` (UTC), ``note``."""
    with session_scope(_engine(engine)) as session:
        records = repository.fetch_study_versions(session, study_id)
    frame = pd.DataFrame.from_records(records, columns=["study_version_id", "created_at", "note", "config"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.drop(columns="config")

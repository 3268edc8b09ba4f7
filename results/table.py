"""The tidy tables every analysis reads: trials, participants, clips, and their codebook.

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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from audio import library
from core.db import get_engine, session_scope
from results import repository

FEATURE_PREFIX = "feat_"


@dataclass(frozen=True)
class Column:
    """One codebook entry.

    Attributes
    ----------
    name : column name.
    dtype : pandas dtype the loader guarantees (``Int64``/``boolean`` allow missing values).
    unit : unit of measurement, or "" when the value has none.
    allowed : allowed values or range in words.
    description : what the value means and where it comes from.
    """

    name: str
    dtype: str
    unit: str
    allowed: str
    description: str


_RATING = "1..scale_points (5, 7 or 9, see the study version); missing when not asked"

TRIAL_COLUMNS: tuple[Column, ...] = (
    Column("participant_id", "int64", "", "positive integer", "Participant (anonymous database id)."),
    Column("study_version_id", "int64", "", "positive integer", "Study settings version the answer was given under."),
    Column("trial_index", "int64", "", "0, 1, 2 ...",
           "Position in the participant's trial list (practice trials count but are not rows)."),
    Column("kind", "str", "", "main, attention, repeat",
           "Trial kind: main trial, attention check, or a repeated clip (consistency check)."),
    Column("clip_id", "int64", "", "positive integer", "Clip heard on this trial."),
    Column("source", "str", "", "human, ai", "True source of the clip."),
    Column("is_ai", "bool", "", "true, false",
           "True when the clip is AI-generated (the signal in detection analyses)."),
    Column("guess", "str", "", "human, ai, missing",
           "Participant's judgement of the source (derived from confidence: human if confidence <= 3)."),
    Column("guessed_ai", "boolean", "", "true, false, missing",
           "True when the participant judged the clip AI-generated."),
    Column("correct", "boolean", "", "true, false, missing", "True when the judgement matches the true source."),
    Column("confidence", "Int64", "scale points", "1..6",
           "Source judgement with confidence: 1 = sure human, 2 = probably human, 3 = maybe human, "
           "4 = maybe AI, 5 = probably AI, 6 = sure AI."),
    Column("valence", "Int64", "scale points", _RATING,
           "Felt valence (self-assessment manikin): 1 = unpleasant ... 9 = pleasant."),
    Column("arousal", "Int64", "scale points", _RATING,
           "Felt arousal (self-assessment manikin): 1 = calm ... 9 = excited."),
    Column("moved", "Int64", "scale points", _RATING,
           "How moved the participant felt: 1 = not at all ... 9 = very much."),
    Column("liking", "Int64", "scale points", _RATING,
           "How much the participant liked the clip: 1 = not at all ... 9 = very much."),
    Column("familiar", "boolean", "", "true, false, missing", "Participant said they knew the piece."),
    Column("comment", "str", "", "free text, missing", "Optional free-text comment."),
    Column("attention_answer", "str", "", "free text, missing", "Answer given on an attention-check trial."),
    Column("plays", "int64", "count", ">= 0", "Times playback was started."),
    Column("pauses", "int64", "count", ">= 0", "Times playback was paused."),
    Column("seeks", "int64", "count", ">= 0", "Times the participant jumped within the clip."),
    Column("listened_s", "float64", "s", ">= 0", "Seconds of audio actually played (verified listening)."),
    Column("time_to_first_play_ms", "Int64", "ms", ">= 0, missing",
           "Time from the trial being shown to the first play."),
    Column("time_to_answer_ms", "Int64", "ms", ">= 0, missing",
           "Time from the trial being shown to the answer being submitted."),
    Column("answered_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601", "When the answer was stored."),
    Column("clip_title", "str", "", "free text, missing", "Title of the piece (catalogue)."),
    Column("clip_creator", "str", "", "free text, missing",
           "Composer/performer (human clips) or person who prompted the AI."),
    Column("ai_system", "str", "", "free text, missing", "AI system that generated the clip (AI clips)."),
    Column("ai_version", "str", "", "free text, missing", "Version of the AI system."),
    Column("genre", "str", "", "free text, missing", "Genre label from the catalogue."),
    Column("vocals", "str", "", "vocal, instrumental, missing", "Whether the clip has vocals."),
    Column("pair_id", "str", "", "free text, missing",
           "Matched-pair label shared by a human clip and its AI counterpart."),
    Column("completed", "bool", "", "true, false", "Participant reached the debrief (completed the study)."),
    Column("age_band", "str", "", "18-24, 25-34, 35-44, 45-54, 55-64, 65 or older, Prefer not to say, missing",
           "Participant's age band (questionnaire)."),
    Column("training_years", "str", "years", "0, 0.5, 1, 2, 3-5, 6-9, 10 or more, missing",
           "Years of formal training on a musical instrument including voice (Gold-MSI training item)."),
    Column("practice_years", "str", "years", "0, 1, 2, 3, 4-5, 6-9, 10 or more, missing",
           "Years of regular daily practice of an instrument including voice (Gold-MSI training item)."),
    Column("training_self_rating", "Int64", "scale points", "1..7, missing",
           "Self-rated musicianship: Gold-MSI item 'I would not consider myself a musician' reverse-scored, "
           "so 1 = not a musician ... 7 = a musician."),
    Column("ai_exposure", "str", "", "None, One or two pieces, Some, A lot, missing",
           "How much music the participant has heard that they knew was made by AI (questionnaire)."),
    Column("ai_attitude", "Int64", "scale points", "1..7, missing",
           "Attitude towards AI being used to make music: 1 = very negative ... 7 = very positive."),
    Column("screening_passed", "boolean", "", "true, false, missing",
           "Passed the audio/headphone screening (missing: not screened)."),
    Column("flag_attention_failed", "bool", "", "true, false", "Participant failed one or more attention checks."),
    Column("flag_inconsistent", "bool", "", "true, false",
           "The repeated clip got the opposite source judgement with confidence differing by more than 2 points."),
    Column("flag_too_fast", "bool", "", "true, false",
           "Participant answered at least one rated trial sooner than the study's minimum answer time."),
    Column("answer_too_fast", "bool", "", "true, false",
           "This answer came sooner after the trial was shown than the study's minimum answer time."),
)

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("participant_id", "int64", "", "positive integer", "Participant (anonymous database id)."),
    Column("study_version_id", "int64", "", "positive integer",
           "Study settings version the participant started under."),
    Column("via_prolific", "bool", "", "true, false",
           "Arrived through Prolific (the Prolific ids themselves are not exported)."),
    Column("created_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601",
           "When the participant record was created (consent)."),
    Column("completed_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601, missing",
           "When the participant reached the debrief."),
    Column("completed", "bool", "", "true, false", "Participant reached the debrief."),
    Column("step", "str", "", "journey step name", "Last step of the journey reached."),
    *(c for c in TRIAL_COLUMNS if c.name in (
        "age_band", "training_years", "practice_years", "training_self_rating", "ai_exposure", "ai_attitude",
        "screening_passed", "flag_attention_failed", "flag_inconsistent", "flag_too_fast")),
    Column("n_trials_assigned", "int64", "count", ">= 0", "Non-practice trials in the participant's stored list."),
    Column("n_answered", "int64", "count", ">= 0", "Non-practice trials answered."),
    Column("first_answer_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601, missing", "First non-practice answer."),
    Column("last_answer_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601, missing", "Last non-practice answer."),
    Column("duration_min", "float64", "min", ">= 0, missing",
           "Time from consent to debrief (completed) or to the last answer."),
)

CLIP_COLUMNS: tuple[Column, ...] = (
    Column("clip_id", "int64", "", "positive integer", "Clip (database id)."),
    *(c for c in TRIAL_COLUMNS if c.name in ("source", "is_ai")),
    *(c for c in TRIAL_COLUMNS if c.name.startswith("clip_") and c.name != "clip_id"),
    *(c for c in TRIAL_COLUMNS if c.name in ("ai_system", "ai_version", "genre", "vocals", "pair_id")),
    Column("licence", "str", "", "free text, missing", "Licence under which the clip may be used."),
    Column("is_demo", "bool", "", "true, false", "Clip belongs to the built-in demo corpus."),
    Column("retired", "bool", "", "true, false", "Clip was retired from the library (it may still have answers)."),
    Column("served_name", "str", "", "file name",
           "Opaque file name of the served audio under the data folder's clips/."),
    Column("duration_s", "float64", "s", "> 0", "Duration of the served excerpt."),
    Column("loudness_lufs", "float64", "LUFS", "typically -30..-5",
           "Integrated loudness (ITU-R BS.1770) of the served excerpt."),
    Column("true_peak_dbtp", "float64", "dBTP", "<= 0", "True peak of the served excerpt."),
    Column("n_ratings", "int64", "count", ">= 0", "Main-trial answers for this clip in the (filtered) trial table."),
)

# Questionnaire keys of ``experiment.questionnaire.QUESTIONNAIRE`` -> table columns. Scale items are
# integers; "musician_self_rating" is the Gold-MSI item "I would not consider myself a musician",
# which the Gold-MSI scores in reverse, so the table turns it round to read "higher = musician".
_QUESTIONNAIRE_CHOICES: dict[str, str] = {
    "age_band": "age_band",
    "training_years": "instrument_training_years",
    "practice_years": "instrument_practice_years",
    "ai_exposure": "ai_music_heard",
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
        :func:`results.repository.fetch_answers` output (one row per answered trial).
    participants : list of dict
        :func:`results.repository.fetch_participant_descriptors` output.
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

    df["is_ai"] = df["source"].eq("ai")
    confidence = pd.to_numeric(df["confidence"], errors="coerce")
    # The stored guess is derived from confidence at answer time; derive it again only when absent.
    from_confidence = np.where(confidence.isna(), None, np.where(confidence >= 4, "ai", "human"))
    df["guess"] = df["guess"].where(df["guess"].notna(), pd.Series(from_confidence, index=df.index))
    has_guess = df["guess"].notna()
    df["guessed_ai"] = pd.array(np.where(has_guess, df["guess"].eq("ai"), None), dtype="boolean")
    df["correct"] = pd.array(np.where(has_guess, df["guess"].eq(df["source"]), None), dtype="boolean")
    df["answer_too_fast"] = df["answer_too_fast"].fillna(False).astype(bool)
    return _apply_dtypes(df, TRIAL_COLUMNS)


def load_trial_table(engine: Engine | None = None) -> pd.DataFrame:
    """The tidy trial table from the database (see :func:`trial_table_from_parts`)."""
    with session_scope(_engine(engine)) as session:
        answers = repository.fetch_answers(session)
        participants = repository.fetch_participant_descriptors(session)
        clips = library.clip_records(session)
    return trial_table_from_parts(answers, participants, clips)


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


def load_participants_table(engine: Engine | None = None) -> pd.DataFrame:
    """The participants table from the database (see :func:`participants_table_from_records`)."""
    with session_scope(_engine(engine)) as session:
        records = repository.fetch_participant_records(session)
    return participants_table_from_records(records)


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
    df["is_ai"] = df["source"].eq("ai")
    df["retired"] = df["retired_at"].notna()
    df["loudness_lufs"] = df["loudness_after_lufs"]
    main = trials[trials["kind"] == "main"] if len(trials) else trials
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


def load_study_versions(engine: Engine | None = None) -> pd.DataFrame:
    """Saved study versions: ``study_version_id``, ``created_at`` (UTC), ``note``."""
    with session_scope(_engine(engine)) as session:
        records = repository.fetch_study_versions(session)
    frame = pd.DataFrame.from_records(records, columns=["study_version_id", "created_at", "note", "config"])
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    return frame.drop(columns="config")


# Feature names carry their unit as a token (audio.features naming): spectral_centroid_hz_mean.
_UNIT_TOKENS = {"hz": "Hz", "db": "dB", "bpm": "BPM", "lufs": "LUFS", "dbtp": "dBTP", "s": "s"}


def _feature_entry(name: str, table: str) -> Column:
    """Codebook entry of a ``feat_*`` column, described by the audio package's feature list."""
    from audio.features import FEATURE_DESCRIPTIONS

    feature = name[len(FEATURE_PREFIX):]
    described = FEATURE_DESCRIPTIONS.get(feature)
    tokens = feature.split("_")
    unit = "1/s" if feature.endswith("_per_s") else next(
        (_UNIT_TOKENS[t] for t in tokens if t in _UNIT_TOKENS), "none (see description)")
    what = described or f"acoustic feature '{feature}'"
    where = " (same value on every trial of the clip)" if table == "trials" else ""
    return Column(name, "float64", unit, "real number, missing when not computed",
                  f"{what[0].upper() + what[1:]}; computed with librosa from exactly the audio participants "
                  f"heard{where}.")


def codebook(df: pd.DataFrame, table: str) -> list[Column]:
    """Codebook entries for every column of ``df`` (a trials, participants or clips table).

    Parameters
    ----------
    df : pandas.DataFrame
        The table as exported.
    table : {"trials", "participants", "clips"}

    Raises
    ------
    ValueError
        For an unknown table name or a column that has no codebook entry.
    """
    known = {"trials": TRIAL_COLUMNS, "participants": PARTICIPANT_COLUMNS, "clips": CLIP_COLUMNS}
    if table not in known:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(known)}")
    by_name = {c.name: c for c in known[table]}
    entries = []
    for name in df.columns:
        if name in by_name:
            entries.append(by_name[name])
        elif name.startswith(FEATURE_PREFIX):
            entries.append(_feature_entry(name, table))
        else:
            raise ValueError(f"column {name!r} of the {table} table has no codebook entry")
    return entries

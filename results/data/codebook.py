"""The codebook of the tidy tables: every column's type, unit, allowed values and meaning.

:data:`TRIAL_COLUMNS`, :data:`PARTICIPANT_COLUMNS` and :data:`CLIP_COLUMNS` fix the column types the
loaders in :mod:`results.data.table` guarantee; :func:`codebook` describes an exported table, its
``feat_*`` columns included, for the export's codebook files.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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


DESIGN_COLUMNS: tuple[Column, ...] = (
    Column(
        "condition",
        "str",
        "",
        "blind, rate_only, labelled, missing",
        "Design condition the participant was randomised to (balanced over arrivals): blind = rated and "
        "guessed the source of each clip; rate_only = rated only, asked about AI once at the end; labelled = "
        "each clip announced as made by a person or by AI before it played, rated only. Missing: before "
        "conditions existed (blind).",
    ),
    Column(
        "label_shown",
        "str",
        "",
        "human, ai, missing",
        "Labelled condition: the source announced before the clip played (missing in other conditions).",
    ),
    Column(
        "label_mode",
        "str",
        "",
        "true, reversed, random, missing",
        "Labelled condition: how the label was chosen - the true source, the other source, or at random "
        "(in the proportions set in the study version).",
    ),
    Column(
        "label_true",
        "boolean",
        "",
        "true, false, missing",
        "Labelled condition: the announced source was the clip's true source.",
    ),
)
"""The design columns: the participant's condition and, in the labelled condition, each trial's label."""

PAIR_COLUMNS: tuple[Column, ...] = (
    Column(
        "pair_trial",
        "Int64",
        "",
        "1, 2 ... missing",
        "Paired (2AFC) studies: the number of the pair this clip was heard in (1 = first pair). Each pair "
        "holds one human and one AI clip (a matched pair when the clips share a pair_id) and is two rows, "
        "one per clip. Missing for single-clip trials.",
    ),
    Column(
        "pair_position",
        "Int64",
        "",
        "1, 2, missing",
        "Paired studies: where the clip played in its pair (1 = first, 2 = second); which position held the "
        "AI clip is counterbalanced within each participant.",
    ),
    Column(
        "pair_choice",
        "Int64",
        "",
        "1, 2, missing",
        'Paired studies: the answer to "Which one was made by AI?" - the position chosen. One answer per '
        "pair, repeated on both clips' rows: count it once per pair (e.g. the rows with pair_position 1).",
    ),
    Column(
        "pair_confidence",
        "Int64",
        "scale points",
        "1..3, missing",
        "Paired studies: how sure the participant was of the pair choice (1 = guessing, 2 = fairly sure, "
        "3 = sure); repeated on both clips' rows like pair_choice.",
    ),
    Column(
        "pair_correct",
        "boolean",
        "",
        "true, false, missing",
        "Paired studies: the position chosen held the AI clip (the 2AFC outcome; d' = sqrt(2) z(proportion "
        "correct)). Same value on both rows of a pair.",
    ),
    Column(
        "pairing",
        "str",
        "",
        "similar, random, missing",
        "Paired studies with a pairing design: how the pair was made. similar = the AI clip with the human clip "
        "nearest to it in the served clips' standardised features (optimal one-to-one matching, the organiser's "
        "overrides kept); random = the human clips of a participant's random-type pairs re-paired among "
        "themselves. Missing without a pairing design.",
    ),
)
"""The paired (2AFC) columns: which pair and position each clip had, and the pair's one choice."""

VERSION_COLUMNS: tuple[Column, ...] = (
    Column("study_version_id", "int64", "", "positive integer", "Study settings version (every save is a new one)."),
    Column("created_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601", "When the version was saved."),
    Column("note", "str", "", "free text", "The organiser's note on the version (e.g. opened, closed)."),
    Column("scale_points", "int64", "scale points", "5, 7, 9", "Points on every rating scale in this version."),
    Column(
        "scales",
        "str",
        "",
        "comma-separated scale names",
        "Rating scales asked; versions differing here or in scale_points are never pooled.",
    ),
    Column("n_trials", "int64", "count", "2..200, even", "Main trials per participant."),
    Column("screening", "str", "", "required, optional, off", "How the Huggins-pitch headphone screen was used."),
    Column(
        "screening_criterion",
        "str",
        "",
        "milne2021, woods2017, custom",
        "Pass mark of the headphone screen: "
        "milne2021 = all 6 of 6 correct (Milne et al. 2021, Behav. Res. Methods 53:1551-1562, the criterion "
        "for this test); woods2017 = 5 of 6 (Woods et al. 2017's criterion for their antiphase test); custom.",
    ),
    Column("screening_pass_mark", "int64", "count", ">= 1", "Correct screening answers needed to pass."),
    Column(
        "exclusion_rules",
        "str",
        "",
        "comma-separated: incomplete, failed_screening, failed_attention, too_fast, inconsistent",
        "Preregistered exclusion rules applied to this version's participants.",
    ),
    Column("planned_n", "int64", "participants", ">= 0 (0 = not planned)", "Planned number of analysed participants."),
    Column(
        "settings_json", "str", "", "JSON object", "Every setting of the version (experiment.settings.StudySettings)."
    ),
)

FLOW_COLUMNS: tuple[Column, ...] = (
    Column(
        "stage",
        "str",
        "",
        "stage name",
        "Stage of the participant flow, from arrival (consent answered) to "
        "analysis; each person is counted at the first stage that removed them.",
    ),
    Column("removed", "Int64", "participants", ">= 0, missing on the first and last rows", "Removed at this stage."),
    Column(
        "remaining", "int64", "participants", ">= 0", "Left after this stage; arrived minus all removed = analysed."
    ),
)


FEATURE_PREFIX = "feat_"


_RATING = "1..scale_points (5, 7 or 9, see the study version); missing when not asked"

TRIAL_COLUMNS: tuple[Column, ...] = (
    Column(
        "study",
        "str",
        "",
        "the study's short name (slug)",
        "The study the answer belongs to (a deployment runs several; each export holds one).",
    ),
    Column("participant_id", "int64", "", "positive integer", "Participant (anonymous database id)."),
    Column("study_version_id", "int64", "", "positive integer", "Study settings version the answer was given under."),
    Column(
        "trial_index",
        "int64",
        "",
        "0, 1, 2 ...",
        "Position in the participant's trial list (practice trials count but are not rows).",
    ),
    Column(
        "kind",
        "str",
        "",
        "main, attention, repeat",
        "Trial kind: main trial, attention check, or a repeated clip (consistency check).",
    ),
    Column("clip_id", "int64", "", "positive integer", "Clip heard on this trial."),
    *DESIGN_COLUMNS,
    *PAIR_COLUMNS,
    Column("source", "str", "", "human, ai", "True source of the clip."),
    Column(
        "is_ai", "bool", "", "true, false", "True when the clip is AI-generated (the signal in detection analyses)."
    ),
    Column(
        "guess",
        "str",
        "",
        "human, ai, missing",
        "Participant's judgement of the source (derived from confidence: human if confidence <= 3).",
    ),
    Column(
        "guessed_ai", "boolean", "", "true, false, missing", "True when the participant judged the clip AI-generated."
    ),
    Column("correct", "boolean", "", "true, false, missing", "True when the judgement matches the true source."),
    Column(
        "confidence",
        "Int64",
        "scale points",
        "1..6",
        "Source judgement with confidence: 1 = sure human, 2 = probably human, 3 = maybe human, "
        "4 = maybe AI, 5 = probably AI, 6 = sure AI.",
    ),
    Column(
        "valence",
        "Int64",
        "scale points",
        _RATING,
        "Felt valence (self-assessment manikin): 1 = unpleasant ... 9 = pleasant.",
    ),
    Column(
        "arousal", "Int64", "scale points", _RATING, "Felt arousal (self-assessment manikin): 1 = calm ... 9 = excited."
    ),
    Column(
        "moved", "Int64", "scale points", _RATING, "How moved the participant felt: 1 = not at all ... 9 = very much."
    ),
    Column(
        "liking",
        "Int64",
        "scale points",
        _RATING,
        "How much the participant liked the clip: 1 = not at all ... 9 = very much.",
    ),
    Column("familiar", "boolean", "", "true, false, missing", "Participant said they knew the piece."),
    Column("comment", "str", "", "free text, missing", "Optional free-text comment."),
    Column(
        "reason",
        "str",
        "",
        "free text, missing",
        'Optional answer to "What made you think so?" after the guess (paired: on both clips\' rows of the '
        "pair; asked once at the end: on the last answer's rows). The coded cues are in the reasons table.",
    ),
    Column("attention_answer", "str", "", "free text, missing", "Answer given on an attention-check trial."),
    Column("plays", "int64", "count", ">= 0", "Times playback was started."),
    Column("pauses", "int64", "count", ">= 0", "Times playback was paused."),
    Column("seeks", "int64", "count", ">= 0", "Times the participant jumped within the clip."),
    Column("listened_s", "float64", "s", ">= 0", "Seconds of audio actually played (verified listening)."),
    Column(
        "time_to_first_play_ms", "Int64", "ms", ">= 0, missing", "Time from the trial being shown to the first play."
    ),
    Column(
        "time_to_answer_ms",
        "Int64",
        "ms",
        ">= 0, missing",
        "Time from the trial being shown to the answer being submitted.",
    ),
    Column("answered_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601", "When the answer was stored."),
    Column("clip_title", "str", "", "free text, missing", "Title of the piece (catalogue)."),
    Column(
        "clip_creator",
        "str",
        "",
        "free text, missing",
        "Composer/performer (human clips) or person who prompted the AI.",
    ),
    Column("ai_system", "str", "", "free text, missing", "AI system that generated the clip (AI clips)."),
    Column("ai_version", "str", "", "free text, missing", "Version of the AI system."),
    Column("genre", "str", "", "free text, missing", "Genre label from the catalogue."),
    Column("vocals", "str", "", "vocal, instrumental, missing", "Whether the clip has vocals."),
    Column(
        "pair_id", "str", "", "free text, missing", "Matched-pair label shared by a human clip and its AI counterpart."
    ),
    Column("completed", "bool", "", "true, false", "Participant reached the debrief (completed the study)."),
    Column(
        "simulated",
        "bool",
        "",
        "true, false",
        "Simulated demo participant (human-touch demo participants); present only when the researcher "
        "chose to include simulated participants.",
    ),
    Column(
        "age_band",
        "str",
        "",
        "18-24, 25-34, 35-44, 45-54, 55-64, 65 or older, Prefer not to say, missing",
        "Participant's age band (questionnaire).",
    ),
    Column(
        "training_years",
        "str",
        "years",
        "0, 0.5, 1, 2, 3-5, 6-9, 10 or more, missing",
        "Years of formal training on a musical instrument including voice (Gold-MSI training item).",
    ),
    Column(
        "practice_years",
        "str",
        "years",
        "0, 1, 2, 3, 4-5, 6-9, 10 or more, missing",
        "Years of regular daily practice of an instrument including voice (Gold-MSI training item).",
    ),
    Column(
        "training_self_rating",
        "Int64",
        "scale points",
        "1..7, missing",
        "Self-rated musicianship: Gold-MSI item 'I would not consider myself a musician' reverse-scored, "
        "so 1 = not a musician ... 7 = a musician.",
    ),
    Column(
        "training_score",
        "Int64",
        "score",
        "7..49, missing",
        "Gold-MSI Musical Training subscale (Mullensiefen et al. 2014): the sum of its 7 items, each 1..7, "
        "two reverse-scored; missing unless all 7 were answered.",
    ),
    Column(
        "ai_exposure",
        "str",
        "",
        "None, One or two pieces, Some, A lot, missing",
        "How much music the participant has heard that they knew was made by AI (questionnaire).",
    ),
    Column(
        "ai_attitude",
        "Int64",
        "scale points",
        "1..7, missing",
        "Attitude towards AI being used to make music: 1 = very negative ... 7 = very positive.",
    ),
    Column(
        "believed_ai_present",
        "str",
        "",
        "No, none of them; Yes, some of them; Yes, most of them; Yes, all of them; I don't know; missing",
        "Rate-only condition, asked after the last clip: whether the participant thinks any clip was made by AI.",
    ),
    Column(
        "screening_passed",
        "boolean",
        "",
        "true, false, missing",
        "Passed the audio/headphone screening (missing: not screened).",
    ),
    Column(
        "language",
        "str",
        "",
        "ISO 639-1 code: en, de",
        "Language the participant took the study in (chosen on the consent page; every page, question "
        "and answer option was shown in it; answers are stored in English whatever the language).",
    ),
    Column("flag_attention_failed", "bool", "", "true, false", "Participant failed one or more attention checks."),
    Column(
        "flag_inconsistent",
        "bool",
        "",
        "true, false",
        "The repeated clip got the opposite source judgement with confidence differing by more than 2 points.",
    ),
    Column(
        "flag_too_fast",
        "bool",
        "",
        "true, false",
        "Participant answered at least one rated trial sooner after its listening requirement was met "
        "than the study's minimum answer time.",
    ),
    Column(
        "answer_too_fast",
        "bool",
        "",
        "true, false",
        "This answer came sooner after the listening requirement was met (server time) than the study's "
        "minimum answer time.",
    ),
)

PARTICIPANT_COLUMNS: tuple[Column, ...] = (
    Column("participant_id", "int64", "", "positive integer", "Participant (anonymous database id)."),
    Column(
        "study_version_id", "int64", "", "positive integer", "Study settings version the participant started under."
    ),
    Column("via_prolific", "bool", "", "true, false", "Arrived through Prolific (a PROLIFIC_PID in the link)."),
    Column("completion_code", "str", "", "code, missing", "Completion code shown at the debrief; missing before it."),
    Column(
        "created_at",
        "datetime64[ns, UTC]",
        "UTC time",
        "ISO 8601",
        "When the participant record was created (consent).",
    ),
    Column(
        "completed_at",
        "datetime64[ns, UTC]",
        "UTC time",
        "ISO 8601, missing",
        "When the participant reached the debrief.",
    ),
    Column("completed", "bool", "", "true, false", "Participant reached the debrief."),
    Column(
        "simulated",
        "bool",
        "",
        "true, false",
        "Simulated demo participant (human-touch demo participants); present only when the researcher "
        "chose to include simulated participants.",
    ),
    Column("step", "str", "", "journey step name", "Last step of the journey reached."),
    *(
        c
        for c in TRIAL_COLUMNS
        if c.name
        in (
            "age_band",
            "training_years",
            "practice_years",
            "training_self_rating",
            "training_score",
            "ai_exposure",
            "ai_attitude",
            "believed_ai_present",
            "condition",
            "screening_passed",
            "language",
            "flag_attention_failed",
            "flag_inconsistent",
            "flag_too_fast",
        )
    ),
    Column(
        "reason_at_end",
        "str",
        "",
        "free text, missing",
        'Optional answer to "What made you think so?" asked once after the last clip (studies that ask it at '
        "the end); the coded cues are in the reasons table.",
    ),
    Column("n_trials_assigned", "int64", "count", ">= 0", "Non-practice trials in the participant's stored list."),
    Column("n_answered", "int64", "count", ">= 0", "Non-practice trials answered."),
    Column("first_answer_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601, missing", "First non-practice answer."),
    Column("last_answer_at", "datetime64[ns, UTC]", "UTC time", "ISO 8601, missing", "Last non-practice answer."),
    Column(
        "duration_min",
        "float64",
        "min",
        ">= 0, missing",
        "Time from consent to debrief (completed) or to the last answer.",
    ),
)

REASON_COLUMNS: tuple[Column, ...] = (
    Column("reason_id", "int64", "", "positive integer", "One reason given (numbered in participant order)."),
    Column("participant_id", "int64", "", "positive integer", "Participant (anonymous database id)."),
    Column(
        "asked",
        "str",
        "",
        "guess, pair, at_end",
        "When the reason was given: after a single clip's guess, after a pair's choice (one reason per pair, "
        "though stored on both clips' rows of the trials table), or once after the last clip.",
    ),
    Column(
        "trial_index",
        "int64",
        "",
        ">= 0; 1000000 for at_end",
        "Position of the trial (a pair: its first clip) in the participant's list; at_end reasons sort last.",
    ),
    Column("pair_trial", "Int64", "", ">= 1, missing", "The pair's number (pair reasons)."),
    Column("clip_id", "Int64", "", "positive integer, missing", "The clip guessed (single-clip reasons)."),
    Column(
        "guess",
        "str",
        "",
        "human, ai, position 1, position 2, all guesses",
        "The guess the reason explains: the source guessed, the position chosen as AI, or all guesses (at_end).",
    ),
    Column(
        "truth",
        "str",
        "",
        "human, ai, AI at position 1, AI at position 2, all clips",
        "The true source of the clip, or where the pair's AI clip was.",
    ),
    Column("correct", "boolean", "", "true, false, missing", "The guess was right (missing for at_end reasons)."),
    Column(
        "n_guesses",
        "int64",
        "count",
        ">= 1",
        "Guesses the reason speaks for: 1, or every analysed guess (a pair counted once) of the participant (at_end).",
    ),
    Column("n_correct", "int64", "count", ">= 0", "How many of those guesses were right."),
    Column("reason", "str", "", "free text", "The reason as the participant wrote it (trimmed)."),
    Column(
        "cue",
        "str",
        "",
        "a code of the study's cue list",
        "The cue code this row checks; every reason has one row per code of the cue list in force (the newest "
        "study version's reason_cues setting), whether it mentions the cue or not.",
    ),
    Column(
        "cue_terms",
        "str",
        "",
        "comma-separated terms",
        "What the code means: the words counted. A term matches words that begin with it, in any case; a term "
        "starting with * matches inside a word too (German compounds).",
    ),
    Column("mentioned", "bool", "", "true, false", "The reason holds at least one of the cue's terms."),
    Column("matched", "str", "", "words separated by '; ', empty", "The words of the reason that matched, lower case."),
)
"""The reasons table: one row per reason x cue code (:func:`results.statistics.reasons.code_reasons`)."""

CLIP_COLUMNS: tuple[Column, ...] = (
    Column("clip_id", "int64", "", "positive integer", "Clip (database id)."),
    *(c for c in TRIAL_COLUMNS if c.name in ("source", "is_ai")),
    *(c for c in TRIAL_COLUMNS if c.name.startswith("clip_") and c.name != "clip_id"),
    *(c for c in TRIAL_COLUMNS if c.name in ("ai_system", "ai_version", "genre", "vocals", "pair_id")),
    Column("licence", "str", "", "free text, missing", "Licence under which the clip may be used."),
    Column("is_demo", "bool", "", "true, false", "Clip belongs to the built-in demo corpus."),
    Column("retired", "bool", "", "true, false", "Clip was retired from the library (it may still have answers)."),
    Column(
        "served_name", "str", "", "file name", "Opaque file name of the served audio under the data folder's clips/."
    ),
    Column("duration_s", "float64", "s", "> 0", "Duration of the served excerpt."),
    Column(
        "loudness_lufs",
        "float64",
        "LUFS",
        "typically -30..-5",
        "Integrated loudness (ITU-R BS.1770) of the served excerpt.",
    ),
    Column("true_peak_dbtp", "float64", "dBTP", "<= 0", "True peak of the served excerpt."),
    Column("n_ratings", "int64", "count", ">= 0", "Main-trial answers for this clip in the (filtered) trial table."),
)


# Feature names carry their unit as a token (audio.features naming): spectral_centroid_hz_mean.
_UNIT_TOKENS = {"hz": "Hz", "db": "dB", "bpm": "BPM", "lufs": "LUFS", "dbtp": "dBTP", "s": "s"}


def _feature_entry(name: str, table: str) -> Column:
    """Codebook entry of a ``feat_*`` column, described by the audio package's feature list."""
    from audio.accuracy.published import ACCURACY_NOTES
    from audio.features import FEATURE_DESCRIPTIONS

    feature = name[len(FEATURE_PREFIX) :]
    described = FEATURE_DESCRIPTIONS.get(feature)
    tokens = feature.split("_")
    unit = (
        "1/s"
        if feature.endswith("_per_s")
        else next((_UNIT_TOKENS[t] for t in tokens if t in _UNIT_TOKENS), "none (see description)")
    )
    what = described or f"acoustic feature '{feature}'"
    where = " (same value on every trial of the clip)" if table == "trials" else ""
    accuracy = ACCURACY_NOTES.get(feature, "")
    if feature == "key_name":
        return Column(
            name,
            "str",
            "",
            "e.g. G major, A minor; missing when not computed",
            f"Estimated key as a name: key_estimate and key_mode_estimate together{where}. {accuracy}",
        )
    return Column(
        name,
        "float64",
        unit,
        "real number, missing when not computed",
        f"{what[0].upper() + what[1:]}; computed with librosa from exactly the audio participants heard{where}."
        + (f" {accuracy}" if accuracy else ""),
    )


def _cue_entry(reasons: pd.DataFrame) -> Column:
    """The reasons table's ``cue`` entry with the codes it holds and the words each counts."""
    codes = reasons.drop_duplicates("cue")[["cue", "cue_terms"]]
    base = next(c for c in REASON_COLUMNS if c.name == "cue")
    listed = "; ".join(f"{code} = {terms}" for code, terms in codes.itertuples(index=False))
    return Column(base.name, base.dtype, base.unit, listed, base.description)


def codebook(df: pd.DataFrame, table: str) -> list[Column]:
    """Codebook entries for every column of ``df`` (a trials, participants or clips table).

    Parameters
    ----------
    df : pandas.DataFrame
        The table as exported.
    table : {"trials", "participants", "clips", "versions", "flow", "reasons"}

    Raises
    ------
    ValueError
        For an unknown table name or a column that has no codebook entry.
    """

    known = {
        "trials": TRIAL_COLUMNS,
        "participants": PARTICIPANT_COLUMNS,
        "clips": CLIP_COLUMNS,
        "versions": VERSION_COLUMNS,
        "flow": FLOW_COLUMNS,
        "reasons": REASON_COLUMNS,
    }
    if table not in known:
        raise ValueError(f"unknown table {table!r}; expected one of {sorted(known)}")
    by_name = {c.name: c for c in known[table]}
    if table == "reasons" and {"cue", "cue_terms"} <= set(df.columns) and len(df):
        by_name["cue"] = _cue_entry(df)
    entries = []
    for name in df.columns:
        if name in by_name:
            entries.append(by_name[name])
        elif name.startswith(FEATURE_PREFIX):
            entries.append(_feature_entry(name, table))
        else:
            raise ValueError(f"column {name!r} of the {table} table has no codebook entry")
    return entries

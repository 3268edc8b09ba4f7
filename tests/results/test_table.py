"""The tidy trial table: one typed row per answered trial, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd

from core import db
from results.data import codebook, table
from tests.results.conftest import add_clip, add_participant, add_study_version, add_trial


def _small_study(engine):
    """Two participants (one flagged, one preview) and practice/main/attention/repeat trials."""
    with db.session_scope(engine) as s:
        version = add_study_version(s, n_trials=2)
        human = add_clip(
            s,
            "human",
            features={"tempo_bpm": 120.0, "spectral_centroid_mean_hz": 1500.5},
            title="Nocturne",
            creator="A. Person",
            genre="classical",
            vocals="instrumental",
            pair_id="p1",
        )
        ai = add_clip(
            s,
            "ai",
            features={"tempo_bpm": 96.0},
            ai_system="Suno",
            ai_version="v4",
            genre="classical",
            vocals="instrumental",
            pair_id="p1",
        )
        bare = add_clip(s, "human")  # no features computed yet

        alice = add_participant(
            s,
            version,
            questionnaire={
                "age_band": "25-34",
                "instrument_training_years": "3-5",
                "musician_self_rating": 2,
                "ai_music_heard": "Some",
            },
            screening_passed=True,
            flags={"attention_failed": True, "too_fast": True},
        )
        add_trial(s, alice, 0, human, kind="practice", confidence=6)
        add_trial(
            s,
            alice,
            1,
            human,
            confidence=2,
            valence=7,
            arousal=3,
            moved=8,
            liking=9,
            familiar=False,
            comment="lovely",
            time_to_answer_ms=12000,
            time_to_first_play_ms=800,
            pauses=1,
            seeks=2,
        )
        add_trial(s, alice, 2, ai, confidence=3, valence=4, extra={"too_fast": True})
        add_trial(s, alice, 3, bare, kind="attention", confidence=None, guess=None, attention_answer="blue")
        add_trial(s, alice, 4, human, kind="repeat", confidence=1)
        add_trial(s, alice, 5, ai, answered=False)

        bob = add_participant(s, version, completed=False, screening_passed=None, language="de")
        add_trial(s, bob, 0, ai, confidence=6)

        staff = add_participant(s, version, is_preview=True)
        add_trial(s, staff, 0, ai, confidence=6)
        return alice.id, bob.id, human.id, ai.id


def test_one_row_per_answered_non_practice_trial(engine):
    alice, bob, human, ai = _small_study(engine)
    df = table.load_trial_table(engine)

    assert list(zip(df.participant_id, df.trial_index, df.kind)) == [
        (alice, 1, "main"),
        (alice, 2, "main"),
        (alice, 3, "attention"),
        (alice, 4, "repeat"),
        (bob, 0, "main"),
    ]
    first = df.iloc[0]
    assert (first.clip_id, first.source, first.is_ai, first.guess, first.guessed_ai, first.correct) == (
        human,
        "human",
        False,
        "human",
        False,
        True,
    )
    assert (first.valence, first.arousal, first.moved, first.liking, first.familiar) == (7, 3, 8, 9, False)
    assert (first.comment, first.pauses, first.seeks, first.time_to_answer_ms) == ("lovely", 1, 2, 12000)
    second = df.iloc[1]
    assert (second.source, second.guess, second.correct, second.confidence) == ("ai", "human", False, 3)
    assert pd.isna(second.arousal) and pd.isna(second.familiar)
    attention = df.iloc[2]
    assert pd.isna(attention.guess) and pd.isna(attention.guessed_ai) and pd.isna(attention.confidence)
    assert attention.attention_answer == "blue"


def test_participant_and_clip_columns_are_joined(engine):
    alice, bob, human, ai = _small_study(engine)
    df = table.load_trial_table(engine).set_index(["participant_id", "trial_index"])

    a = df.loc[(alice, 1)]
    assert (a.completed, a.age_band, a.training_years, a.ai_exposure) == (True, "25-34", "3-5", "Some")
    assert a.training_self_rating == 6  # "I would not consider myself a musician": 2 of 7, reverse-scored
    assert pd.isna(a.ai_attitude) and pd.isna(a.practice_years)
    flags = (a.screening_passed, a.flag_attention_failed, a.flag_inconsistent, a.flag_too_fast)
    assert flags == (True, True, False, True)
    assert (a.answer_too_fast, df.loc[(alice, 2), "answer_too_fast"]) == (False, True)
    assert (a.clip_title, a.clip_creator, a.genre, a.vocals, a.pair_id) == (
        "Nocturne",
        "A. Person",
        "classical",
        "instrumental",
        "p1",
    )
    b = df.loc[(bob, 0)]
    assert (b.completed, b.ai_system, b.ai_version, b.flag_attention_failed) == (False, "Suno", "v4", False)
    assert (a.language, b.language) == ("en", "de")  # each participant's language, English by default
    assert pd.isna(b.screening_passed) and pd.isna(b.age_band)


def test_features_become_float_columns_with_missing_values(engine):
    alice, bob, human, ai = _small_study(engine)
    df = table.load_trial_table(engine).set_index(["participant_id", "trial_index"])

    assert table.feature_columns(df) == ["feat_spectral_centroid_mean_hz", "feat_tempo_bpm"]
    assert df.loc[(alice, 1), "feat_spectral_centroid_mean_hz"] == 1500.5
    assert df.loc[(bob, 0), "feat_tempo_bpm"] == 96.0
    assert pd.isna(df.loc[(bob, 0), "feat_spectral_centroid_mean_hz"])
    assert df.loc[(alice, 3), ["feat_tempo_bpm", "feat_spectral_centroid_mean_hz"]].isna().all()


def test_column_types_follow_the_codebook_even_when_empty(engine):
    _small_study(engine)
    for df in (table.load_trial_table(engine), table.empty_trial_table()):
        expected = [c.name for c in codebook.TRIAL_COLUMNS]
        assert list(df.columns[: len(expected)]) == expected
        for column in codebook.TRIAL_COLUMNS:
            assert str(df[column.name].dtype) == column.dtype, column.name
    df = table.load_trial_table(engine)
    assert str(df["answered_at"].dt.tz) == "UTC"


def test_participants_table_counts_answers_and_leaves_out_previews(engine):
    alice, bob, human, ai = _small_study(engine)
    people = table.load_participants_table(engine).set_index("participant_id")

    assert sorted(people.index) == [alice, bob]
    assert (people.loc[alice, "n_answered"], people.loc[alice, "n_trials_assigned"]) == (4, 5)
    assert (people.loc[bob, "n_answered"], people.loc[bob, "completed"]) == (1, False)
    assert people.loc[alice, "duration_min"] == 15.0
    assert people.loc[alice, "age_band"] == "25-34"
    assert (people.loc[alice, "language"], people.loc[bob, "language"]) == ("en", "de")
    for column in codebook.PARTICIPANT_COLUMNS:
        assert str(people.reset_index()[column.name].dtype) == column.dtype, column.name


def test_clips_table_counts_main_ratings_in_the_given_trials(engine):
    alice, bob, human, ai = _small_study(engine)
    trials = table.load_trial_table(engine)
    clips = table.load_clips_table(engine, trials=trials).set_index("clip_id")

    assert clips.loc[human, "n_ratings"] == 1  # the repeat does not count twice
    assert clips.loc[ai, "n_ratings"] == 2
    assert clips.loc[ai, "is_ai"] and clips.loc[ai, "ai_system"] == "Suno"
    assert clips.loc[human, "feat_tempo_bpm"] == 120.0
    only_bob = table.load_clips_table(engine, trials=trials[trials.participant_id == bob]).set_index("clip_id")
    assert only_bob.loc[ai, "n_ratings"] == 1 and only_bob.loc[human, "n_ratings"] == 0


def test_empty_database_gives_empty_typed_tables(engine):
    assert table.load_trial_table(engine).empty
    assert table.load_participants_table(engine).empty
    clips = table.load_clips_table(engine)
    assert clips.empty and list(clips.columns) == [c.name for c in codebook.CLIP_COLUMNS]


def test_codebook_covers_every_column_and_refuses_unknown_ones(engine):
    _small_study(engine)
    df = table.load_trial_table(engine)
    entries = codebook.codebook(df, "trials")
    assert [e.name for e in entries] == list(df.columns)
    assert all(e.description and e.dtype for e in entries)
    try:
        codebook.codebook(df.assign(mystery=1), "trials")
    except ValueError as exc:
        assert "mystery" in str(exc)
    else:
        raise AssertionError("an undocumented column must be refused")


def test_a_simulated_study_written_to_the_database_reads_back_unchanged(sqlite_engine):
    from results.planning.simulate import simulate_study
    from tests.results.conftest import write_simulated_study

    simulated = simulate_study(
        12,
        8,
        n_clips=16,
        n_attention_trials=1,
        rating_missing_rate=0.1,
        share_incomplete=0.3,
        share_flagged=0.3,
        seed=3,
    )
    write_simulated_study(sqlite_engine, simulated)
    loaded = table.load_trial_table(sqlite_engine)

    assert len(loaded) == len(simulated)
    same = [
        "trial_index",
        "kind",
        "source",
        "is_ai",
        "guess",
        "guessed_ai",
        "correct",
        "confidence",
        "valence",
        "arousal",
        "moved",
        "liking",
        "familiar",
        "answered_at",
        "completed",
        "age_band",
        "training_years",
        "training_self_rating",
        "ai_exposure",
        "ai_attitude",
        "screening_passed",
        "language",
        "flag_attention_failed",
        "flag_inconsistent",
        "flag_too_fast",
        "feat_listener_cue",
        "feat_source_marker",
    ]
    expected = simulated[same].assign(answered_at=simulated["answered_at"].dt.floor("us"))  # DB keeps microseconds
    pd.testing.assert_frame_equal(loaded[same], expected, check_dtype=True)


def _statements_to_load(engine) -> int:
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        table.load_trial_table(engine)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_loading_costs_the_same_few_queries_whatever_the_study_size(engine):
    from results.planning.simulate import simulate_study
    from tests.results.conftest import write_simulated_study

    write_simulated_study(engine, simulate_study(2, 4, n_clips=8, seed=1))
    small = _statements_to_load(engine)
    write_simulated_study(engine, simulate_study(20, 8, n_clips=16, seed=2))
    assert _statements_to_load(engine) == small <= 4

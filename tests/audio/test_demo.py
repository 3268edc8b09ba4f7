"""The offline demo corpus: fair, honest about its sources, reproducible, and built through ingest."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from audio.demo import (
    AI_SYSTEM,
    GENRE,
    MAX_VERBATIM_STEPS,
    N_TRAINING_CHORALES,
    build_demo_library,
    markov,
    render_demo_pieces,
    synth,
)
from audio.demo.corpus import (
    STEPS_PER_BAR,
    UnsuitableChorale,
    chorale_paths,
    estimate_key,
    load_chorale,
    load_chorales,
)

SEED = 2026
SECONDS = 8.0
# Words that would give a clip's source away if they appeared in its title or file name.
REVEALING = re.compile(r"human|\bai\b|bach|bwv|markov|generat|model|machine|real|fake", re.IGNORECASE)


def _path_named(name: str):
    return next(path for path in chorale_paths() if path.name == name)


@pytest.fixture(scope="module")
def training():
    """The model's training chorales, exactly as the demo loads them."""
    return load_chorales(chorale_paths()[0::2], limit=N_TRAINING_CHORALES)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The default demo (6 + 6 pieces), rendered here and again in a separate process.

    The second process has another string-hash seed, as a restarted app would.
    """
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    pieces = render_demo_pieces(first, seed=SEED, n_per_source=6, seconds=SECONDS)
    script = (
        "import sys; from audio.demo import render_demo_pieces; "
        "render_demo_pieces(sys.argv[1], seed=int(sys.argv[2]), n_per_source=6, seconds=float(sys.argv[3]))"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(second), str(SEED), str(SECONDS)],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env=dict(os.environ, PYTHONHASHSEED="12345"),
    )
    return pieces, sorted(second.iterdir())


# --- corpus --------------------------------------------------------------------------------------


def test_a_chorale_becomes_a_consistent_grid_in_the_reference_key():
    chorale = load_chorale(_path_named("bwv10.7.mxl"))  # G minor in the score
    assert (chorale.mode, chorale.original_tonic, chorale.transposition) == ("minor", "G", 2)
    assert estimate_key(chorale.pitches) == (9, "minor")  # now A minor
    held = ~chorale.onsets[1:] & (chorale.pitches[1:] > 0)
    assert np.array_equal(chorale.pitches[1:][held], chorale.pitches[:-1][held])
    assert set(np.diff(chorale.bar_positions.astype(int)) % STEPS_PER_BAR) == {1}
    assert chorale.fermatas.any() and chorale.onsets[0].all()
    # The parts land in S, A, T, B order (crossings happen, but the average register is ordered).
    sounding = (chorale.pitches > 0).all(axis=1)
    assert np.all(np.diff(chorale.pitches[sounding].mean(axis=0)) < 0)


def test_chorales_that_are_not_four_voices_in_four_four_are_refused():
    with pytest.raises(UnsuitableChorale, match="not 4/4"):
        load_chorale(_path_named("bwv11.6.mxl"))  # 3/4


def test_training_and_human_pieces_never_overlap(rendered, training):
    pieces, _ = rendered
    training_bwv = {chorale.bwv for chorale in training}
    assert len(training) == N_TRAINING_CHORALES
    for piece in pieces:
        if piece.source == "human":
            bwv = re.search(r"BWV (\S+),", piece.provenance).group(1)
            assert bwv not in training_bwv


# --- model ---------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=30), st.lists(st.lists(st.integers(0, 3), max_size=30), max_size=4))
def test_longest_shared_run_is_the_longest_common_substring(sequence, others):
    expected = 0
    for other in others:
        for i in range(len(sequence)):
            for j in range(len(other)):
                k = 0
                while i + k < len(sequence) and j + k < len(other) and sequence[i + k] == other[j + k]:
                    k += 1
                expected = max(expected, k)
    assert markov.longest_shared_run(np.array(sequence), [np.array(o) for o in others]) == expected


def test_generated_pieces_keep_metre_voice_leading_and_phrases(training):
    model = markov.fit(training)
    leading_tone_share: dict[str, list[float]] = {"major": [], "minor": []}
    for index, mode in enumerate(("major", "minor") * 4):
        state_ids = markov.generate(model, n_steps=96, mode=mode, rng=np.random.default_rng(index))
        pitches, onsets, fermatas, bar_positions = model.vocabulary.decode(state_ids)
        assert pitches.shape == (96, 4)
        assert set(np.diff(bar_positions.astype(int)) % STEPS_PER_BAR) == {1}
        held = ~onsets[1:]
        assert np.array_equal(pitches[1:][held], pitches[:-1][held])
        for step in range(1, 96):
            now, then = pitches[step - 1].astype(int), pitches[step].astype(int)
            for upper in range(4):
                for lower in range(upper + 1, 4):
                    moved = then[upper] != now[upper] and then[lower] != now[lower]
                    interval = (now[upper] - now[lower]) % 12
                    assert not (moved and interval in (0, 7) and (then[upper] - then[lower]) % 12 == interval)
        assert fermatas.any(), "a 12-bar piece has at least one phrase ending"
        leading_tone_share[mode].append(np.mean(pitches[pitches > 0] % 12 == 8))
    # The mode is kept: A minor's leading tone G# is common in minor pieces, rare in C major ones
    # (in the training chorales about 4% and 1% of sounding notes).
    assert np.mean(leading_tone_share["major"]) < 0.02
    assert np.mean(leading_tone_share["minor"]) > 3 * np.mean(leading_tone_share["major"])


def test_same_generator_state_gives_the_same_piece_and_another_seed_another(training):
    model = markov.fit(training)
    one = markov.generate(model, n_steps=48, mode="major", rng=np.random.default_rng(7))
    same = markov.generate(model, n_steps=48, mode="major", rng=np.random.default_rng(7))
    other = markov.generate(model, n_steps=48, mode="major", rng=np.random.default_rng(8))
    assert np.array_equal(one, same) and not np.array_equal(one, other)


def test_generate_refuses_an_unknown_mode(training):
    with pytest.raises(ValueError, match="mode"):
        markov.generate(markov.fit(training[:3]), n_steps=8, mode="dorian", rng=np.random.default_rng(0))


# --- renderer ------------------------------------------------------------------------------------


def test_grid_to_events_ties_held_steps_and_strikes_repeated_notes():
    pitches = np.array([[72, 0, 0, 48], [72, 0, 0, 48], [72, 0, 0, 50], [74, 0, 0, 50]])
    onsets = np.array([[1, 0, 0, 1], [0, 0, 0, 0], [1, 0, 0, 1], [1, 0, 0, 0]], dtype=bool)
    fermatas = np.array([False, False, False, True])
    events = synth.grid_to_events(pitches, onsets, fermatas, transpose=2, quarter_bpm=60.0)
    soprano = [(e.start_s, e.duration_s, e.midi) for e in events if e.voice == 0]
    bass = [(e.start_s, e.duration_s, e.midi) for e in events if e.voice == 3]
    assert soprano == [(0.0, 1.0, 74), (1.0, 0.5, 74), (1.5, 0.5 * synth.FERMATA_HOLD, 76)]
    assert bass == [(0.0, 1.0, 50), (1.0, 0.5 + 0.5 * synth.FERMATA_HOLD, 52)]


def test_render_is_stereo_float32_of_the_exact_length_and_within_full_scale():
    pitches = np.tile([72, 67, 64, 48], (40, 1))
    onsets = np.zeros((40, 4), dtype=bool)
    onsets[::2] = True
    audio = synth.render_grid(pitches, onsets, np.zeros(40, dtype=bool), seconds=3.5)
    assert audio.shape == (int(round(3.5 * synth.SAMPLE_RATE)), 2) and audio.dtype == np.float32
    assert 0.05 < np.abs(audio).max() <= 0.95
    # The fundamental of the soprano's C5 is in the spectrum.
    spectrum = np.abs(np.fft.rfft(audio[:, 0]))
    frequencies = np.fft.rfftfreq(audio.shape[0], 1 / synth.SAMPLE_RATE)
    c5 = 440.0 * 2 ** (3 / 12)
    near = np.abs(frequencies - c5) < 3
    assert spectrum[near].max() > 20 * np.median(spectrum)


# --- the rendered demo set -----------------------------------------------------------------------


def test_half_human_half_generated_in_paired_modes_and_keys(rendered):
    pieces, _ = rendered
    assert len(pieces) == 12
    assert sorted(piece.source for piece in pieces) == ["ai"] * 6 + ["human"] * 6
    pairs: dict[str, list] = {}
    for piece in pieces:
        pairs.setdefault(piece.pair_id, []).append(piece)
    assert len(pairs) == 6
    for members in pairs.values():
        assert sorted(member.source for member in members) == ["ai", "human"]
        assert len({(member.mode, member.key, member.transpose) for member in members}) == 1
    assert sorted(piece.mode for piece in pieces) == ["major"] * 6 + ["minor"] * 6


def test_every_piece_has_the_same_length_format_and_renderer(rendered):
    pieces, _ = rendered
    for piece in pieces:
        info = sf.info(piece.path)
        assert (info.samplerate, info.channels, info.subtype) == (44100, 2, "PCM_24")
        assert info.frames == int(round(SECONDS * 44100))
        # Re-rendering the recorded grid with the one renderer reproduces the file exactly:
        # human and generated pieces take the same code path with the same constants.
        expected = io.BytesIO()
        sf.write(
            expected,
            synth.render_grid(piece.pitches, piece.onsets, piece.fermatas, seconds=SECONDS, transpose=piece.transpose),
            44100,
            subtype="PCM_24",
            format="WAV",
        )
        assert expected.getvalue() == piece.path.read_bytes()


def test_same_seed_gives_byte_identical_files_in_another_process(rendered):
    pieces, again = rendered
    assert [piece.path.name for piece in pieces] == [path.name for path in again]
    for piece, path in zip(pieces, again):
        assert piece.path.read_bytes() == path.read_bytes()
    assert len({piece.path.read_bytes() for piece in pieces}) == 12


def test_titles_and_file_names_are_neutral_and_numbered_without_a_pattern(rendered):
    pieces, _ = rendered
    assert sorted(piece.number for piece in pieces) == list(range(1, 13))
    for piece in pieces:
        assert piece.title == f"Demo chorale {piece.number}"
        assert piece.path.name == f"demo-chorale-{piece.number:02d}.wav"
        assert not REVEALING.search(piece.title) and not REVEALING.search(piece.path.name)
    human_numbers = {piece.number for piece in pieces if piece.source == "human"}
    assert human_numbers not in ({1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}, set(range(1, 13, 2)), set(range(2, 13, 2)))


def test_generated_pieces_do_not_copy_their_training_chorales(rendered, training):
    pieces, _ = rendered
    # An independent vocabulary: the check does not rely on the model's own bookkeeping.
    vocabulary = markov.StateVocabulary()
    training_ids = [vocabulary.encode(chorale) for chorale in training]
    runs = []
    for piece in (p for p in pieces if p.source == "ai"):
        generated = np.array(
            [
                vocabulary.id_of(
                    markov.GridState(
                        pitches=tuple(int(x) for x in piece.pitches[step]),
                        onsets=tuple(bool(x) for x in piece.onsets[step]),
                        bar_position=int(piece.bar_positions[step]),
                        fermata=bool(piece.fermatas[step]),
                    )
                )
                for step in range(piece.pitches.shape[0])
            ]
        )
        run = markov.longest_shared_run(generated, training_ids)
        assert run == piece.longest_verbatim_run <= MAX_VERBATIM_STEPS
        assert f"longest verbatim run {run} eighths" in piece.provenance
        runs.append(run)
    # The guard is not vacuous: generated pieces do reuse short chorale idioms.
    assert max(runs) >= 4


def test_provenance_and_licence_say_where_each_piece_comes_from(rendered):
    pieces, _ = rendered
    for piece in pieces:
        assert piece.licence and len(piece.licence) <= 200
        if piece.source == "human":
            assert piece.creator == "Johann Sebastian Bach" and piece.ai_system is None
            assert re.search(r"J\.S\. Bach, chorale BWV \d+(\.\d+)?, from the music21 corpus", piece.provenance)
            assert "public domain" in piece.provenance and "BSD" in piece.provenance
            assert "Public domain" in piece.licence
        else:
            assert piece.creator is None
            assert (piece.ai_system, piece.ai_version) == (AI_SYSTEM, markov.MODEL_VERSION)
            assert f"trained on {N_TRAINING_CHORALES} Bach chorales from the music21 corpus" in piece.provenance
            assert f"seed {SEED}" in piece.provenance


# --- the whole build, through the ordinary ingest pipeline ---------------------------------------


@pytest.mark.slow
def test_first_run_builds_a_balanced_neutral_demo_library_through_ingest(sqlite_data_env):
    from audio import library
    from audio.processing import ProcessingSettings
    from core import db
    from core.models import Clip

    # A shorter study clip than the default keeps the test quick and shows the build follows
    # the clip length in force.
    with db.session_scope() as session:
        library.save_processing_settings(session, ProcessingSettings(excerpt_seconds=8.0))
    messages: list[str] = []
    ids = build_demo_library(echo=messages.append)
    assert len(ids) == 14 and messages[-1].startswith("Demo library ready")

    with db.session_scope() as session:
        clips = session.scalars(select(Clip).order_by(Clip.id)).all()
        assert library.active_counts(session) == {"human": 7, "ai": 7}
        assert sorted(clip.id for clip in clips) == sorted(ids)
        for clip in clips:
            assert clip.is_demo and clip.genre == GENRE and clip.vocals == "instrumental"
            assert clip.duration_s == pytest.approx(8.0, abs=1e-3) and clip.start_offset_s == 0.0
            assert (clip.sample_rate, clip.channels) == (44100, 2)
            assert re.fullmatch(r"Demo chorale \d+", clip.title)
            assert not REVEALING.search(clip.uploaded_filename or "")
            assert clip.licence and clip.provenance and clip.prompt is None
            assert clip.features is not None and clip.features.values["duration_s"] == pytest.approx(8.0, abs=0.05)
            assert library.clip_path(clip).is_file()
            if clip.source == "ai":
                assert (clip.ai_system, clip.ai_version) == (AI_SYSTEM, markov.MODEL_VERSION)
                run = int(re.search(r"longest verbatim run (\d+) eighths", clip.provenance).group(1))
                assert run <= MAX_VERBATIM_STEPS
            else:
                assert clip.ai_system is None and "BWV" in clip.provenance
        assert sorted(int(clip.title.split()[-1]) for clip in clips) == list(range(1, 15))
        pairs: dict[str, set[str]] = {}
        for clip in clips:
            pairs.setdefault(clip.pair_id, set()).add(clip.source)
        assert len(pairs) == 7 and all(sources == {"human", "ai"} for sources in pairs.values())
        # Loudness normalisation put both sides on the same target.
        for clip in clips:
            assert clip.loudness_flag is None

    # The library is no longer empty: a second start builds nothing.
    assert build_demo_library() == []
    with db.session_scope() as session:
        assert sum(library.active_counts(session).values()) == 14

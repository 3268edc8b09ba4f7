"""Silence, clipping and DC offset in originals: what the excerpt, the features and the import warnings make of them."""

from __future__ import annotations

import numpy as np
import pytest

from audio import library
from audio.damage import clipped_runs, remove_dc
from audio.errors import IngestError
from audio.pipeline import process_audio
from audio.processing import ProcessingSettings
from core import db
from human_touch.cli import main
from tests.audio.signals import SR, file_bytes, music_like, write

SETTINGS = ProcessingSettings(excerpt_seconds=6.0)


def _with_silence(sound_s: float, before_s: float = 0.0, after_s: float = 0.0, seed: int = 0) -> np.ndarray:
    y = music_like(sound_s, seed=seed)
    return np.concatenate([np.zeros((int(before_s * SR), 2)), y, np.zeros((int(after_s * SR), 2))])


def test_trailing_silence_is_left_out_of_the_default_excerpt(tmp_path):
    data = file_bytes(tmp_path, "ends_silent", _with_silence(9.0, after_s=3.0))

    processed = process_audio(data, "ends_silent.wav", SETTINGS)

    assert processed.start_offset_s + SETTINGS.excerpt_seconds <= 9.0 + 1e-3
    assert processed.features["trailing_silence_s"] < 0.05
    assert processed.processing["original_sound_s"] == pytest.approx([0.0, 9.0], abs=0.01)


def test_leading_silence_moves_the_default_excerpt_into_the_sound(tmp_path):
    data = file_bytes(tmp_path, "starts_silent", _with_silence(7.0, before_s=4.0))

    processed = process_audio(data, "starts_silent.wav", SETTINGS)

    assert processed.start_offset_s >= 4.0
    assert processed.features["leading_silence_s"] < 0.05


def test_an_excerpt_reaching_into_the_silence_is_refused_unless_the_organiser_allows_it(tmp_path):
    data = file_bytes(tmp_path, "ends_silent", _with_silence(9.0, after_s=3.0))

    with pytest.raises(
        IngestError, match=r"start or end in digital silence.*from 0\.0 s to 3\.0 s.*allow silent edges"
    ):
        process_audio(data, "ends_silent.wav", SETTINGS, start_offset_s=6.0)

    allowed = ProcessingSettings(excerpt_seconds=6.0, keep_silent_edges=True)
    processed = process_audio(data, "ends_silent.wav", allowed, start_offset_s=6.0)
    # 3 s of the 6 s excerpt are the file's silence; the feature says so (the 0.3 s fade-out lies inside it).
    assert processed.features["trailing_silence_s"] == pytest.approx(3.0, abs=0.05)
    assert processed.features["leading_silence_s"] < 0.05


def test_an_excerpt_may_start_a_few_milliseconds_before_the_first_sound(tmp_path):
    # The demo's synthesiser sounds 0.4 ms in and its pieces are excerpted from 0 s: inaudible, so accepted.
    data = file_bytes(tmp_path, "attack", _with_silence(9.0, before_s=0.01))

    processed = process_audio(data, "attack.wav", SETTINGS, start_offset_s=0.0)

    assert processed.start_offset_s == 0.0
    with pytest.raises(IngestError, match="start or end in digital silence"):
        process_audio(
            file_bytes(tmp_path, "late", _with_silence(9.0, before_s=0.2)), "late.wav", SETTINGS, start_offset_s=0.0
        )


def test_a_pause_inside_the_excerpt_is_measured(tmp_path):
    y = np.concatenate([music_like(3.0, seed=1), np.zeros((2 * SR, 2)), music_like(4.0, seed=2)])
    processed = process_audio(file_bytes(tmp_path, "pause", y), "pause.wav", ProcessingSettings(excerpt_seconds=8.0))

    assert processed.features["longest_silence_s"] == pytest.approx(2.0, abs=0.06)


def test_a_file_with_too_little_sound_between_silences_is_refused(tmp_path):
    data = file_bytes(tmp_path, "short_sound", _with_silence(4.0, before_s=3.0, after_s=3.0))

    with pytest.raises(IngestError, match=r"sound only from 3\.0 s to 7\.0 s"):
        process_audio(data, "short_sound.wav", SETTINGS)


def test_a_clipped_original_warns_and_a_clean_one_does_not(tmp_path):
    clean = 0.5 * music_like(8.0, seed=3) / np.max(np.abs(music_like(8.0, seed=3)))
    clipped = np.clip(clean * 4.0, -1.0, 1.0)  # +12 dB into full scale

    clean_result = process_audio(file_bytes(tmp_path, "clean", clean), "clean.wav", SETTINGS)
    clipped_result = process_audio(file_bytes(tmp_path, "clipped", clipped), "clipped.wav", SETTINGS)

    assert clean_result.warnings == []
    assert any("looks clipped" in warning for warning in clipped_result.warnings)
    assert clipped_result.processing["original_clipping"]["clipped_runs"] > 100


def test_a_clipped_mp3_warns_through_its_inter_sample_peaks(tmp_path):
    clean = 0.5 * music_like(8.0, seed=4) / np.max(np.abs(music_like(8.0, seed=4)))
    clipped = np.clip(clean * 4.0, -1.0, 1.0)

    result = process_audio(file_bytes(tmp_path, "clipped", clipped, kind="mp3"), "clipped.mp3", SETTINGS)

    assert any("looks clipped" in warning for warning in result.warnings)


def test_clipped_runs_counts_only_three_or_more_full_scale_samples():
    y = np.zeros((20, 1))
    y[2:4, 0] = 1.0  # two samples: a peak, not a run
    y[8:11, 0] = -1.0  # three: a run
    y[14:19, 0] = 1.0  # five: a run
    assert clipped_runs(y) == (2, 8)


def test_dc_offset_is_removed_and_recorded_so_level_and_peak_match_the_clean_music(tmp_path):
    music = 0.3 * music_like(8.0, seed=5)
    clean = process_audio(file_bytes(tmp_path, "clean", music, kind="wav_float"), "clean.wav", SETTINGS)
    offset = process_audio(file_bytes(tmp_path, "offset", music + 0.4, kind="wav_float"), "offset.wav", SETTINGS)

    assert offset.processing["dc_offset_removed"] == pytest.approx(0.4, abs=0.01)
    assert offset.processing["high_pass_hz"] == 20.0
    assert any("DC offset of +0.400" in warning for warning in offset.warnings)
    assert offset.true_peak_dbtp == pytest.approx(clean.true_peak_dbtp, abs=0.3)
    assert offset.loudness_after_lufs == pytest.approx(clean.loudness_after_lufs, abs=0.2)
    assert offset.loudness_flag == clean.loudness_flag


def test_the_high_pass_keeps_the_bass_and_removes_sub_audio_drift():
    t = np.arange(4 * SR) / SR
    bass = 0.3 * np.sin(2 * np.pi * 60 * t)
    drift = 0.3 * np.sin(2 * np.pi * 2 * t)
    out = remove_dc(np.stack([bass + drift + 0.2, bass], axis=1), SR)

    middle = slice(SR, 3 * SR)  # away from the edges
    assert np.sqrt(np.mean((out[middle, 0] - bass[middle]) ** 2)) < 0.02
    assert np.abs(out[middle, 1]).max() == pytest.approx(0.3, abs=0.01)


def test_importing_a_clipped_file_on_the_command_line_warns(tmp_path, sqlite_data_env, capsys):
    with db.session_scope() as session:
        library.save_processing_settings(session, ProcessingSettings(excerpt_seconds=5.0))
    clean = 0.5 * music_like(8.0, seed=6) / np.max(np.abs(music_like(8.0, seed=6)))
    path = write(tmp_path / "hot", np.clip(clean * 4.0, -1.0, 1.0))

    code = main(["clips", "import", str(path), "--source", "human"])

    err = capsys.readouterr().err
    assert code == 0
    assert "imported 1, failed 0" in err
    assert "WARNING: the original looks clipped" in err

"""Features checked against signals whose answers are known."""

from __future__ import annotations

import json

import librosa
import numpy as np
import pytest
from scipy import signal

from audio.features import FEATURE_DESCRIPTIONS, SIGNAL_FEATURES, extract_features
from audio.pipeline import process_audio
from audio.processing import ProcessingSettings, integrated_loudness
from tests.audio.signals import SR, music_like, tone, write


def _midi_hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def click_track(bpm: float, seconds: float, sr: int = SR) -> np.ndarray:
    """10 ms 2 kHz bursts every beat."""
    y = np.zeros(int(seconds * sr))
    n = int(0.01 * sr)
    burst = 0.8 * np.sin(2 * np.pi * 2000 * np.arange(n) / sr) * np.hanning(n)
    for start in np.arange(0, seconds - 0.02, 60.0 / bpm):
        i = int(start * sr)
        y[i : i + n] += burst
    return y


def arpeggio(notes: list[int], seconds: float, note_s: float = 0.25, sr: int = SR) -> np.ndarray:
    """Notes (MIDI numbers) in turn, each with 2nd and 3rd harmonics, looped to ``seconds``."""
    t = np.arange(int(note_s * sr)) / sr
    envelope = np.minimum(1.0, np.minimum(t, note_s - t) / 0.01)
    sequence = np.concatenate(
        [sum(0.2 / h * np.sin(2 * np.pi * _midi_hz(note) * h * t) for h in (1, 2, 3)) * envelope for note in notes]
    )
    return np.tile(sequence, int(np.ceil(seconds * sr / sequence.size)))[: int(seconds * sr)]


# I - IV - V - I cadences: the standard way to establish a key.
A_MAJOR_CADENCE = [57, 61, 64, 62, 66, 69, 64, 68, 71, 57, 61, 64]
A_MINOR_CADENCE = [57, 60, 64, 62, 65, 69, 64, 68, 71, 57, 60, 64]


def test_every_named_feature_is_a_finite_plain_float_and_json_safe():
    features = extract_features(music_like(10.0), SR)
    assert tuple(features) == SIGNAL_FEATURES
    assert all(type(value) is float and np.isfinite(value) for value in features.values())
    assert json.loads(json.dumps(features)) == features
    assert set(SIGNAL_FEATURES) < set(FEATURE_DESCRIPTIONS)
    assert all(name == name.lower() and " " not in name for name in FEATURE_DESCRIPTIONS)


def test_click_track_at_120_bpm_gives_tempo_within_2_percent_and_two_onsets_per_second():
    features = extract_features(click_track(120.0, 20.0), SR)
    assert features["tempo_estimate_bpm"] == pytest.approx(120.0, rel=0.02)
    assert features["onset_rate_per_s"] == pytest.approx(2.0, abs=0.1)
    assert features["harmonic_percussive_ratio_db"] < -20


@pytest.mark.parametrize("bpm", [90.0, 140.0])
def test_other_tempi_are_found_too(bpm):
    assert extract_features(click_track(bpm, 20.0), SR)["tempo_estimate_bpm"] == pytest.approx(bpm, rel=0.02)


def test_a_major_cadence_is_a_major_and_a_minor_cadence_is_a_minor():
    major = extract_features(arpeggio(A_MAJOR_CADENCE, 20.0), SR)
    minor = extract_features(arpeggio(A_MINOR_CADENCE, 20.0), SR)
    assert (major["key_estimate"], major["key_mode_estimate"]) == (9.0, 1.0)
    assert (minor["key_estimate"], minor["key_mode_estimate"]) == (9.0, 0.0)
    assert major["key_clarity"] > 0.6
    chroma = [major[f"chroma_{name}_mean"] for name in ("a", "c_sharp", "e")]
    assert min(chroma) > major["chroma_c_mean"]  # the A major triad tones dominate


def test_key_clarity_is_low_for_noise_and_high_for_a_cadence():
    # A correlation with the best of 24 Krumhansl-Kessler profiles: noise's near-flat chroma
    # still correlates by chance (0.36-0.53 over these seeds), a plain cadence near 1.
    noises = [extract_features(0.1 * np.random.default_rng(seed).standard_normal(SR * 10), SR) for seed in range(3)]
    cadence = extract_features(arpeggio(A_MAJOR_CADENCE, 10.0), SR)
    assert max(noise["key_clarity"] for noise in noises) < 0.6 < 0.9 < cadence["key_clarity"]


def test_spectral_shape_of_a_tone_and_of_band_limited_noise():
    sine = extract_features(tone(1000.0, 10.0), SR)
    assert sine["spectral_centroid_hz_mean"] == pytest.approx(1000.0, rel=0.03)
    assert sine["spectral_flatness_mean"] < 0.01
    assert sine["harmonic_percussive_ratio_db"] > 20
    white = 0.1 * np.random.default_rng(1).standard_normal(SR * 10)
    lowpassed = signal.sosfiltfilt(signal.butter(12, 8000, fs=SR, output="sos"), white)
    full, limited = extract_features(white, SR), extract_features(lowpassed, SR)
    assert full["spectral_flatness_mean"] > 0.4
    assert full["spectral_rolloff_99_hz_mean"] > 20000
    assert limited["spectral_rolloff_99_hz_mean"] < 8500
    assert abs(full["harmonic_percussive_ratio_db"]) < 3


def test_rms_level_and_dynamic_range_are_in_db():
    steady = extract_features(tone(440.0, 10.0, amplitude=0.5), SR)
    assert steady["rms_db_mean"] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.3)
    assert steady["rms_db_dynamic_range_db"] < 1.0
    # Alternating 1 s at 0 dB and 1 s at -20 dB: the 95th-5th percentile spread is 20 dB.
    stepped = tone(440.0, 10.0, amplitude=0.5) * np.repeat(np.tile([1.0, 0.1], 5), SR)
    assert extract_features(stepped, SR)["rms_db_dynamic_range_db"] == pytest.approx(20.0, abs=1.0)


def test_shared_stft_gives_the_same_values_as_each_librosa_feature_on_its_own():
    y = music_like(8.0, channels=1)[:, 0].astype(np.float32)
    shared = extract_features(y, SR)
    assert shared["spectral_centroid_hz_mean"] == pytest.approx(
        float(librosa.feature.spectral_centroid(y=y, sr=SR).mean()), rel=1e-5
    )
    assert shared["spectral_contrast_db_mean"] == pytest.approx(
        float(librosa.feature.spectral_contrast(y=y, sr=SR).mean()), rel=1e-5
    )
    assert shared["mfcc_1_mean"] == pytest.approx(
        float(librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13)[0].mean()), rel=1e-4
    )


def test_loudness_before_normalisation_is_measured_on_the_original_level(tmp_path):
    white = np.random.default_rng(2).standard_normal((SR * 12, 2))
    white *= 10 ** ((-20.0 - integrated_loudness(white, SR)) / 20)
    assert integrated_loudness(white, SR) == pytest.approx(-20.0, abs=0.01)
    path = write(tmp_path / "noise", white, kind="wav_float")
    processed = process_audio(path, path.name, ProcessingSettings(excerpt_seconds=8.0))
    assert processed.features["loudness_before_lufs"] == pytest.approx(-20.0, abs=0.5)
    assert processed.features["loudness_lufs"] == pytest.approx(-23.0, abs=0.5)
    assert processed.features["duration_s"] == pytest.approx(8.0)
    assert set(FEATURE_DESCRIPTIONS) == set(processed.features)


def test_spectral_shape_means_equal_librosas_own_functions_silent_frames_included():
    from audio.features import HOP_LENGTH, N_FFT, spectral_shape_means

    y = music_like(6.0).mean(axis=1).astype(np.float32)
    y[: SR // 2] = 0.0  # silent frames count as 0 Hz in librosa too
    magnitude = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP_LENGTH))
    centroid = librosa.feature.spectral_centroid(S=magnitude, sr=SR)
    expected = {
        "spectral_centroid_hz_mean": centroid.mean(),
        "spectral_bandwidth_hz_mean": librosa.feature.spectral_bandwidth(S=magnitude, sr=SR, centroid=centroid).mean(),
        "spectral_rolloff_hz_mean": librosa.feature.spectral_rolloff(S=magnitude, sr=SR, roll_percent=0.85).mean(),
        "spectral_rolloff_99_hz_mean": librosa.feature.spectral_rolloff(S=magnitude, sr=SR, roll_percent=0.99).mean(),
    }
    assert spectral_shape_means(magnitude, SR) == pytest.approx(expected, rel=1e-5)

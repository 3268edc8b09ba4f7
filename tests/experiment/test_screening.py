"""The headphone screening really is a Huggins-pitch test, measured on the WAV participants get."""

import io

import numpy as np
import pytest
import soundfile as sf

from experiment import screening


def interaural_correlation(
    left: np.ndarray, right: np.ndarray, sample_rate: int, low_hz: float, high_hz: float
) -> float:
    """Normalised real cross-spectrum of the two ears between ``low_hz`` and ``high_hz``.

    +1: identical in that band (diotic); -1: one ear phase-inverted.
    """
    spectrum_l = np.fft.rfft(left)
    spectrum_r = np.fft.rfft(right)
    freqs = np.fft.rfftfreq(len(left), 1.0 / sample_rate)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    cross = np.sum(np.real(spectrum_l[band] * np.conj(spectrum_r[band])))
    power = np.sqrt(np.sum(np.abs(spectrum_l[band]) ** 2) * np.sum(np.abs(spectrum_r[band]) ** 2))
    return float(cross / power)


def intervals(audio: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    n = int(round(screening.INTERVAL_S * sample_rate))
    gap = int(round(screening.GAP_S * sample_rate))
    return [audio[i * (n + gap) : i * (n + gap) + n] for i in range(3)]


def decoded(wav: bytes) -> tuple[np.ndarray, int]:
    audio, sample_rate = sf.read(io.BytesIO(wav), dtype="float32")
    return audio, sample_rate


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_only_the_target_interval_has_the_phase_inverted_band(seed):
    for trial in screening.screening_test(seed, n_trials=6):
        audio, sample_rate = decoded(screening.to_wav_bytes(trial.audio, trial.sample_rate))
        assert audio.shape[1] == 2
        centre = screening.HUGGINS_CENTRE_HZ
        for number, part in enumerate(intervals(audio, sample_rate), start=1):
            left, right = part[:, 0], part[:, 1]
            in_band = interaural_correlation(left, right, sample_rate, centre * 0.97, centre * 1.03)
            below = interaural_correlation(left, right, sample_rate, 150, centre * 0.85)
            above = interaural_correlation(left, right, sample_rate, centre * 1.15, 8000)
            assert below > 0.99 and above > 0.99, "outside the band both ears must hear the same noise"
            if number == trial.target:
                assert in_band < -0.9
            else:
                assert in_band > 0.99
                assert np.max(np.abs(left - right)) < 1e-4  # identical up to 16-bit rounding


def test_band_edges_follow_six_percent_around_600_hz():
    rng = np.random.default_rng(3)
    part = screening.huggins_interval(rng, phase_inverted=True)
    rate = screening.SAMPLE_RATE
    left, right = part[:, 0].astype(float), part[:, 1].astype(float)
    assert interaural_correlation(left, right, rate, 600 * 0.95, 600 * 1.05) < -0.9
    assert interaural_correlation(left, right, rate, 600 * 1.08, 600 * 1.3) > 0.95
    assert interaural_correlation(left, right, rate, 600 * 0.7, 600 * 0.92) > 0.95


def test_levels_and_layout():
    trial = screening.screening_test(5, n_trials=1)[0]
    rate = trial.sample_rate
    assert trial.audio.dtype == np.float32
    expected = int(round((3 * screening.INTERVAL_S + 2 * screening.GAP_S) * rate))
    assert trial.audio.shape == (expected, 2)
    parts = intervals(trial.audio, rate)
    for part in parts:
        rms_db = 20 * np.log10(np.sqrt(np.mean(part.astype(float) ** 2)))
        assert abs(rms_db - screening.NOISE_RMS_DBFS) < 1.0
    gap = trial.audio[int(screening.INTERVAL_S * rate) + 10 : int((screening.INTERVAL_S + screening.GAP_S) * rate) - 10]
    assert np.all(gap == 0)
    assert np.max(np.abs(trial.audio)) < 1.0


def test_calibration_noise_is_diotic_pink_at_the_screening_level():
    noise = screening.calibration_noise(duration_s=2.0)
    assert noise.shape == (2 * screening.SAMPLE_RATE, 2)
    assert np.array_equal(noise[:, 0], noise[:, 1])
    middle = noise[screening.SAMPLE_RATE // 4 : -screening.SAMPLE_RATE // 4, 0].astype(float)
    rms_db = 20 * np.log10(np.sqrt(np.mean(middle**2)))
    assert abs(rms_db - screening.NOISE_RMS_DBFS) < 1.0
    # Pink: roughly equal power per octave, so 1-2 kHz and 4-8 kHz differ by far less than white noise's 6 dB.
    spectrum = np.abs(np.fft.rfft(middle)) ** 2
    freqs = np.fft.rfftfreq(len(middle), 1.0 / screening.SAMPLE_RATE)
    octave_low = spectrum[(freqs >= 1000) & (freqs < 2000)].sum()
    octave_high = spectrum[(freqs >= 4000) & (freqs < 8000)].sum()
    assert abs(10 * np.log10(octave_high / octave_low)) < 1.5


def test_test_is_deterministic_and_targets_match():
    first = screening.screening_test(11, n_trials=6)
    again = screening.screening_test(11, n_trials=6)
    assert [t.target for t in first] == [t.target for t in again] == screening.screening_targets(11, 6)
    assert all(np.array_equal(a.audio, b.audio) for a, b in zip(first, again))
    targets = [t for seed in range(200) for t in screening.screening_targets(seed, 6)]
    assert set(targets) == {1, 2, 3}


def test_scoring_pass_mark():
    targets = [1, 2, 3, 1, 2, 3]
    assert screening.score_screening([1, 2, 3, 1, 2, 1], targets, pass_mark=5).passed
    score = screening.score_screening([1, 2, 3, 1, 1, 1], targets, pass_mark=5)
    assert (score.n_correct, score.passed) == (4, False)
    with pytest.raises(ValueError, match="expected 6 answers"):
        screening.score_screening([1, 2], targets, pass_mark=5)

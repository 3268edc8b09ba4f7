"""Audio check: a calibration sound and the Huggins-pitch headphone screening, generated in code.

Huggins pitch (Milne et al. 2021, "An online headphone screening test based on dichotic pitch",
Behavior Research Methods 53:1551-1562): white noise is presented to both ears; in one of three
intervals one channel's phase is inverted (shifted by pi) in a narrow band around 600 Hz
(+-6 %). Over headphones this dichotic difference is heard as a faint tone inside the noise;
over loudspeakers the two channels mix in the air and the tone disappears. The participant says
which interval held the tone (3-AFC). Milne et al. use 6 trials and pass a listener who gets all 6
right (the default ``passMark = 6`` of their reference code, ChaitLabUCL/HeadphoneCheck_Test); 5 of 6
is Woods et al. (2017)'s criterion for their different antiphase test. The study settings choose
the criterion (:data:`experiment.settings.SCREENING_CRITERIA`); the default follows Milne et al.

All arrays are float32 with shape ``(n_samples, 2)`` (columns: left, right) in -1..1.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import soundfile as sf

SAMPLE_RATE = 44_100
HUGGINS_CENTRE_HZ = 600.0
HUGGINS_HALF_BANDWIDTH = 0.06
"""Half-width of the phase-inverted band as a fraction of the centre frequency (+-6 %)."""
INTERVAL_S = 1.0
GAP_S = 0.5
RAMP_S = 0.02
NOISE_RMS_DBFS = -20.0
"""RMS level of every noise (calibration and screening), so the volume set at calibration holds."""


@dataclass(frozen=True)
class HugginsTrial:
    """One three-interval screening trial.

    Attributes
    ----------
    audio : ndarray, shape (n_samples, 2), float32
        Three noise intervals of ``INTERVAL_S`` separated by ``GAP_S`` of silence.
    sample_rate : int
    target : int
        1-based number of the interval holding the Huggins pitch.
    """

    audio: np.ndarray
    sample_rate: int
    target: int


@dataclass(frozen=True)
class ScreeningScore:
    n_correct: int
    n_trials: int
    passed: bool


def _db_to_amplitude(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def _ramp(n_samples: int, sample_rate: int, ramp_s: float = RAMP_S) -> np.ndarray:
    """Raised-cosine onset and offset ramps of ``ramp_s`` seconds (shape (n_samples,))."""
    n_ramp = min(int(round(ramp_s * sample_rate)), n_samples // 2)
    envelope = np.ones(n_samples)
    if n_ramp:
        rise = 0.5 * (1.0 - np.cos(np.pi * np.arange(n_ramp) / n_ramp))
        envelope[:n_ramp] = rise
        envelope[n_samples - n_ramp :] = rise[::-1]
    return envelope


def calibration_noise(
    duration_s: float = 4.0, sample_rate: int = SAMPLE_RATE, seed: int = 0, rms_dbfs: float = NOISE_RMS_DBFS
) -> np.ndarray:
    """Diotic pink noise at a fixed RMS level, for setting a comfortable volume.

    Parameters
    ----------
    duration_s : float
        Length in seconds.
    sample_rate : int
        Hz.
    seed : int
        Noise seed (the sound is the same for everyone).
    rms_dbfs : float
        RMS level in dB relative to full scale (the screening noise uses the same level).

    Returns
    -------
    ndarray, shape (n_samples, 2), float32
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate))
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate)
    # 1/f power = 1/sqrt(f) amplitude; leave DC at zero.
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0.0
    mono = np.fft.irfft(spectrum, n)
    mono *= _db_to_amplitude(rms_dbfs) / np.sqrt(np.mean(mono**2))
    mono *= _ramp(n, sample_rate, 0.05)
    return np.repeat(mono[:, None], 2, axis=1).astype(np.float32)


def huggins_interval(
    rng: np.random.Generator,
    phase_inverted: bool,
    duration_s: float = INTERVAL_S,
    sample_rate: int = SAMPLE_RATE,
    centre_hz: float = HUGGINS_CENTRE_HZ,
    half_bandwidth: float = HUGGINS_HALF_BANDWIDTH,
    rms_dbfs: float = NOISE_RMS_DBFS,
) -> np.ndarray:
    """One white-noise interval; with ``phase_inverted`` the right channel is pi-shifted in the band.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the noise (fresh noise per interval).
    phase_inverted : bool
        Invert the phase of the right channel between ``centre_hz * (1 -+ half_bandwidth)``.
    duration_s, sample_rate, centre_hz, half_bandwidth, rms_dbfs
        Seconds, Hz, Hz, fraction, dB FS.

    Returns
    -------
    ndarray, shape (n_samples, 2), float32
        Identical channels outside the band (diotic); opposite sign inside it when inverted.
    """
    n = int(round(duration_s * sample_rate))
    spectrum = np.fft.rfft(rng.standard_normal(n))
    left = np.fft.irfft(spectrum, n)
    if phase_inverted:
        freqs = np.fft.rfftfreq(n, d=1.0 / sample_rate)
        band = (freqs >= centre_hz * (1 - half_bandwidth)) & (freqs <= centre_hz * (1 + half_bandwidth))
        spectrum = spectrum.copy()
        spectrum[band] *= -1.0
    right = np.fft.irfft(spectrum, n)
    scale = _db_to_amplitude(rms_dbfs) / np.sqrt(np.mean(left**2))
    envelope = _ramp(n, sample_rate) * scale
    return np.stack([left * envelope, right * envelope], axis=1).astype(np.float32)


def huggins_trial(
    rng: np.random.Generator,
    target: int,
    sample_rate: int = SAMPLE_RATE,
    interval_s: float = INTERVAL_S,
    gap_s: float = GAP_S,
) -> HugginsTrial:
    """Three intervals, the ``target``-th (1-based) holding the Huggins pitch."""
    if target not in (1, 2, 3):
        raise ValueError(f"target must be 1, 2 or 3, got {target}")
    silence = np.zeros((int(round(gap_s * sample_rate)), 2), dtype=np.float32)
    parts: list[np.ndarray] = []
    for interval in (1, 2, 3):
        if parts:
            parts.append(silence)
        parts.append(huggins_interval(rng, interval == target, interval_s, sample_rate))
    return HugginsTrial(audio=np.concatenate(parts), sample_rate=sample_rate, target=target)


def screening_test(seed: int, n_trials: int = 6, sample_rate: int = SAMPLE_RATE) -> list[HugginsTrial]:
    """A full screening test, deterministic for ``seed`` (targets and noise).

    Targets are drawn uniformly from 1..3 per trial, so a listener who hears nothing scores
    about one in three.
    """
    return [screening_sound(seed, number, n_trials, sample_rate) for number in range(1, n_trials + 1)]


def screening_sound(seed: int, number: int, n_trials: int = 6, sample_rate: int = SAMPLE_RATE) -> HugginsTrial:
    """Trial ``number`` (1-based) of :func:`screening_test` alone, without making the others.

    Its noise comes from its own generator (seeded by ``seed`` and ``number``), so a page makes
    only the sound it plays (about 17 ms and 0.7 MB each).
    """
    target = screening_targets(seed, n_trials)[number - 1]
    return huggins_trial(np.random.default_rng([seed, number]), target, sample_rate)


def screening_targets(seed: int, n_trials: int = 6) -> list[int]:
    """Only the correct intervals of :func:`screening_test` (cheap: no audio generated)."""
    rng = np.random.default_rng(seed)
    return [int(t) for t in rng.integers(1, 4, size=n_trials)]


def score_screening(answers: Sequence[int], targets: Sequence[int], pass_mark: int) -> ScreeningScore:
    """Count correct answers; passed when at least ``pass_mark`` are right.

    Raises
    ------
    ValueError
        ``answers`` and ``targets`` differ in length.
    """
    if len(answers) != len(targets):
        raise ValueError(f"expected {len(targets)} answers, got {len(answers)}")
    n_correct = sum(int(a) == int(t) for a, t in zip(answers, targets))
    return ScreeningScore(n_correct=n_correct, n_trials=len(targets), passed=n_correct >= pass_mark)


def to_wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """Encode a float array (n_samples, channels) as 16-bit PCM WAV bytes."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()

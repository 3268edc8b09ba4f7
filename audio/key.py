"""Key of a clip: which of the 24 major and minor keys its pitch-class content matches best.

Measured on ground-truth sets (``benchmarks/feature_accuracy.py``, :mod:`audio.accuracy`), the
textbook recipe (mean ``chroma_stft`` or ``chroma_cqt`` power matched to the Krumhansl-Kessler
profiles) lands a fifth too high or on the relative key far too often: the third harmonic of every
note is a twelfth above it, so overtones add weight to the dominant, and the Krumhansl-Kessler
profiles give non-scale tones more weight than music does. :func:`key_evidence` therefore
combines two pitch-class summaries that overtones sway less, and :func:`key_from_chroma` matches
them with the Albrecht & Shanahan (2013) corpus profiles:

* CENS chroma (``librosa.feature.chroma_cens``: CQT with 3 bins per semitone, per-frame
  normalised, quantised and smoothed) of the signal resampled to 11.025 kHz (the CQT needs
  nothing above 4 kHz; resampling first costs 5 ms and makes the CQT cheap), hop 2048 samples;
* STFT chroma of the *magnitude* (not power: a loud partial counts less) below 2 kHz (the upper
  partials, which carry most of the fifth bias, are left out), summed over frames.

Each is scaled to unit length and the two are added. The profile and the two summaries were
chosen on the development half of the chorale set and the progression sets; the held-out
chorale tunes score it independently (see :data:`audio.accuracy.published.MEASURED_ACCURACY`).
"""

from __future__ import annotations

from functools import lru_cache

from core.config import configure_numba_cache

configure_numba_cache()

import librosa  # noqa: E402  (the numba cache location must be set first)
import numpy as np  # noqa: E402

# Key profiles, C major then C minor (pitch classes C..B); the others are rolled to each tonic.
#: Krumhansl & Kessler (1982) probe-tone ratings: the classic Krumhansl-Schmuckler profiles.
KRUMHANSL_KESSLER = (
    np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
    np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]),
)
#: Temperley (2007, "Music and Probability", Kostka-Payne corpus): pitch-class probabilities.
TEMPERLEY = (
    np.array([0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400]),
    np.array([0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330]),
)
#: Albrecht & Shanahan (2013): pitch-class durations in a corpus of common-practice pieces.
ALBRECHT_SHANAHAN = (
    np.array([0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081]),
    np.array([0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052]),
)

_KEY_SR = 11025
_KEY_HOP = 2048
_STFT_CHROMA_MAX_HZ = 2000.0


def key_from_chroma(
    chroma_mean: np.ndarray, profiles: tuple[np.ndarray, np.ndarray] = KRUMHANSL_KESSLER
) -> tuple[int, int, float]:
    """Best-matching key of a 12-bin pitch-class vector (the Krumhansl-Schmuckler method).

    Parameters
    ----------
    chroma_mean : np.ndarray, shape (12,)
        Pitch-class weights, C..B.
    profiles : (np.ndarray, np.ndarray), each shape (12,)
        Major and minor key profile on C.

    Returns
    -------
    pitch_class : int
        Tonic, 0 = C ... 11 = B.
    major : int
        1 for major, 0 for minor.
    correlation : float
        Pearson correlation with the winning profile (-1..1); higher means a clearer key.
    """
    chroma_mean = np.asarray(chroma_mean, dtype=np.float64)
    if not np.ptp(chroma_mean) > 0:  # silence or flat noise: no key, report C major with 0
        return 0, 1, 0.0
    # All 24 rolled profiles at once: row = 12 * (1 - major) + tonic.
    rolled = np.stack([np.roll(profile, tonic) for profile in profiles for tonic in range(12)])
    centred = rolled - rolled.mean(axis=1, keepdims=True)
    x = chroma_mean - chroma_mean.mean()
    correlations = centred @ x / (np.linalg.norm(centred, axis=1) * np.linalg.norm(x))
    best = int(np.argmax(correlations))
    return best % 12, 1 - best // 12, float(correlations[best])


KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def key_name(tonic: int, major: int) -> str:
    """``(7, 1)`` -> ``"G major"``; ``(9, 0)`` -> ``"A minor"``."""
    return f"{KEY_NAMES[int(tonic) % 12]} {'major' if major else 'minor'}"


@lru_cache(maxsize=4)
def _low_chroma_filters(sr: int, n_fft: int) -> np.ndarray:
    """librosa's chroma filter bank (A = 440 Hz) for the STFT bins up to 2 kHz, shape (12, n_low_bins), float32."""
    n_low = int(np.sum(librosa.fft_frequencies(sr=sr, n_fft=n_fft) <= _STFT_CHROMA_MAX_HZ))
    return librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0)[:, :n_low].astype(np.float32)


def key_evidence(mono: np.ndarray, magnitude: np.ndarray, sr: int, n_fft: int) -> np.ndarray:
    """The 12-bin pitch-class summary the key is read from (see the module docstring).

    Parameters
    ----------
    mono : np.ndarray, shape (n,), float32
        The clip, one channel.
    magnitude : np.ndarray, shape (1 + n_fft // 2, n_frames)
        Its magnitude STFT.
    sr : int
        Sample rate, Hz.
    n_fft : int
        FFT length of ``magnitude``.

    Returns
    -------
    np.ndarray, shape (12,), pitch classes C..B, non-negative (all zero for silence).
    """
    low_rate = librosa.resample(mono, orig_sr=sr, target_sr=_KEY_SR, res_type="soxr_qq")
    cens = librosa.feature.chroma_cens(y=low_rate, sr=_KEY_SR, hop_length=_KEY_HOP, tuning=0.0).mean(axis=1)
    filters = _low_chroma_filters(sr, n_fft)  # what chroma_stft(norm=None) applies, bins <= 2 kHz only
    stft = (filters @ magnitude[: filters.shape[1]]).sum(axis=1)
    return sum((part / norm if (norm := np.linalg.norm(part)) > 0 else part) for part in (cens, stft))


def estimate_key(mono: np.ndarray, magnitude: np.ndarray, sr: int, n_fft: int) -> tuple[int, int, float]:
    """(tonic 0 = C .. 11 = B, major 1 / minor 0, profile correlation) of a clip: :func:`key_evidence`
    matched to the Albrecht-Shanahan profiles."""
    return key_from_chroma(key_evidence(mono, magnitude, sr, n_fft), ALBRECHT_SHANAHAN)

"""Acoustic features of exactly what participants hear (the decoded served MP3).

:func:`extract_features` computes one magnitude STFT and derives every spectral feature from
it (``S=`` is passed to each librosa function), instead of letting each feature recompute its
own transform. Numba's compiled kernels are cached on disk (``NUMBA_CACHE_DIR``, set by
:func:`core.config.configure_numba_cache` before librosa is imported), so only the very first
process on a machine pays the compile time.

Tempo and key are *estimates* (named ``*_estimate``): librosa's tempo can land on half or double
the perceived tempo, and a key profile match (:mod:`audio.key`) is a summary of pitch-class
content, not an analysis. Their accuracy on ground-truth sets is measured by
``benchmarks/feature_accuracy.py`` and quoted in :data:`audio.accuracy.published.MEASURED_ACCURACY`.
Every value is a plain ``float``; names are stable snake_case with units in the name.
Bump :data:`FEATURE_VERSION` whenever a definition changes.
"""

from __future__ import annotations

from core.config import configure_numba_cache

configure_numba_cache()

import librosa  # noqa: E402  (the numba cache location must be set first)
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from audio.key import estimate_key  # noqa: E402
from audio.tempo import tempo_readings  # noqa: E402

#: Version of the feature definitions; stored with every feature row.
#: 5: key as plain librosa (chroma_cqt, Krumhansl-Kessler); tempo with the double lag's support and its alternative;
#: 4: silence features; 3: key from CENS + low STFT chroma, Albrecht-Shanahan profiles.
FEATURE_VERSION = "5"

N_FFT = 2048
HOP_LENGTH = 512
N_MELS = 128
N_MFCC = 13

PITCH_CLASS_NAMES = ("c", "c_sharp", "d", "d_sharp", "e", "f", "f_sharp", "g", "g_sharp", "a", "a_sharp", "b")

#: Every feature name with a short human description (unit included). Stable order.
FEATURE_DESCRIPTIONS: dict[str, str] = {
    "duration_s": "duration of the served clip, s",
    "leading_silence_s": "silence at the start of the served clip (frames below -70 dBFS RMS), s",
    "trailing_silence_s": "silence at the end of the served clip (frames below -70 dBFS RMS), s",
    "longest_silence_s": "longest silence inside the served clip, between sound (frames below -70 dBFS RMS), s",
    "loudness_before_lufs": "integrated loudness of the excerpt before normalisation, LUFS",
    "loudness_lufs": "integrated loudness of the served clip, LUFS",
    "true_peak_dbtp": "true peak of the served clip (4x oversampled), dBTP",
    "rms_db_mean": "mean frame RMS level, dB re amplitude 1 (a full-scale sine is -3 dB)",
    "rms_db_dynamic_range_db": "95th minus 5th percentile of frame RMS level, dB",
    "spectral_centroid_hz_mean": "mean spectral centroid, Hz",
    "spectral_bandwidth_hz_mean": "mean spectral bandwidth, Hz",
    "spectral_rolloff_hz_mean": "mean frequency below which 85% of the spectral energy lies, Hz",
    "spectral_rolloff_99_hz_mean": "mean frequency below which 99% of the spectral energy lies, Hz "
    "(reveals band-limited sources)",
    "spectral_flatness_mean": "mean spectral flatness (0 tonal .. 1 noise-like)",
    "spectral_contrast_db_mean": "mean spectral contrast over bands and frames, dB",
    "zero_crossing_rate_mean": "mean zero-crossing rate, crossings per sample",
    "onset_rate_per_s": "detected onsets per second",
    "tempo_estimate_bpm": "estimated tempo, beats per minute (may be half or double the felt tempo, or 4:3 / 3:2 "
    "of it where the music can be felt in 3 or in 4, e.g. reels and strathspeys)",
    "tempo_alternative_bpm": "the strongest other metrical reading of the beat (not the estimate, its double or "
    "half), beats per minute; 0 when there is none",
    "tempo_alternative_strength": "how strong that reading is against the estimate (prior-weighted onset "
    "autocorrelation ratio, 0..1); 0.8 or more: the tempo is ambiguous between the two",
    "key_estimate": "estimated key tonic as pitch class (0 = C ... 11 = B)",
    "key_mode_estimate": "estimated mode: 1 = major, 0 = minor",
    "key_clarity": "correlation of the key's pitch-class summary with the best Krumhansl-Kessler key profile (-1..1; "
    "white noise about 0.35-0.55 by chance, a plain cadence 0.95)",
    "harmonic_percussive_ratio_db": "harmonic to percussive energy ratio (median-filter HPSS), dB, limited to +-60 dB",
    "stereo_width": "side energy / (mid + side energy) of the served stereo (0 mono, 0.5 uncorrelated, 1 anti-phase)",
    "bandwidth_hz": "highest frequency whose long-term level is 20 dB above the top-of-band floor, Hz "
    "(an earlier lossy encode cuts it, typically at 15-19 kHz)",
    **{f"mfcc_{i}_mean": f"mean MFCC coefficient {i}" for i in range(1, N_MFCC + 1)},
    **{
        f"chroma_{name}_mean": f"mean chroma energy of pitch class {name.replace('_sharp', '#').upper()} (0..1)"
        for name in PITCH_CLASS_NAMES
    },
}

#: Loudness facts of the served clip measured by the ingest pipeline (which has them anyway)
#: and stored with the features; :func:`extract_features` does not recompute them.
MEASURED_AT_INGEST = ("loudness_before_lufs", "loudness_lufs", "true_peak_dbtp")

#: Names :func:`extract_features` returns.
SIGNAL_FEATURES = tuple(name for name in FEATURE_DESCRIPTIONS if name not in MEASURED_AT_INGEST)

_EPS = 1e-10

#: Frame RMS level at or below which a frame counts as silent, dB re full scale. The served clip
#: is normalised (about -23 LUFS), so music sits 40-50 dB above this; digital silence and the
#: first ~10 ms of the fade-in fall below it.
SILENCE_FRAME_DB = -70.0

# HPSS runs on power pooled over 4 bins x 4 frames (86 Hz x 46 ms cells at 44.1 kHz): a
# median filter over the full STFT costs ~2.5 s per 30 s clip, the pooled one ~0.05 s, and
# the energy ratio stays within ~1-2 dB of the full-resolution one.
_HPSS_POOL = 4
HPR_LIMIT_DB = 60.0
_HPSS_KERNEL = 9  # pooled cells: ~0.4 s along time, ~0.8 kHz along frequency, as librosa's 31 bins


def harmonic_percussive_ratio_db(magnitude: np.ndarray) -> float:
    """Harmonic-to-percussive energy ratio of a magnitude spectrogram, dB.

    Median-filtering HPSS (Fitzgerald 2010, ``librosa.decompose.hpss`` with soft masks) on
    the power spectrogram pooled over ``_HPSS_POOL`` bins by ``_HPSS_POOL`` frames.

    Parameters
    ----------
    magnitude : np.ndarray, shape (n_bins, n_frames)
        Magnitude STFT (``N_FFT``, ``HOP_LENGTH``).

    Returns
    -------
    float
        ``10 log10(E_harmonic / E_percussive)``, limited to +-``HPR_LIMIT_DB``.
    """
    power = magnitude**2
    n_bins = (power.shape[0] - 1) // _HPSS_POOL * _HPSS_POOL  # drop the Nyquist bin
    n_frames = max(power.shape[1] // _HPSS_POOL, 1) * _HPSS_POOL
    power = np.pad(power[:n_bins, :n_frames], ((0, 0), (0, max(n_frames - power.shape[1], 0))))
    pooled = power.reshape(n_bins // _HPSS_POOL, _HPSS_POOL, n_frames).sum(axis=1)
    pooled = pooled.reshape(pooled.shape[0], n_frames // _HPSS_POOL, _HPSS_POOL).sum(axis=2)
    harmonic, percussive = librosa.decompose.hpss(np.sqrt(pooled), kernel_size=_HPSS_KERNEL)
    ratio_db = 10.0 * np.log10((np.sum(harmonic**2) + _EPS) / (np.sum(percussive**2) + _EPS))
    # Synthetic sounds can lack one component entirely (-160 dB); such outliers would swamp
    # any comparison between clips, and beyond 60 dB the weaker part is inaudible anyway.
    return float(np.clip(ratio_db, -HPR_LIMIT_DB, HPR_LIMIT_DB))


def stereo_width(y: np.ndarray) -> float:
    """Share of the side signal in the energy of a stereo clip: ``E_side / (E_mid + E_side)``.

    ``mid = (L + R) / 2``, ``side = (L - R) / 2``. 0 for mono (or a mono source duplicated to
    both channels), 0.5 for uncorrelated channels, 1 for channels in anti-phase; 0 for one
    channel or silence.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames,) or (n_frames, channels)
    """
    if y.ndim != 2 or y.shape[1] < 2:
        return 0.0
    left, right = y[:, 0].astype(np.float64), y[:, 1].astype(np.float64)
    mid, side = np.sum((left + right) ** 2), np.sum((left - right) ** 2)
    return float(side / (mid + side)) if mid + side > 0 else 0.0


def bandwidth_hz(power: np.ndarray, sr: int, margin_db: float = 20.0) -> float:
    """Highest frequency with content: the long-term level rises ``margin_db`` above the top-band floor.

    A lossy encode (MP3, AAC) removes everything above its low-pass (about 16 kHz at 128 kbit/s);
    audio that went through one before the study keeps that cliff after our own encode, whose
    low-pass is higher. The floor is the median level of the top 3 % of bins.

    Parameters
    ----------
    power : np.ndarray, shape (n_bins, n_frames)
        Power STFT (``N_FFT`` bins).
    sr : int
        Sample rate, Hz.
    margin_db : float
        Level above the floor that counts as content, dB.
    """
    ltas_db = 10.0 * np.log10(power.mean(axis=1) + _EPS)
    ltas_db = np.convolve(np.pad(ltas_db, 2, mode="edge"), np.ones(5) / 5, mode="valid")  # ~100 Hz smoothing
    floor_db = np.median(ltas_db[-max(3, len(ltas_db) * 3 // 100) :])
    above = np.flatnonzero(ltas_db > floor_db + margin_db)
    return float(above[-1] * sr / N_FFT) if above.size else 0.0


def silence_seconds(
    rms_db: np.ndarray, sr: int, hop_length: int = HOP_LENGTH, frame_length: int = N_FFT
) -> dict[str, float]:
    """Leading, trailing and longest internal silence of a clip from its frame RMS levels, seconds.

    A frame is silent at or below :data:`SILENCE_FRAME_DB`. Leading (trailing) silence is the run of
    silent frames at the start (end); the longest silence is the longest silent run between the
    first and last sounding frame. A frame sounds when any of its ``frame_length`` samples does,
    so a run of ``k`` silent frames stands for ``k - 1`` hops plus one frame of silence (half a
    frame at the clip's edges, where frames are centred on the first and last sample). Resolution:
    one hop (11.6 ms at 44.1 kHz).

    Parameters
    ----------
    rms_db : np.ndarray, shape (n_frames,)
        Frame RMS level, dB re full scale (``librosa.feature.rms`` with ``center=True``).
    sr : int
        Sample rate, Hz.
    hop_length, frame_length : int
        Samples between frames and per frame.
    """
    sounding = np.flatnonzero(rms_db > SILENCE_FRAME_DB)
    if sounding.size == 0:
        whole = len(rms_db) * hop_length / sr
        return {"leading_silence_s": whole, "trailing_silence_s": whole, "longest_silence_s": 0.0}

    def run_seconds(frames: int, extra: float) -> float:
        return float((frames - 1) * hop_length + extra) / sr if frames > 0 else 0.0

    gaps = np.diff(sounding) - 1  # silent frames between consecutive sounding frames
    return {
        "leading_silence_s": run_seconds(int(sounding[0]), frame_length / 2),
        "trailing_silence_s": run_seconds(int(len(rms_db) - 1 - sounding[-1]), frame_length / 2),
        "longest_silence_s": run_seconds(int(gaps.max()) if gaps.size else 0, frame_length),
    }


def spectral_shape_means(magnitude: np.ndarray, sr: int) -> dict[str, float]:
    """Mean spectral centroid, bandwidth and 85 % / 99 % roll-off of a magnitude STFT, Hz.

    The same definitions as ``librosa.feature.spectral_centroid``, ``spectral_bandwidth`` (p = 2)
    and ``spectral_rolloff`` (silent frames count as 0 Hz, as there), computed from two
    matrix-vector products and one cumulative sum shared by both roll-offs: librosa's functions
    each sweep the whole spectrogram several times (~170 ms of a 30 s clip, this ~40 ms).

    Parameters
    ----------
    magnitude : np.ndarray, shape (1 + N_FFT // 2, n_frames)
    sr : int
        Hz.
    """
    freqs = librosa.fft_frequencies(sr=sr, n_fft=2 * (magnitude.shape[0] - 1))
    # Products in the spectrogram's own float32 (a float64 operand would copy all of it first);
    # frame means then agree with librosa's float64 sums to ~1e-6.
    moments = np.stack([np.ones_like(freqs), freqs, freqs**2]).astype(magnitude.dtype) @ magnitude
    total, first, second = (row.astype(np.float64) for row in moments)
    safe = np.where(total > 0, total, 1.0)
    centroid = first / safe
    second_moment = second / safe
    bandwidth = np.sqrt(np.maximum(second_moment - centroid**2, 0.0))
    cumulative = np.cumsum(magnitude, axis=0)
    means = {
        "spectral_centroid_hz_mean": float(centroid.mean()),
        "spectral_bandwidth_hz_mean": float(bandwidth.mean()),
    }
    for name, share in (("spectral_rolloff_hz_mean", 0.85), ("spectral_rolloff_99_hz_mean", 0.99)):
        first_at_or_above = np.sum(cumulative < share * cumulative[-1], axis=0)
        means[name] = float(freqs[np.minimum(first_at_or_above, len(freqs) - 1)].mean())
    return means


def extract_features(y: np.ndarray, sr: int) -> dict[str, float]:
    """Compute every signal feature of one clip from a single shared STFT.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames,) or (n_frames, channels)
        The audio as participants hear it (soundfile layout); channels are averaged to mono.
    sr : int
        Sample rate, Hz. Kept as is (not resampled to 22.05 kHz) so the spectral features
        see the full band up to ``sr / 2``.

    Returns
    -------
    dict of str to float
        One entry per name in :data:`SIGNAL_FEATURES`.
    """
    # One BLAS thread: the products here are thin (12 to 128 rows), so more threads mostly spin,
    # and bulk ingest already runs one extraction per worker process. On this 2-core machine one
    # thread took 0.31 s CPU per 30 s clip against 0.47 s with BLAS's default threads.
    with threadpool_limits(limits=1, user_api="blas"):
        return _signal_features(y, sr)


def _signal_features(y: np.ndarray, sr: int) -> dict[str, float]:
    """:func:`extract_features` without the thread limit."""
    y = np.asarray(y, dtype=np.float32)
    mono = np.ascontiguousarray(y.mean(axis=1) if y.ndim == 2 else y)
    features: dict[str, float] = {"duration_s": mono.shape[0] / sr, "stereo_width": stereo_width(y)}

    magnitude = np.abs(librosa.stft(mono, n_fft=N_FFT, hop_length=HOP_LENGTH))
    power = magnitude**2

    # RMS and zero crossings are time-domain frame statistics (no transform to share); RMS from
    # the Hann-windowed STFT would read 4.3 dB low.
    frame_rms = librosa.feature.rms(y=mono, frame_length=N_FFT, hop_length=HOP_LENGTH)[0]
    rms_db = librosa.amplitude_to_db(frame_rms, ref=1.0, amin=_EPS)
    features["rms_db_mean"] = rms_db.mean()
    features["rms_db_dynamic_range_db"] = np.percentile(rms_db, 95) - np.percentile(rms_db, 5)
    features.update(silence_seconds(rms_db, sr))

    features.update(spectral_shape_means(magnitude, sr))
    features["spectral_flatness_mean"] = librosa.feature.spectral_flatness(S=magnitude).mean()
    features["spectral_contrast_db_mean"] = librosa.feature.spectral_contrast(S=magnitude, sr=sr).mean()
    features["zero_crossing_rate_mean"] = librosa.feature.zero_crossing_rate(
        mono, frame_length=N_FFT, hop_length=HOP_LENGTH
    ).mean()

    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=N_MELS))
    onset_envelope = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=HOP_LENGTH)
    onsets = librosa.onset.onset_detect(onset_envelope=onset_envelope, sr=sr, hop_length=HOP_LENGTH)
    features["onset_rate_per_s"] = len(onsets) / features["duration_s"]
    tempo = tempo_readings(onset_envelope, sr, HOP_LENGTH)
    features["tempo_estimate_bpm"] = tempo.tempo_bpm
    features["tempo_alternative_bpm"] = tempo.alternative_bpm
    features["tempo_alternative_strength"] = tempo.alternative_strength

    # tuning=0 (A = 440 Hz) skips librosa's pitch-tracking tuning estimate, which costs more
    # than the chroma itself; a detuning of a third of a semitone still leaves the key profile
    # match intact.
    chroma_mean = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=N_FFT, tuning=0.0).mean(axis=1)
    tonic, major, clarity = estimate_key(mono, sr)
    features["key_estimate"] = tonic
    features["key_mode_estimate"] = major
    features["key_clarity"] = clarity

    features["harmonic_percussive_ratio_db"] = harmonic_percussive_ratio_db(magnitude)
    features["bandwidth_hz"] = bandwidth_hz(power, sr)

    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)
    for i in range(N_MFCC):
        features[f"mfcc_{i + 1}_mean"] = mfcc[i].mean()
    for name, value in zip(PITCH_CLASS_NAMES, chroma_mean):
        features[f"chroma_{name}_mean"] = value

    return {name: float(features[name]) for name in SIGNAL_FEATURES}

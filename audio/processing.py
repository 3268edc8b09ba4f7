"""Pure signal processing that turns a decoded excerpt into the file participants hear.

Every clip goes through the same chain, in this order:

1. :func:`to_format`: mix to the target channel count and resample (soxr, very high quality),
   then :func:`audio.damage.remove_dc` (the mean and everything below 20 Hz).
2. :func:`apply_fades`: the same raised-cosine fade-in and fade-out on every clip.
3. :func:`normalise_loudness`: one static gain to the target integrated loudness
   (ITU-R BS.1770-4 via pyloudnorm). Never a limiter or compressor: the music's dynamics are
   what listeners judge. If the target would push the true peak (4x oversampled) above the
   ceiling, the gain is lowered until the peak meets the ceiling and the clip is flagged as
   quieter than the target (``loudness_flag``); the organiser sees it in the library and the
   balance report and can replace the clip or choose another excerpt.
4. :func:`encode_mp3`: MP3 at one constant bit rate, 44.1 kHz stereo, no tags (see its notes).

All functions take and return float arrays of shape ``(n_frames, channels)`` (soundfile's
layout) and never touch files or the database.
"""

from __future__ import annotations

import io
import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import soundfile as sf
import soxr

#: The codec label stored with every served clip.
CODEC = "mp3-cbr"

#: MPEG-1 layer III bit rates a study may use, kbit/s (below 128 kbit/s artefacts become audible).
MP3_BITRATES_KBPS = (128, 160, 192, 224, 256, 320)

#: Oversampling factor for true-peak measurement (ITU-R BS.1770-4 Annex 2 uses 4x at 48 kHz).
TRUE_PEAK_OVERSAMPLING = 4


@dataclass(frozen=True)
class ProcessingSettings:
    """How every clip is cut, levelled and encoded; saved as JSON in ``library_settings``.

    Attributes
    ----------
    excerpt_seconds : float
        Length of the clip participants hear, seconds (the study's clip length).
    sample_rate : int
        Served sample rate, Hz.
    channels : int
        Served channel count (2: stereo; mono sources are duplicated to both channels).
    fade_seconds : float
        Length of the fade-in and of the fade-out, seconds.
    target_lufs : float
        Target integrated loudness, LUFS.
    true_peak_ceiling_dbtp : float
        Highest allowed true peak of the served (decoded) file, dBTP.
    mp3_bitrate_kbps : int
        Constant MP3 bit rate, kbit/s (one of :data:`MP3_BITRATES_KBPS`). Constant, so that every
        served clip of the same length has the same byte size (see :func:`encode_mp3`). The default,
        320 kbit/s, is the highest MP3 rate: LAME's low-pass then sits at about 20.2 kHz (19.5 kHz at
        256 kbit/s), so even broadband material keeps its loudness within 0.5 LU of the target
        after encoding (white noise: -0.4 LU at 320, -0.5 at 256 kbit/s); 800 kB per 20 s clip.
    keep_silent_edges : bool
        Let an excerpt start or end in the original's leading or trailing digital silence. Off by
        default: the excerpt is cut from the sounding part, because silence a listener hears at a
        clip's start or end can tell the sources apart (see :mod:`audio.damage`).
    """

    excerpt_seconds: float = 20.0
    sample_rate: int = 44100
    channels: int = 2
    fade_seconds: float = 0.3
    target_lufs: float = -23.0
    true_peak_ceiling_dbtp: float = -1.0
    mp3_bitrate_kbps: int = 320
    keep_silent_edges: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not (1.0 <= self.excerpt_seconds <= 600.0):
            problems.append("clip length must be between 1 and 600 seconds")
        if self.sample_rate not in (32000, 44100, 48000):
            problems.append("sample rate must be 32000, 44100 or 48000 Hz (MP3 rates browsers play)")
        if self.channels not in (1, 2):
            problems.append("channels must be 1 or 2")
        if not (0.0 <= self.fade_seconds <= self.excerpt_seconds / 4):
            problems.append("fade length must be between 0 and a quarter of the clip length")
        if not (-40.0 <= self.target_lufs <= -5.0):
            problems.append("target loudness must be between -40 and -5 LUFS")
        if not (-20.0 <= self.true_peak_ceiling_dbtp <= 0.0):
            problems.append("true-peak ceiling must be between -20 and 0 dBTP")
        if self.mp3_bitrate_kbps not in MP3_BITRATES_KBPS:
            problems.append(f"MP3 bit rate must be one of {', '.join(map(str, MP3_BITRATES_KBPS))} kbit/s")
        if problems:
            raise ValueError("; ".join(problems))

    def to_dict(self) -> dict:
        """Plain JSON-safe dict (stored in ``library_settings.config`` and ``clips.processing``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ProcessingSettings:
        """Build settings from a stored dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True)
class LoudnessResult:
    """Outcome of :func:`normalise_loudness`.

    Attributes
    ----------
    before_lufs : float
        Integrated loudness of the input, LUFS.
    after_lufs : float
        Integrated loudness after the gain, LUFS.
    true_peak_dbtp : float
        True peak after the gain, dBTP (4x oversampled).
    gain_db : float
        The static gain applied, dB.
    flag : str or None
        Why the clip is not at the target, or ``None`` when it is.
    """

    before_lufs: float
    after_lufs: float
    true_peak_dbtp: float
    gain_db: float
    flag: str | None


def _as_2d(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    return y[:, np.newaxis] if y.ndim == 1 else y


def to_format(y: np.ndarray, sr: int, *, sample_rate: int, channels: int) -> np.ndarray:
    """Mix to ``channels`` and resample to ``sample_rate``.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames,) or (n_frames, n_channels)
        Input audio, float, in [-1, 1].
    sr : int
        Input sample rate, Hz.
    sample_rate : int
        Output sample rate, Hz.
    channels : int
        Output channel count, 1 or 2. Mono to stereo duplicates the channel; stereo to
        mono averages the two channels.

    Returns
    -------
    np.ndarray, shape (n_out, channels), float64
    """
    y = _as_2d(y).astype(np.float64, copy=False)
    if y.shape[1] != channels:
        mono = y.mean(axis=1, keepdims=True)
        y = np.repeat(mono, channels, axis=1)
    if sr != sample_rate:
        y = soxr.resample(y, sr, sample_rate, quality="VHQ")
    return np.ascontiguousarray(y)


def fit_length(y: np.ndarray, n_frames: int) -> np.ndarray:
    """Cut or zero-pad ``y`` (n, ch) at the end to exactly ``n_frames`` frames.

    Resampling and MP3 decoders can be off by a few frames; the served clips must all have
    the same length.
    """
    y = _as_2d(y)
    if y.shape[0] >= n_frames:
        return y[:n_frames]
    pad = np.zeros((n_frames - y.shape[0], y.shape[1]), dtype=y.dtype)
    return np.concatenate([y, pad], axis=0)


def apply_fades(y: np.ndarray, sr: int, fade_seconds: float) -> np.ndarray:
    """Apply a raised-cosine (half-Hann) fade-in and fade-out of ``fade_seconds`` each.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames, channels)
    sr : int
        Sample rate, Hz.
    fade_seconds : float
        Length of each fade, seconds; 0 leaves ``y`` unchanged.

    Returns
    -------
    np.ndarray, same shape as ``y`` (a new array).
    """
    y = _as_2d(y).astype(np.float64, copy=True)
    n_fade = min(int(round(fade_seconds * sr)), y.shape[0] // 2)
    if n_fade <= 0:
        return y
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(n_fade) + 0.5) / n_fade)
    y[:n_fade] *= ramp[:, np.newaxis]
    y[-n_fade:] *= ramp[::-1, np.newaxis]
    return y


def integrated_loudness(y: np.ndarray, sr: int) -> float:
    """Integrated loudness (ITU-R BS.1770-4, gated), LUFS; ``-inf`` for silence.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames,) or (n_frames, channels)
    sr : int
        Sample rate, Hz.
    """
    # Imported here: pyloudnorm pulls in scipy.signal (2.6 s of a 7.7 s app import), which every replica
    # paid at start-up (and again after a restart) although only ingest measures loudness.
    import pyloudnorm

    meter = pyloudnorm.Meter(sr)
    with np.errstate(divide="ignore"):
        return float(meter.integrated_loudness(_as_2d(y).astype(np.float64, copy=False)))


def true_peak_dbtp(y: np.ndarray, sr: int, oversampling: int = TRUE_PEAK_OVERSAMPLING) -> float:
    """True peak in dBTP: the sample peak after ``oversampling``-times upsampling (soxr).

    Parameters
    ----------
    y : np.ndarray, shape (n_frames,) or (n_frames, channels)
    sr : int
        Sample rate, Hz.
    oversampling : int
        Upsampling factor (4 as in ITU-R BS.1770-4 Annex 2).

    Returns
    -------
    float
        ``20 log10(max |y_up|)``; ``-inf`` for silence.
    """
    y = _as_2d(y).astype(np.float64, copy=False)
    upsampled = soxr.resample(y, sr, sr * oversampling, quality="VHQ") if oversampling > 1 else y
    peak = float(np.max(np.abs(upsampled))) if upsampled.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def normalise_loudness(
    y: np.ndarray,
    sr: int,
    *,
    target_lufs: float,
    true_peak_ceiling_dbtp: float,
) -> tuple[np.ndarray, LoudnessResult]:
    """Scale ``y`` by one static gain to ``target_lufs`` without exceeding the true-peak ceiling.

    When the target gain would take the true peak above the ceiling, the gain is lowered so the
    true peak equals the ceiling, and the result carries a flag saying how far below the target
    the clip is. No limiting or compression is ever applied.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames, channels)
    sr : int
        Sample rate, Hz.
    target_lufs : float
        Target integrated loudness, LUFS.
    true_peak_ceiling_dbtp : float
        Highest allowed true peak, dBTP.

    Returns
    -------
    y_out : np.ndarray, same shape as ``y``
    result : LoudnessResult

    Raises
    ------
    ValueError
        When the input is too quiet or too short to measure (integrated loudness is -inf).
    """
    before = integrated_loudness(y, sr)
    if not math.isfinite(before):
        raise ValueError("the excerpt is silent or too quiet to measure its loudness")
    peak_before = true_peak_dbtp(y, sr)
    gain_db = target_lufs - before
    flag = None
    if peak_before + gain_db > true_peak_ceiling_dbtp:
        gain_db = true_peak_ceiling_dbtp - peak_before
        flag = below_target_flag(before + gain_db, target_lufs, true_peak_ceiling_dbtp)
    y_out = _as_2d(y) * (10.0 ** (gain_db / 20.0))
    result = LoudnessResult(
        before_lufs=before,
        after_lufs=before + gain_db,
        true_peak_dbtp=peak_before + gain_db,
        gain_db=gain_db,
        flag=flag,
    )
    return y_out, result


def below_target_flag(reached_lufs: float, target_lufs: float, ceiling_dbtp: float) -> str:
    """The ``loudness_flag`` text for a clip held below the target by the true-peak ceiling."""
    return (
        f"below target: {reached_lufs:.1f} LUFS instead of {target_lufs:g} LUFS, because the "
        f"{ceiling_dbtp:g} dBTP true-peak ceiling was reached (no limiter is used)"
    )


def encode_mp3(y: np.ndarray, sr: int, *, bitrate_kbps: int) -> bytes:
    """Encode to constant-bit-rate MP3 with libsndfile (LAME) and return the file bytes.

    Constant bit rate is a blinding measure: with variable bit rate the file size follows how
    hard the music is to code, and size alone told human from AI clips apart (AUC 0.75 in the
    demo library). At a constant rate every frame of a given sample rate has the same length
    (LAME's padding-bit pattern depends only on the frame count), so clips of the same length
    have exactly the same byte size whatever their content. This uses libsndfile's own CBR mode
    (``bitrate_mode="CONSTANT"``, soundfile >= 0.13 with libsndfile >= 1.1), so no padding or
    container trick is needed for equal sizes.

    libsndfile writes no ID3 or APE tags unless string metadata is set (it never is here). The
    first MPEG frame is a Xing/LAME "Info" frame; it is kept because browsers use it to skip the
    encoder delay. It holds the frame count, a seek table, the encoder name and version (the
    same "LAME3.100" for every clip) and the settings, plus a CRC of the audio, which would be a
    per-clip fingerprint: :func:`audio.listener_copy.listener_copy` changes it for every listener.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames, channels)
        Audio in [-1, 1].
    sr : int
        Sample rate, Hz.
    bitrate_kbps : int
        Constant bit rate, kbit/s (one of :data:`MP3_BITRATES_KBPS`).

    Returns
    -------
    bytes
    """
    buffer = io.BytesIO()
    sf.write(
        buffer,
        np.ascontiguousarray(_as_2d(y), dtype=np.float32),
        sr,
        format="MP3",
        subtype="MPEG_LAYER_III",
        bitrate_mode="CONSTANT",
        compression_level=_cbr_compression_level(bitrate_kbps),
    )
    return buffer.getvalue()


def _cbr_compression_level(bitrate_kbps: int) -> float:
    """libsndfile's compression level for a constant ``bitrate_kbps`` at 32-48 kHz.

    libsndfile sets ``320 - level * 288`` kbit/s, truncated to an integer, and LAME takes the
    nearest valid rate; aiming half a kbit/s high keeps the truncation from landing one below.
    """
    return min(1.0, max(0.0, (320.0 - bitrate_kbps - 0.5) / 288.0))


def decode_mp3(data: bytes) -> tuple[np.ndarray, int]:
    """Decode MP3 bytes as a browser would: ``(samples (n, channels) float32, sample_rate)``."""
    samples, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return samples, int(sr)

"""The processing pipeline of one clip: decode -> excerpt -> fades -> loudness -> encode -> features.

    original file -> decode + validate, keep the excerpt   (:mod:`audio.decode`)
                  -> clipping and DC facts of the excerpt   (:mod:`audio.damage`)
                  -> format, DC removal, fades, loudness    (:mod:`audio.processing`)
                  -> MP3, re-measured after decoding        (:func:`encode_under_ceiling`)
                  -> features of the decoded MP3            (:mod:`audio.features`)

Pure with respect to storage: nothing here writes a file or touches the database, so
:func:`process_audio` runs in the worker processes of a bulk import and its result
(:class:`ProcessedClip`) is what :mod:`audio.storage` turns into files and rows.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.damage import HIGH_PASS_HZ, ClippingFacts, clipping_facts, remove_dc
from audio.decode import DecodedExcerpt, DecodeLimits, decode_excerpt
from audio.errors import IngestError
from audio.features import FEATURE_VERSION, extract_features
from audio.processing import (
    LoudnessResult,
    ProcessingSettings,
    apply_fades,
    below_target_flag,
    decode_mp3,
    encode_mp3,
    fit_length,
    integrated_loudness,
    normalise_loudness,
    to_format,
    true_peak_dbtp,
)

#: Allowed distance of a served clip's loudness from the target before it is flagged, LU.
LOUDNESS_TOLERANCE_LU = 0.5

#: ``clips.processing["start_offset_rule"]``: how the excerpt start was chosen.
START_RULE_DEFAULT = "default: one third in"
START_RULE_ORGANISER = "set by organiser"

#: Most encode passes spent pulling a clip's decoded true peak under the ceiling.
_MAX_ENCODE_PASSES = 4


@dataclass
class ProcessedClip:
    """Everything :func:`process_audio` produced for one file (picklable; nothing stored yet).

    Sample rates in Hz, durations in seconds, loudness in LUFS, peaks in dBTP. ``warnings`` are
    for the organiser at import (clipping, a removed DC offset); the clip is stored all the same.
    """

    original_sha256: str
    original_extension: str
    served_bytes: bytes
    served_sha256: str
    start_offset_s: float
    duration_s: float
    sample_rate: int
    channels: int
    original_duration_s: float
    original_sample_rate: int
    original_channels: int
    loudness_before_lufs: float
    loudness_after_lufs: float
    true_peak_dbtp: float
    loudness_flag: str | None
    processing: dict
    features: dict[str, float]
    warnings: list[str] = field(default_factory=list)


@dataclass
class EncodedClip:
    """The served file of one clip and what its decoded audio measures.

    Attributes
    ----------
    served : bytes
        The MP3 participants are sent.
    decoded : np.ndarray, shape (n_frames, channels)
        ``served`` decoded and fitted to the excerpt length.
    peak_dbtp : float
        True peak of ``decoded``, dBTP.
    correction_db : float
        Extra gain applied to keep the decoded peak under the ceiling (<= 0), dB.
    passes : int
        Encode passes used.
    """

    served: bytes
    decoded: np.ndarray
    peak_dbtp: float
    correction_db: float
    passes: int


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def process_audio(
    source: str | os.PathLike | bytes,
    filename: str,
    settings: ProcessingSettings,
    *,
    start_offset_s: float | None = None,
    original_sha256: str | None = None,
    limits: DecodeLimits | None = None,
) -> ProcessedClip:
    """Run decode, validation, processing, encoding and feature extraction for one file.

    Pure with respect to storage: writes no file and touches no database, so it can run in a
    worker process.

    Parameters
    ----------
    source : path or bytes
        The original file.
    filename : str
        Display name for messages.
    settings : ProcessingSettings
        Clip length, format, fades, loudness target and ceiling, MP3 quality.
    start_offset_s : float or None
        Excerpt start in the original, seconds; ``None`` for the default rule
        (:func:`audio.decode.default_start_s`).
    original_sha256 : str or None
        Hash of the original if the caller already computed it.
    limits : DecodeLimits, optional
        Size, duration, sample-rate and channel limits.

    Raises
    ------
    IngestError
        The file cannot be used; the message says why.
    """
    excerpt = decode_excerpt(
        source,
        filename,
        excerpt_seconds=settings.excerpt_seconds,
        start_s=start_offset_s,
        limits=limits,
        keep_silent_edges=settings.keep_silent_edges,
    )
    damage = clipping_facts(
        excerpt.samples, excerpt.info.sample_rate, true_peak_dbtp(excerpt.samples, excerpt.info.sample_rate)
    )
    y, loudness = _levelled_excerpt(excerpt, filename, settings)
    sr = settings.sample_rate
    encoded = encode_under_ceiling(y, sr, settings)
    loudness_after = integrated_loudness(encoded.decoded, sr)
    features = extract_features(encoded.decoded, sr)
    features.update(
        loudness_before_lufs=float(loudness.before_lufs),
        loudness_lufs=float(loudness_after),
        true_peak_dbtp=float(encoded.peak_dbtp),
    )
    info = excerpt.info
    return ProcessedClip(
        original_sha256=original_sha256
        or (sha256_hex(source) if isinstance(source, bytes) else file_sha256(Path(source))),
        original_extension=info.extension,
        served_bytes=encoded.served,
        served_sha256=sha256_hex(encoded.served),
        start_offset_s=excerpt.start_s,
        duration_s=encoded.decoded.shape[0] / sr,
        sample_rate=sr,
        channels=settings.channels,
        original_duration_s=info.duration_s,
        original_sample_rate=info.sample_rate,
        original_channels=info.channels,
        loudness_before_lufs=float(loudness.before_lufs),
        loudness_after_lufs=float(loudness_after),
        true_peak_dbtp=float(encoded.peak_dbtp),
        loudness_flag=_loudness_flag(loudness, loudness_after, encoded.correction_db, settings),
        processing=_processing_record(settings, excerpt, loudness, encoded, start_offset_s, damage),
        features=features,
        warnings=damage.warnings(),
    )


def _levelled_excerpt(
    excerpt: DecodedExcerpt, filename: str, settings: ProcessingSettings
) -> tuple[np.ndarray, LoudnessResult]:
    """The excerpt in the study's format and length, faded and normalised (before encoding)."""
    sr = settings.sample_rate
    n_frames = int(round(settings.excerpt_seconds * sr))
    y = fit_length(
        to_format(excerpt.samples, excerpt.info.sample_rate, sample_rate=sr, channels=settings.channels), n_frames
    )
    y = remove_dc(y, sr)
    y = apply_fades(y, sr, settings.fade_seconds)
    try:
        return normalise_loudness(
            y, sr, target_lufs=settings.target_lufs, true_peak_ceiling_dbtp=settings.true_peak_ceiling_dbtp
        )
    except ValueError:
        raise IngestError(
            f"{filename}: the excerpt starting at {excerpt.start_s:g} s is too quiet to measure its "
            f"loudness; choose another start offset or file."
        ) from None


def _loudness_flag(
    loudness: LoudnessResult, loudness_after: float, correction_db: float, settings: ProcessingSettings
) -> str | None:
    """The warning stored with a clip whose served file misses the loudness target, else None.

    The flag describes the served file as measured, after any codec-peak correction.
    """
    held_down = loudness.flag is not None or (
        correction_db < 0 and settings.target_lufs - loudness_after > LOUDNESS_TOLERANCE_LU
    )
    if held_down:
        return below_target_flag(loudness_after, settings.target_lufs, settings.true_peak_ceiling_dbtp)
    if abs(loudness_after - settings.target_lufs) > LOUDNESS_TOLERANCE_LU:
        return (
            f"off target: {loudness_after:.1f} LUFS measured on the served file (target {settings.target_lufs:g} LUFS)"
        )
    return None


def _processing_record(
    settings: ProcessingSettings,
    excerpt: DecodedExcerpt,
    loudness: LoudnessResult,
    encoded: EncodedClip,
    start_offset_s: float | None,
    damage: ClippingFacts,
) -> dict:
    """``clips.processing``: enough to rebuild the served file from the original, and what the original showed."""
    return {
        "settings": settings.to_dict(),
        "feature_version": FEATURE_VERSION,
        "start_offset_rule": START_RULE_DEFAULT if start_offset_s is None else START_RULE_ORGANISER,
        "gain_db": round(loudness.gain_db + encoded.correction_db, 3),
        "encode_passes": encoded.passes,
        "original_format": f"{excerpt.info.format}/{excerpt.info.subtype}",
        "high_pass_hz": HIGH_PASS_HZ,
        "dc_offset_removed": round(damage.dc_offset, 5),
        "original_clipping": damage.to_dict(),
        "original_sound_s": [round(excerpt.extent.start_s, 3), round(excerpt.extent.end_s, 3)],
    }


def encode_under_ceiling(y: np.ndarray, sr: int, settings: ProcessingSettings) -> EncodedClip:
    """Encode, decode and re-measure; lower the gain while the decoded true peak is over the ceiling.

    Lossy coding changes the waveform, so a peak exactly at the ceiling before encoding can
    land a few tenths of a dB above it after decoding. The ceiling is a promise about what
    participants' browsers decode, so it is checked there.

    Parameters
    ----------
    y : np.ndarray, shape (n_frames, channels)
        The levelled excerpt at ``sr``.
    sr : int
        Sample rate, Hz.
    settings : ProcessingSettings
        MP3 quality and the true-peak ceiling (dBTP).
    """
    correction_db = 0.0
    n_frames = y.shape[0]
    for passes in range(1, _MAX_ENCODE_PASSES + 1):
        scaled = y * (10.0 ** (correction_db / 20.0))
        served = encode_mp3(scaled, sr, bitrate_kbps=settings.mp3_bitrate_kbps)
        decoded, decoded_sr = decode_mp3(served)
        decoded = fit_length(decoded, n_frames)
        peak = true_peak_dbtp(decoded, decoded_sr)
        excess = peak - settings.true_peak_ceiling_dbtp
        if excess <= 0:
            return EncodedClip(served, decoded, peak, correction_db, passes)
        # A small margin: the next encode moves the peak again by a little.
        correction_db -= excess + 0.05
    raise IngestError(
        "the clip's true peak stayed above the ceiling after re-encoding; please report this file to the developers."
    )


def process_guarded(
    source: str | os.PathLike | bytes,
    display: str,
    settings: ProcessingSettings,
    start_offset_s: float | None,
    original_sha256: str,
) -> ProcessedClip:
    """:func:`process_audio`, with any unexpected failure turned into an :class:`IngestError`."""
    try:
        return process_audio(source, display, settings, start_offset_s=start_offset_s, original_sha256=original_sha256)
    except IngestError:
        raise
    except Exception as error:  # a decoder or DSP failure must never take the app down
        raise IngestError(f"{display}: the file could not be processed ({type(error).__name__}).") from None

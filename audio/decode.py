"""Read and validate an audio file before anything about it is stored.

Every clip, whether uploaded on a page, imported from the command line or built for the demo,
passes :func:`probe` (cheap header checks from ``sf.info``, before any decoding) and then
:func:`decode_excerpt` (a streaming decode of the whole file that validates every block and
keeps only the excerpt the study plays). A file that fails raises
:class:`~audio.errors.IngestError` with a message meant for the organiser. Byte-level container
checks (non-audio files, truncated Ogg/WAV, VBR MP3 without a length header) are :mod:`audio.containers`.

Accepted formats (what libsndfile decodes reliably here): WAV, FLAC, OGG Vorbis, OGG Opus,
MP3 and AIFF. M4A/AAC is not readable by libsndfile and is rejected with a message naming the
formats that work.

Policies
--------
* More than two channels is rejected, not downmixed: libsndfile does not report the channel
  layout reliably, and a blind downmix of a 5.1 file can drop or double the centre and LFE;
  the organiser should export the stereo mix they want participants to hear.
* Sample rates below 8 kHz or above 192 kHz, files over 200 MiB and files longer than 20 min
  are rejected from the header alone (limits in :class:`DecodeLimits`).
* A file that decodes to fewer frames than its header announces, an Ogg stream without its
  end-of-stream page, or a WAV whose data chunk is cut short is reported as truncated. A
  variable-bitrate MP3 without a Xing/VBRI length header is rejected: libsndfile would guess
  its length from the first frame and silently cut it.
* Non-finite samples (NaN/inf in float WAV) and files that are digitally silent are rejected.
* The excerpt lies inside the sounding part of the file (its leading and trailing digital silence
  left out) unless the organiser allows silent edges (``keep_silent_edges``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from audio.containers import (
    FileSource,
    container_problem,
    describe_non_audio,
    open_for_soundfile,
    read_prefix,
    size_of,
)
from audio.damage import EDGE_TOLERANCE_S, ExtentTracker, SoundingExtent
from audio.errors import IngestError

SUPPORTED_FORMATS_TEXT = "WAV, FLAC, OGG (Vorbis or Opus), MP3 or AIFF"

#: libsndfile major formats accepted, mapped to the file extension used for the stored original.
ACCEPTED_FORMATS: dict[str, str] = {
    "WAV": "wav",
    "WAVEX": "wav",
    "RF64": "wav",
    "FLAC": "flac",
    "OGG": "ogg",
    "MP3": "mp3",
    "AIFF": "aiff",
}

#: File name endings collected when a folder is imported (explicitly named files are always tried).
AUDIO_EXTENSIONS = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff"})

_BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class DecodeLimits:
    """Limits checked from the file size and header before the audio is decoded.

    Attributes
    ----------
    max_bytes : int
        Largest accepted file, in bytes (default 200 MiB, Streamlit's ``server.maxUploadSize = 200``).
    max_duration_s : float
        Longest accepted recording, in seconds (default 20 min).
    min_sample_rate, max_sample_rate : int
        Accepted sample-rate range in Hz (default 8 kHz to 192 kHz).
    max_channels : int
        Most channels accepted (default 2; see the module notes on multichannel files).
    """

    max_bytes: int = 200 * 1024 * 1024
    max_duration_s: float = 20 * 60.0
    min_sample_rate: int = 8000
    max_sample_rate: int = 192000
    max_channels: int = 2


@dataclass(frozen=True)
class AudioInfo:
    """Header facts of a file that passed :func:`probe`.

    Attributes
    ----------
    format : str
        libsndfile major format, e.g. ``"MP3"``, ``"FLAC"``.
    subtype : str
        libsndfile subtype, e.g. ``"PCM_16"``, ``"VORBIS"``.
    sample_rate : int
        Hz.
    channels : int
        1 or 2.
    frames : int
        Frames announced by the header (per channel).
    duration_s : float
        ``frames / sample_rate``.
    size_bytes : int
        File size.
    extension : str
        Extension used for the stored original (without dot), from the detected format.
    """

    format: str
    subtype: str
    sample_rate: int
    channels: int
    frames: int
    duration_s: float
    size_bytes: int
    extension: str


@dataclass
class DecodedExcerpt:
    """The validated excerpt of a file, as decoded (before any processing).

    Attributes
    ----------
    samples : np.ndarray, shape (n_frames, channels), float32
        The excerpt, in the file's own sample rate and channel count.
    info : AudioInfo
        The file's header facts.
    start_s : float
        Where the excerpt starts in the file, seconds.
    extent : SoundingExtent
        Where the whole file has sound (first to last sample above digital silence), seconds.
    """

    samples: np.ndarray
    info: AudioInfo
    start_s: float
    extent: SoundingExtent


def probe(source: FileSource, filename: str, limits: DecodeLimits | None = None) -> AudioInfo:
    """Check a file from its size and header alone, before decoding any audio.

    Parameters
    ----------
    source : path or bytes
        The file on disk, or its bytes (page upload).
    filename : str
        The name to use in messages (a display name; never used to open anything).
    limits : DecodeLimits, optional
        Size, duration, sample-rate and channel limits (defaults when omitted).

    Returns
    -------
    AudioInfo

    Raises
    ------
    IngestError
        Empty or oversized file, unsupported or unrecognised format, no frames, a sample
        rate, channel count or duration outside the limits, an Ogg file without its
        end-of-stream page, a WAV file whose data chunk is cut short.
    """
    limits = limits or DecodeLimits()
    size = size_of(source)
    _check_size(size, filename, limits)
    raw = _read_header(source, filename)
    _check_stream(raw, filename, limits)
    problem = container_problem(source, raw.format, size)
    if problem is not None:
        raise IngestError(f"{filename}: {problem}")
    duration_s = raw.frames / raw.samplerate
    if duration_s > limits.max_duration_s:
        raise IngestError(
            f"{filename}: the recording is {duration_s / 60:.1f} min long; the limit is "
            f"{limits.max_duration_s / 60:.0f} min. Please upload a shorter file."
        )
    return AudioInfo(
        format=raw.format,
        subtype=raw.subtype,
        sample_rate=int(raw.samplerate),
        channels=int(raw.channels),
        frames=int(raw.frames),
        duration_s=float(duration_s),
        size_bytes=size,
        extension=ACCEPTED_FORMATS[raw.format],
    )


def _check_size(size: int, filename: str, limits: DecodeLimits) -> None:
    if size == 0:
        raise IngestError(f"{filename}: the file is empty.")
    if size > limits.max_bytes:
        raise IngestError(f"{filename}: the file is {mib(size)}; the limit is {mib(limits.max_bytes)}.")


def mib(size_bytes: int) -> str:
    """A size in MiB (2**20 bytes, the unit of Streamlit's upload limit), e.g. "200 MiB", "3.5 MiB"."""
    value = size_bytes / 2**20
    return f"{value:.0f} MiB" if value >= 10 or value == int(value) else f"{value:.1f} MiB"


def _read_header(source: FileSource, filename: str):
    """libsndfile's header facts (``sf.info``) of a file in an accepted format."""
    not_audio = describe_non_audio(read_prefix(source, 4096))
    if not_audio is not None:
        raise IngestError(
            f"{filename}: this looks like {not_audio}, which cannot be used. Please upload {SUPPORTED_FORMATS_TEXT}."
        )
    try:
        raw = sf.info(open_for_soundfile(source))
    except Exception:  # libsndfile reports every unreadable file as an error of its own wording
        raise IngestError(f"{filename}: could not be read as audio. Please upload {SUPPORTED_FORMATS_TEXT}.") from None
    if raw.format not in ACCEPTED_FORMATS:
        raise IngestError(
            f"{filename}: {raw.format_info} files are not accepted. Please upload {SUPPORTED_FORMATS_TEXT}."
        )
    return raw


def _check_stream(raw, filename: str, limits: DecodeLimits) -> None:
    """Sample rate, channel count and frame count from the header, against ``limits``."""
    if raw.samplerate < limits.min_sample_rate or raw.samplerate > limits.max_sample_rate:
        raise IngestError(
            f"{filename}: sample rate {raw.samplerate} Hz is outside the accepted range "
            f"{limits.min_sample_rate}-{limits.max_sample_rate} Hz."
        )
    if raw.channels < 1:
        raise IngestError(f"{filename}: the file has no audio channels.")
    if raw.channels > limits.max_channels:
        raise IngestError(
            f"{filename}: the file has {raw.channels} channels; please export a stereo or mono mix "
            f"(a multichannel file cannot be downmixed reliably without knowing its layout)."
        )
    if raw.frames <= 0:
        raise IngestError(f"{filename}: the file contains no audio frames.")


def decode_excerpt(
    source: FileSource,
    filename: str,
    *,
    excerpt_seconds: float,
    start_s: float | None = None,
    limits: DecodeLimits | None = None,
    keep_silent_edges: bool = False,
) -> DecodedExcerpt:
    """Decode a whole file block by block, validate it, and keep one excerpt.

    The whole stream is decoded once (so truncation, corruption and non-finite samples anywhere
    in the file are caught, and the sounding part is found), then decoded again up to the end of
    the excerpt, which is all that is kept in memory.

    Parameters
    ----------
    source : path or bytes
        The file or its bytes.
    filename : str
        Display name for messages.
    excerpt_seconds : float
        Length of the excerpt participants hear, seconds.
    start_s : float or None
        Excerpt start in seconds. ``None`` uses :func:`default_start_s` on the sounding part.
    limits : DecodeLimits, optional
        Header limits (see :func:`probe`).
    keep_silent_edges : bool
        Allow an excerpt that starts or ends in the file's leading or trailing digital silence
        (the organiser's explicit choice). By default the excerpt lies inside the sounding part
        (:func:`audio.damage.sounding_extent`), so silence cannot tell the sources apart.

    Returns
    -------
    DecodedExcerpt

    Raises
    ------
    IngestError
        Anything :func:`probe` rejects; a file shorter than the excerpt; a start offset that
        does not leave a whole excerpt (inside the sounding part, unless ``keep_silent_edges``);
        a truncated or corrupt file; NaN/inf samples; a digitally silent file or excerpt.
    """
    info = probe(source, filename, limits)
    decoded, file_peak, extent = _scan(source, filename, info)
    # MP3 decoders may legitimately differ from the header by encoder delay/padding (< 2 frames).
    tolerance = 2304 if info.format == "MP3" else 0
    if decoded + tolerance < info.frames:
        raise IngestError(
            f"{filename}: the file is truncated or damaged: it decodes to {decoded / info.sample_rate:.1f} s "
            f"but announces {info.duration_s:.1f} s."
        )
    if file_peak == 0.0:
        raise IngestError(f"{filename}: the file contains only digital silence.")
    window = SoundingExtent(0.0, info.duration_s) if keep_silent_edges else extent
    chosen_start = _chosen_start(info, window, filename, excerpt_seconds, start_s)
    first = int(round(chosen_start * info.sample_rate))
    wanted = int(round(excerpt_seconds * info.sample_rate))
    samples = _read_frames(source, filename, info, first, wanted)
    if samples.shape[0] < wanted - tolerance:
        raise IngestError(
            f"{filename}: only {samples.shape[0] / info.sample_rate:.1f} s could be decoded from "
            f"{chosen_start:g} s on; the study needs {excerpt_seconds:g} s."
        )
    if not np.any(samples):
        raise IngestError(
            f"{filename}: the excerpt starting at {chosen_start:g} s is digital silence; choose another start offset."
        )
    return DecodedExcerpt(samples=samples, info=info, start_s=chosen_start, extent=extent)


def _chosen_start(
    info: AudioInfo, window: SoundingExtent, filename: str, excerpt_seconds: float, start_s: float | None
) -> float:
    """The excerpt start in seconds (``start_s`` or the default rule), checked to lie inside ``window``."""
    if info.duration_s + 1e-9 < excerpt_seconds:
        raise IngestError(
            f"{filename}: the recording is {info.duration_s:.1f} s long, shorter than the study's "
            f"clip length of {excerpt_seconds:g} s."
        )
    trimmed = window.duration_s < info.duration_s - 1e-6
    if window.duration_s + 1e-6 < excerpt_seconds:
        raise IngestError(
            f"{filename}: the recording has sound only from {window.start_s:.1f} s to {window.end_s:.1f} s "
            f"({window.duration_s:.1f} s between digital silence), shorter than the study's clip length of "
            f"{excerpt_seconds:g} s; use a longer recording, or allow silent edges in the processing settings."
        )
    if start_s is None:
        chosen_start = round(window.start_s + default_start_s(window.duration_s, excerpt_seconds), 3)
        return min(chosen_start, math.floor((window.end_s - excerpt_seconds) * 1000) / 1000)
    chosen_start = float(start_s)
    if not math.isfinite(chosen_start) or chosen_start < 0:
        raise IngestError(f"{filename}: the start offset must be a number of seconds >= 0.")
    # A few milliseconds of silence at an edge are inaudible (EDGE_TOLERANCE_S); the file's end is not.
    slack = EDGE_TOLERANCE_S if trimmed else 1e-6
    last_end = min(window.end_s + slack, info.duration_s + 1e-6)
    if chosen_start + slack < window.start_s or chosen_start + excerpt_seconds > last_end:
        latest = max(window.end_s - excerpt_seconds, window.start_s)
        if not trimmed:
            raise IngestError(
                f"{filename}: a {excerpt_seconds:g} s excerpt starting at {chosen_start:g} s runs past the end "
                f"of the {info.duration_s:.1f} s recording; choose a start offset of at most {latest:.1f} s."
            )
        raise IngestError(
            f"{filename}: a {excerpt_seconds:g} s excerpt starting at {chosen_start:g} s would start or end in "
            f"digital silence: the sound runs from {window.start_s:.1f} s to {window.end_s:.1f} s; choose a start "
            f"offset from {window.start_s:.1f} s to {latest:.1f} s, or allow silent edges in the processing settings."
        )
    return chosen_start


def _scan(source: FileSource, filename: str, info: AudioInfo) -> tuple[int, float, SoundingExtent]:
    """Decode the whole file block by block: frames decoded, the largest sample magnitude, the sounding extent."""
    decoded = 0
    file_peak = 0.0
    tracker = ExtentTracker(info.sample_rate)
    try:
        with sf.SoundFile(open_for_soundfile(source)) as handle:
            # A plain read loop, not SoundFile.blocks(): blocks() trusts the announced length and
            # would pad a truncated file's missing end with stale buffer contents.
            while (block := handle.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)).shape[0]:
                if not np.isfinite(block).all():
                    raise IngestError(
                        f"{filename}: the file contains invalid samples (NaN or infinity) at about "
                        f"{decoded / info.sample_rate:.1f} s."
                    )
                file_peak = max(file_peak, float(np.abs(block).max()))
                tracker.update(block)
                decoded += block.shape[0]
    except IngestError:
        raise
    except Exception:
        raise IngestError(
            f"{filename}: the file is corrupt (decoding failed after {decoded / info.sample_rate:.1f} s)."
        ) from None
    return decoded, file_peak, tracker.extent()


def _read_frames(source: FileSource, filename: str, info: AudioInfo, first: int, wanted: int) -> np.ndarray:
    """Frames ``[first, first + wanted)`` of a file :func:`_scan` found sound, shape (n, channels), float32.

    Decoded from the start rather than by seeking: not every decoder seeks to the exact sample.
    """
    pieces: list[np.ndarray] = []
    decoded = 0
    try:
        with sf.SoundFile(open_for_soundfile(source)) as handle:
            while decoded < first + wanted:
                block = handle.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)
                if not block.shape[0]:
                    break
                lo = max(first - decoded, 0)
                hi = min(first + wanted - decoded, block.shape[0])
                if hi > lo:
                    pieces.append(block[lo:hi].copy())
                decoded += block.shape[0]
    except Exception:
        raise IngestError(
            f"{filename}: the file is corrupt (decoding failed after {decoded / info.sample_rate:.1f} s)."
        ) from None
    return np.concatenate(pieces, axis=0) if pieces else np.zeros((0, info.channels), np.float32)


def default_start_s(duration_s: float, excerpt_seconds: float) -> float:
    """Default excerpt start: one third into the recording, earlier if the excerpt would not fit.

    A fixed, content-independent rule is used on purpose: it skips most intros, it is the
    same for human and AI clips (so the choice of region cannot itself differ by source), and
    an organiser can predict and override it per clip.

    Parameters
    ----------
    duration_s : float
        Length of the recording, seconds.
    excerpt_seconds : float
        Length of the excerpt, seconds.

    Returns
    -------
    float
        Start in seconds, rounded to milliseconds, in ``[0, duration_s - excerpt_seconds]``.
    """
    latest = max(duration_s - excerpt_seconds, 0.0)
    return round(min(duration_s / 3.0, latest), 3)

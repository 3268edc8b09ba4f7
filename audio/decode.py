"""Read and validate an audio file before anything about it is stored.

Every clip, whether uploaded on a page, imported from the command line or built for the demo,
passes :func:`probe` (cheap header checks from ``sf.info``, before any decoding) and then
:func:`decode_excerpt` (a streaming decode of the whole file that validates every block and
keeps only the excerpt the study plays). A file that fails raises
:class:`~audio.errors.IngestError` with a message meant for the organiser.

Accepted formats (what libsndfile decodes reliably here): WAV, FLAC, OGG Vorbis, OGG Opus,
MP3 and AIFF. M4A/AAC is not readable by libsndfile and is rejected with a message naming the
formats that work.

Policies
--------
* More than two channels is rejected, not downmixed: libsndfile does not report the channel
  layout reliably, and a blind downmix of a 5.1 file can drop or double the centre and LFE;
  the organiser should export the stereo mix they want participants to hear.
* Sample rates below 8 kHz or above 192 kHz, files over 200 MB and files longer than 20 min
  are rejected from the header alone (limits in :class:`DecodeLimits`).
* A file that decodes to fewer frames than its header announces, an Ogg stream without its
  end-of-stream page, or a WAV whose data chunk is cut short is reported as truncated. A
  variable-bitrate MP3 without a Xing/VBRI length header is rejected: libsndfile would guess
  its length from the first frame and silently cut it.
* Non-finite samples (NaN/inf in float WAV) and files that are digitally silent are rejected.
"""

from __future__ import annotations

import io
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

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
        Largest accepted file, in bytes (default 200 MB).
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
    """

    samples: np.ndarray
    info: AudioInfo
    start_s: float


Source = str | os.PathLike | bytes


def _read_prefix(source: Source, n: int) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    with open(source, "rb") as handle:
        return handle.read(n)


def _read_suffix(source: Source, n: int) -> bytes:
    if isinstance(source, bytes):
        return source[-n:]
    with open(source, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(handle.tell() - n, 0))
        return handle.read()


def _size_of(source: Source) -> int:
    if isinstance(source, bytes):
        return len(source)
    return Path(source).stat().st_size


def _open(source: Source) -> str | BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source)


def _describe_non_audio(prefix: bytes) -> str | None:
    """Name a well-known non-audio or unsupported format from its first bytes, if recognisable."""
    if len(prefix) >= 12 and prefix[4:8] == b"ftyp":
        return "an M4A/AAC (MPEG-4) file"
    if len(prefix) >= 2 and prefix[0] == 0xFF and (prefix[1] & 0xF6) == 0xF0:
        return "a raw AAC (ADTS) stream"
    signatures = {
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"GIF8": "a GIF image",
        b"%PDF": "a PDF document",
        b"PK\x03\x04": "a ZIP archive",
        b"\x1f\x8b": "a gzip archive",
        b"Rar!": "a RAR archive",
        b"7z\xbc\xaf": "a 7-Zip archive",
        b"\x1aE\xdf\xa3": "a WebM/Matroska file",
        b"<": "a text or markup document",
        b"{": "a text document",
    }
    for magic, name in signatures.items():
        if prefix.startswith(magic):
            return name
    if prefix[:4] == b"RIFF" and prefix[8:12] == b"WEBP":
        return "a WebP image"
    if prefix[:4] == b"RIFF" and prefix[8:12] == b"AVI ":
        return "an AVI video"
    if prefix and all(32 <= b < 127 or b in (9, 10, 13) for b in prefix[:512]):
        return "a text file"
    return None


def probe(source: Source, filename: str, limits: DecodeLimits | None = None) -> AudioInfo:
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
    size = _size_of(source)
    if size == 0:
        raise IngestError(f"{filename}: the file is empty.")
    if size > limits.max_bytes:
        raise IngestError(
            f"{filename}: the file is {size / 1e6:.0f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB."
        )
    prefix = _read_prefix(source, 4096)
    not_audio = _describe_non_audio(prefix)
    if not_audio is not None:
        raise IngestError(
            f"{filename}: this looks like {not_audio}, which cannot be used. "
            f"Please upload {SUPPORTED_FORMATS_TEXT}."
        )
    try:
        raw = sf.info(_open(source))
    except Exception:  # libsndfile reports every unreadable file as an error of its own wording
        raise IngestError(
            f"{filename}: could not be read as audio. Please upload {SUPPORTED_FORMATS_TEXT}."
        ) from None
    if raw.format not in ACCEPTED_FORMATS:
        raise IngestError(
            f"{filename}: {raw.format_info} files are not accepted. Please upload {SUPPORTED_FORMATS_TEXT}."
        )
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
    if raw.format == "OGG" and not _ogg_complete(_read_suffix(source, _OGG_MAX_PAGE_BYTES)):
        raise IngestError(f"{filename}: the Ogg file is truncated (its end is missing).")
    if raw.format in ("WAV", "WAVEX") and _wav_data_truncated(_read_prefix(source, 1 << 20), size):
        raise IngestError(f"{filename}: the WAV file is truncated (its audio data is cut short).")
    if raw.format == "MP3" and _mp3_vbr_without_length_header(source):
        raise IngestError(
            f"{filename}: this variable-bitrate MP3 has no length header (Xing/VBRI), so its length "
            f"cannot be known and it would be cut short. Please re-export it, or upload WAV or FLAC."
        )
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


_OGG_MAX_PAGE_BYTES = 27 + 255 + 255 * 255


def _ogg_complete(tail: bytes) -> bool:
    """True when the last Ogg page in ``tail`` (the file's last bytes) is whole and ends the stream.

    libsndfile reports a truncated Ogg file's length from its last granule position, so the
    frame count alone cannot reveal the cut; the missing end-of-stream page does.
    """
    data = tail
    position = data.rfind(b"OggS")
    if position < 0 or len(data) < position + 27:
        return False
    header_type = data[position + 5]
    n_segments = data[position + 26]
    table_end = position + 27 + n_segments
    if len(data) < table_end:
        return False
    body = sum(data[position + 27:table_end])
    return bool(header_type & 0x04) and len(data) >= table_end + body


_MP3_BITRATES_KBPS = {  # Layer III bitrate tables by MPEG version bits (3: MPEG-1; 2, 0: MPEG-2, 2.5)
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_vbr_without_length_header(source: Source, frames_to_check: int = 30) -> bool:
    """True for a Layer III stream whose bitrate varies but that has no Xing/Info/VBRI frame.

    libsndfile estimates such a file's length from the first frame's bitrate and stops
    decoding there, silently dropping the rest; a CBR file without the header is estimated
    correctly. Only the first ``frames_to_check`` frames are inspected.
    """
    head = _read_prefix(source, 10)
    offset = 0
    if head[:3] == b"ID3" and len(head) == 10:
        offset = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        offset += 10 if head[5] & 0x10 else 0  # ID3v2.4 footer
    data = _read_prefix(source, offset + 65536)
    while offset + 4 <= len(data) and not (data[offset] == 0xFF and data[offset + 1] & 0xE0 == 0xE0):
        offset += 1
    bitrates = set()
    for index in range(frames_to_check):
        if offset + 4 > len(data) or data[offset] != 0xFF or data[offset + 1] & 0xE0 != 0xE0:
            break
        version, layer = (data[offset + 1] >> 3) & 3, (data[offset + 1] >> 1) & 3
        bitrate_index, rate_index = data[offset + 2] >> 4, (data[offset + 2] >> 2) & 3
        if layer != 1 or version == 1 or bitrate_index in (0, 15) or rate_index == 3:
            return False  # not a plain Layer III frame: leave the judgement to the decoder
        bitrate = _MP3_BITRATES_KBPS[version][bitrate_index] * 1000
        length = (144 if version == 3 else 72) * bitrate // _MP3_SAMPLE_RATES[version][rate_index]
        length += (data[offset + 2] >> 1) & 1
        if index == 0 and any(tag in data[offset:offset + length] for tag in (b"Xing", b"Info", b"VBRI")):
            return False
        bitrates.add(bitrate)
        offset += length
    return len(bitrates) > 1


def _wav_data_truncated(head: bytes, size: int) -> bool:
    """True when a RIFF/WAVE file's data chunk announces more bytes than the file (``size``) holds.

    ``head`` is the start of the file; the chunks before the audio data are small.
    """
    data = head
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return False
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4]
        (chunk_size,) = struct.unpack("<I", data[offset + 4:offset + 8])
        if chunk_id == b"data":
            # 0 and 0xFFFFFFFF are placeholders written by streaming recorders, not a size.
            if chunk_size in (0, 0xFFFFFFFF):
                return False
            return offset + 8 + chunk_size > size
        offset += 8 + chunk_size + (chunk_size & 1)
    return False


def decode_excerpt(
    source: Source,
    filename: str,
    *,
    excerpt_seconds: float,
    start_s: float | None = None,
    limits: DecodeLimits | None = None,
) -> DecodedExcerpt:
    """Decode a whole file block by block, validate it, and keep one excerpt.

    The whole stream is decoded (so truncation, corruption and non-finite samples anywhere in
    the file are caught), but only the excerpt is kept in memory.

    Parameters
    ----------
    source : path or bytes
        The file or its bytes.
    filename : str
        Display name for messages.
    excerpt_seconds : float
        Length of the excerpt participants hear, seconds.
    start_s : float or None
        Excerpt start in seconds. ``None`` uses :func:`default_start_s`.
    limits : DecodeLimits, optional
        Header limits (see :func:`probe`).

    Returns
    -------
    DecodedExcerpt

    Raises
    ------
    IngestError
        Anything :func:`probe` rejects; a file shorter than the excerpt; a start offset that
        does not leave a whole excerpt; a truncated or corrupt file; NaN/inf samples; a
        digitally silent file or excerpt.
    """
    info = probe(source, filename, limits)
    if info.duration_s + 1e-9 < excerpt_seconds:
        raise IngestError(
            f"{filename}: the recording is {info.duration_s:.1f} s long, shorter than the study's "
            f"clip length of {excerpt_seconds:g} s."
        )
    chosen_start = default_start_s(info.duration_s, excerpt_seconds) if start_s is None else float(start_s)
    if not math.isfinite(chosen_start) or chosen_start < 0:
        raise IngestError(f"{filename}: the start offset must be a number of seconds >= 0.")
    if chosen_start + excerpt_seconds > info.duration_s + 1e-6:
        raise IngestError(
            f"{filename}: a {excerpt_seconds:g} s excerpt starting at {chosen_start:g} s runs past the end "
            f"of the {info.duration_s:.1f} s recording; choose a start offset of at most "
            f"{max(info.duration_s - excerpt_seconds, 0.0):.1f} s."
        )

    first = int(round(chosen_start * info.sample_rate))
    wanted = int(round(excerpt_seconds * info.sample_rate))
    pieces: list[np.ndarray] = []
    decoded = 0
    file_peak = 0.0
    try:
        with sf.SoundFile(_open(source)) as handle:
            # A plain read loop, not SoundFile.blocks(): blocks() trusts the announced length and
            # would pad a truncated file's missing end with stale buffer contents.
            while (block := handle.read(_BLOCK_FRAMES, dtype="float32", always_2d=True)).shape[0]:
                if not np.isfinite(block).all():
                    raise IngestError(
                        f"{filename}: the file contains invalid samples (NaN or infinity) at about "
                        f"{decoded / info.sample_rate:.1f} s."
                    )
                file_peak = max(file_peak, float(np.abs(block).max()))
                lo = max(first - decoded, 0)
                hi = min(first + wanted - decoded, block.shape[0])
                if hi > lo:
                    pieces.append(block[lo:hi].copy())
                decoded += block.shape[0]
    except IngestError:
        raise
    except Exception:
        raise IngestError(
            f"{filename}: the file is corrupt (decoding failed after {decoded / info.sample_rate:.1f} s)."
        ) from None

    # MP3 decoders may legitimately differ from the header by encoder delay/padding (< 2 frames).
    tolerance = 2304 if info.format == "MP3" else 0
    if decoded + tolerance < info.frames:
        raise IngestError(
            f"{filename}: the file is truncated or damaged: it decodes to {decoded / info.sample_rate:.1f} s "
            f"but announces {info.duration_s:.1f} s."
        )
    if file_peak == 0.0:
        raise IngestError(f"{filename}: the file contains only digital silence.")
    samples = np.concatenate(pieces, axis=0) if pieces else np.zeros((0, info.channels), np.float32)
    if samples.shape[0] < wanted - tolerance:
        raise IngestError(
            f"{filename}: only {samples.shape[0] / info.sample_rate:.1f} s could be decoded from "
            f"{chosen_start:g} s on; the study needs {excerpt_seconds:g} s."
        )
    if not np.any(samples):
        raise IngestError(
            f"{filename}: the excerpt starting at {chosen_start:g} s is digital silence; choose another start offset."
        )
    return DecodedExcerpt(samples=samples, info=info, start_s=chosen_start)


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

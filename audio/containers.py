"""Byte-level checks of audio containers, for what libsndfile does not report by itself.

A file that is not audio at all is named from its first bytes (an M4A, an image, a ZIP), and
three kinds of damage that libsndfile would decode without complaint are found here: an Ogg
stream without its end-of-stream page, a WAV whose data chunk is cut short, and a
variable-bitrate MP3 without a length header (libsndfile would silently cut it). The readers
accept a path or the file's bytes (a page upload) alike.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import BinaryIO

FileSource = str | os.PathLike | bytes


def read_prefix(source: FileSource, n: int) -> bytes:
    if isinstance(source, bytes):
        return source[:n]
    with open(source, "rb") as handle:
        return handle.read(n)


def read_suffix(source: FileSource, n: int) -> bytes:
    if isinstance(source, bytes):
        return source[-n:]
    with open(source, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(handle.tell() - n, 0))
        return handle.read()


def size_of(source: FileSource) -> int:
    if isinstance(source, bytes):
        return len(source)
    return Path(source).stat().st_size


def open_for_soundfile(source: FileSource) -> str | BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else os.fspath(source)


def describe_non_audio(prefix: bytes) -> str | None:
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


def container_problem(source: FileSource, sf_format: str, size: int) -> str | None:
    """What is wrong with the container of a file libsndfile opened as ``sf_format``, or None.

    Parameters
    ----------
    source : path or bytes
    sf_format : str
        libsndfile's major format (``"OGG"``, ``"WAV"``, ``"MP3"``, ...).
    size : int
        File size in bytes.
    """
    if sf_format == "OGG" and not _ogg_complete(read_suffix(source, _OGG_MAX_PAGE_BYTES)):
        return "the Ogg file is truncated (its end is missing)."
    if sf_format in ("WAV", "WAVEX") and _wav_data_truncated(read_prefix(source, 1 << 20), size):
        return "the WAV file is truncated (its audio data is cut short)."
    if sf_format == "MP3" and _mp3_vbr_without_length_header(source):
        return (
            "this variable-bitrate MP3 has no length header (Xing/VBRI), so its length "
            "cannot be known and it would be cut short. Please re-export it, or upload WAV or FLAC."
        )
    return None


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
    body = sum(data[position + 27 : table_end])
    return bool(header_type & 0x04) and len(data) >= table_end + body


_MP3_BITRATES_KBPS = {  # Layer III bitrate tables by MPEG version bits (3: MPEG-1; 2, 0: MPEG-2, 2.5)
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    0: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_vbr_without_length_header(source: FileSource, frames_to_check: int = 30) -> bool:
    """True for a Layer III stream whose bitrate varies but that has no Xing/Info/VBRI frame.

    libsndfile estimates such a file's length from the first frame's bitrate and stops
    decoding there, silently dropping the rest; a CBR file without the header is estimated
    correctly. Only the first ``frames_to_check`` frames are inspected.
    """
    head = read_prefix(source, 10)
    offset = 0
    if head[:3] == b"ID3" and len(head) == 10:
        offset = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
        offset += 10 if head[5] & 0x10 else 0  # ID3v2.4 footer
    data = read_prefix(source, offset + 65536)
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
        if index == 0 and any(tag in data[offset : offset + length] for tag in (b"Xing", b"Info", b"VBRI")):
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
        chunk_id = data[offset : offset + 4]
        (chunk_size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        if chunk_id == b"data":
            # 0 and 0xFFFFFFFF are placeholders written by streaming recorders, not a size.
            if chunk_size in (0, 0xFFFFFFFF):
                return False
            return offset + 8 + chunk_size > size
        offset += 8 + chunk_size + (chunk_size & 1)
    return False

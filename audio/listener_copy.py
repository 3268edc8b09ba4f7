"""Per-listener copies of a served MP3: different bytes for every trial, the same decoded audio.

Why
---
A clip's served file is the same for everyone, so after a debrief an answer key ("the file with
hash X is AI") could be passed on to later participants. :func:`listener_copy` turns the stored
file into a copy that differs per (participant, trial), keyed by the trial's random audio nonce,
while every decoder produces exactly the same samples from it (tested with libsndfile/mpg123;
browsers use FFmpeg, Firefox's own demuxer or Core Audio, all of which ignore these bits):

* **the private bit of every audio frame header** is set from a key-derived bit stream. ISO/IEC
  11172-3 reserves it for private use; decoders never read it, and LAME writes frames without
  header CRC, so no checksum covers it. A hash of the audio frames alone (what MP3 integrity
  tools compute) therefore differs too, not only a hash of the whole file.
* **the unused tail of the Xing/LAME "Info" frame** (the first frame; about 850 zero bytes after
  the LAME tag at 320 kbit/s) is filled with key-derived bytes. Decoders that know the Info frame
  skip it whole; older ones decode it as one silent frame whose side information reads none of
  these bytes (LAME starts the bit reservoir empty, so the next frame does not point back into it).
* **the LAME tag's music CRC and tag CRC are recomputed**, so the file stays self-consistent
  (integrity tools do not report it as damaged), and the music CRC, which would otherwise be a
  16-bit fingerprint of the clip shared by everyone, varies with the key too.

The size never changes (bits are overwritten in place), so equal-size served clips stay equal.
What this does not hide: the audio itself. Someone who decodes the file to samples, or hashes a
stretch of frame payload, identifies the clip as surely as by listening to it; defeating that
would need a per-listener re-encode (about a second of CPU per clip and request), and the music
is what participants are meant to recognise or not anyway.

The stored copy (``clip_blobs`` and the data-folder cache) is never changed: it is the file that
was measured and analysed. Nothing here touches storage.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache

log = logging.getLogger(__name__)

_BITRATES_KBPS = {
    # (MPEG-1?) -> index 1..14 of the layer III bitrate table, kbit/s
    True: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    False: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}

#: Offset of the LAME tag's music CRC and tag CRC from the tag's start, bytes.
_MUSIC_CRC_AT, _TAG_CRC_AT, _LAME_TAG_LENGTH = 32, 34, 36


@dataclass(frozen=True)
class _Frame:
    """One MPEG audio layer III frame: where it starts, how long it is, its side-information size."""

    start: int
    length: int
    side_info_bytes: int


def listener_copy(data: bytes, key: str | bytes) -> bytes:
    """A copy of the MP3 ``data`` that differs per ``key`` and decodes to exactly the same samples.

    Parameters
    ----------
    data : bytes
        A served MP3 (optionally behind an ID3v2 tag), as stored.
    key : str or bytes
        What the copy is derived from; the trial's audio nonce (random, per participant and trial).
        The same key always gives the same copy, so a reload serves the same bytes.

    Returns
    -------
    bytes
        Same length as ``data``. ``data`` itself when it is not a layer III stream this module
        understands (logged; it is still playable, only not individualised).
    """
    frames = _frames(data)
    if len(frames) < 2:
        log.warning("served audio is not an MPEG layer III stream; sent without a per-listener variation")
        return data
    out = bytearray(data)
    stream = _key_stream(key, len(frames) + 1024)
    lame_at = _lame_tag_offset(data, frames[0])
    audio_frames = frames[1:] if lame_at is not None else frames
    for frame, byte in zip(audio_frames, stream):
        out[frame.start + 2] = (out[frame.start + 2] & 0xFE) | (byte & 1)
    if lame_at is not None:
        _refresh_info_frame(out, data, frames, lame_at, stream[len(frames) :])
    return bytes(out)


def _key_stream(key: str | bytes, n_bytes: int) -> bytes:
    """``n_bytes`` pseudo-random bytes determined by ``key`` (SHAKE-256)."""
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    return hashlib.shake_256(b"human-touch listener copy\x00" + raw).digest(n_bytes)


def _frames(data: bytes) -> list[_Frame]:
    """The consecutive layer III frames of ``data`` (after any ID3v2 tag), up to the first non-frame."""
    position = _after_id3v2(data)
    frames: list[_Frame] = []
    first_header = None
    while position + 4 <= len(data):
        frame = _parse_header(data, position)
        if frame is None:
            break
        fixed = data[position + 1] & 0xFE, data[position + 2] & 0x0C  # version, layer, sample rate
        if first_header is None:
            first_header = fixed
        elif fixed != first_header or position + frame.length > len(data):
            break
        frames.append(frame)
        position += frame.length
    return frames


def _after_id3v2(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[5] & 0x10 else 0)


def _parse_header(data: bytes, at: int) -> _Frame | None:
    """The frame whose header starts at ``at``, or None when there is no valid layer III header."""
    b1, b2, b3 = data[at + 1], data[at + 2], data[at + 3]
    version = (b1 >> 3) & 3  # 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    if data[at] != 0xFF or (b1 & 0xE0) != 0xE0 or version == 1 or ((b1 >> 1) & 3) != 1:
        return None
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1 = version == 3
    bitrate = _BITRATES_KBPS[mpeg1][bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    length = (144 if mpeg1 else 72) * bitrate // sample_rate + ((b2 >> 1) & 1)
    mono = (b3 >> 6) == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    return _Frame(at, length, side_info)


def _lame_tag_offset(data: bytes, first: _Frame) -> int | None:
    """Offset in ``data`` of the LAME tag in the first frame, or None when that frame is no Xing/Info frame."""
    at = first.start + 4 + first.side_info_bytes
    if data[at : at + 4] not in (b"Info", b"Xing"):
        return None
    flags = int.from_bytes(data[at + 4 : at + 8], "big")
    lame = at + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2) + 100 * bool(flags & 4) + 4 * bool(flags & 8)
    if lame + _LAME_TAG_LENGTH > first.start + first.length or not data[lame : lame + 4].isalpha():
        return None
    return lame


def _refresh_info_frame(out: bytearray, original: bytes, frames: list[_Frame], lame_at: int, filler: bytes) -> None:
    """Fill the Info frame's unused tail from ``filler`` and recompute the LAME tag's two CRCs."""
    info = frames[0]
    tail_start, tail_end = lame_at + _LAME_TAG_LENGTH, info.start + info.length
    out[tail_start:tail_end] = filler[: tail_end - tail_start]
    music_start, music_end = frames[1].start, frames[-1].start + frames[-1].length
    old_crc = int.from_bytes(original[lame_at + _MUSIC_CRC_AT : lame_at + _TAG_CRC_AT], "big")
    new_crc = old_crc ^ _crc_of_header_changes(original, out, frames[1:], music_end - music_start)
    out[lame_at + _MUSIC_CRC_AT : lame_at + _TAG_CRC_AT] = new_crc.to_bytes(2, "big")
    tag_crc = crc16(out[info.start : lame_at + _TAG_CRC_AT])
    out[lame_at + _TAG_CRC_AT : lame_at + _LAME_TAG_LENGTH] = tag_crc.to_bytes(2, "big")


# --- CRC-16 (the "ARC" variant LAME uses: polynomial 0x8005, reflected, initial value 0) -------------


@lru_cache(maxsize=1)
def _byte_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def crc16(data: bytes | bytearray, crc: int = 0) -> int:
    """CRC-16/ARC of ``data`` (LAME's music and tag CRCs), continuing from ``crc``."""
    table = _byte_table()
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@lru_cache(maxsize=64)
def _through_zeros(n_bytes: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The CRC state map of ``n_bytes`` zero bytes, as tables for the state's low and high byte.

    The map is linear over GF(2), so ``state -> low[state & 0xFF] ^ high[state >> 8]``.
    """
    table = _byte_table()

    def run(state: int) -> int:
        for _ in range(n_bytes):
            state = (state >> 8) ^ table[state & 0xFF]
        return state

    basis = [run(1 << bit) for bit in range(16)]

    def combine(value: int, shift: int) -> int:
        result = 0
        for bit in range(8):
            if value >> bit & 1:
                result ^= basis[bit + shift]
        return result

    return tuple(combine(v, 0) for v in range(256)), tuple(combine(v, 8) for v in range(256))


def _crc_of_header_changes(original: bytes, changed: bytearray, frames: list[_Frame], music_length: int) -> int:
    """CRC-16 of ``original XOR changed`` over the audio frames, where only header byte 2 differs.

    CRC-16/ARC is linear (initial value 0, no final XOR), so the new music CRC is the old one
    XOR the CRC of the difference; the difference is zero except one byte per frame, which lets
    the state jump over each frame's zeros with a precomputed map (about 1 ms per clip instead of
    a pure-Python pass over every byte).
    """
    table = _byte_table()
    state = 0
    music_end = frames[0].start + music_length
    for frame in frames:
        low, high = _through_zeros(2)
        state = low[state & 0xFF] ^ high[state >> 8]  # header bytes 0 and 1: no change
        state = (state >> 8) ^ table[(state ^ original[frame.start + 2] ^ changed[frame.start + 2]) & 0xFF]
        rest = min(frame.start + frame.length, music_end) - (frame.start + 3)
        low, high = _through_zeros(rest)
        state = low[state & 0xFF] ^ high[state >> 8]
    return state

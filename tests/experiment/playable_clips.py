"""A small, really playable clip library for page and browser tests of the participant journey.

Each clip is a short stereo MP3 (a distinct chord, encoded by libsndfile) written to the data
folder's clip store under its content hash, with a catalogue row whose identifying fields carry
unmistakable marker strings, so blinding tests can search for them in everything the browser got.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from core import config, db
from core.models import Clip

SAMPLE_RATE = 44_100


@dataclass(frozen=True)
class ClipIdentity:
    """Everything about one clip that must stay hidden from a participant before the debrief."""

    clip_id: int
    source: str
    served_sha256: str
    served_name: str
    original_sha256: str
    original_name: str
    uploaded_filename: str
    title: str
    creator: str
    ai_system: str | None

    def secrets(self) -> list[str]:
        """Strings that must not reach the browser before the debrief."""
        values = [
            self.served_sha256,
            self.served_name,
            self.original_sha256,
            self.original_name,
            self.uploaded_filename,
            self.title,
            self.creator,
        ]
        if self.ai_system:
            values.append(self.ai_system)
        return values


def tone_mp3(frequency_hz: float, duration_s: float) -> bytes:
    """A stereo MP3 of a soft three-note chord on ``frequency_hz`` with short fades, ``duration_s`` long."""
    t = np.arange(int(SAMPLE_RATE * duration_s)) / SAMPLE_RATE
    y = sum(np.sin(2 * np.pi * frequency_hz * ratio * t) for ratio in (1.0, 1.25, 1.5)) * 0.1
    fade = np.minimum(1.0, np.minimum(t, duration_s - t) / 0.05)
    stereo = np.stack([y * fade, y * fade], axis=1).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, stereo, SAMPLE_RATE, format="MP3")
    return buffer.getvalue()


def add_playable_clips(n_per_source: int = 2, duration_s: float = 3.0, *, base_hz: float = 220.0) -> list[ClipIdentity]:
    """Write ``n_per_source`` human and ``n_per_source`` AI clips into the configured data folder and DB.

    The data folder and database come from ``HUMAN_TOUCH_DATA`` / ``HUMAN_TOUCH_DATABASE_URL``
    (fixtures ``sqlite_data_env`` / ``data_env`` or an e2e data folder).
    """
    paths = config.ensure_dirs()
    identities = []
    with db.session_scope() as session:
        for number in range(2 * n_per_source):
            source = "human" if number % 2 == 0 else "ai"
            data = tone_mp3(base_hz * (1.0 + 0.07 * number), duration_s)
            served_sha = hashlib.sha256(data).hexdigest()
            original_sha = hashlib.sha256(b"original" + data).hexdigest()
            served_name = f"{served_sha}.mp3"
            (paths.clips / served_name).write_bytes(data)
            marker = f"zq{number}x{served_sha[:6]}"
            clip = Clip(
                served_sha256=served_sha,
                served_name=served_name,
                original_sha256=original_sha,
                original_name=f"{original_sha}.wav",
                uploaded_filename=f"upload_{marker}.wav",
                duration_s=duration_s,
                sample_rate=SAMPLE_RATE,
                channels=2,
                codec="mp3",
                source=source,
                title=f"Title {marker}",
                creator=f"Creator {marker}",
                ai_system=f"System {marker}" if source == "ai" else None,
                ai_version="v9" if source == "ai" else None,
                genre="test",
                processing={},
            )
            session.add(clip)
            session.flush()
            identities.append(
                ClipIdentity(
                    clip_id=clip.id,
                    source=source,
                    served_sha256=served_sha,
                    served_name=served_name,
                    original_sha256=original_sha,
                    original_name=clip.original_name,
                    uploaded_filename=clip.uploaded_filename,
                    title=clip.title,
                    creator=clip.creator,
                    ai_system=clip.ai_system,
                )
            )
    return identities

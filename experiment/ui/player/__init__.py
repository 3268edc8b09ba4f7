"""The blind audio player: a Streamlit components v2 element that plays clip bytes from a blob URL.

``st.audio`` serves every file under a content-hash ``/media/`` URL that is the same for every
participant, so one leaked URL-to-label mapping would unblind everyone. This player receives the
MP3 bytes inside the component's data instead, plays them from a ``blob:`` URL that exists only in
the participant's tab, and reports back what was heard (plays, pauses, seeks, the union of heard
seconds, time to first play, whether the clip ended). The caller passes a ``key`` made from the
trial's random ``audio_nonce`` (or a position counter), never from a clip identifier.

Wire format of the data (bytes, so no base64 overhead on the websocket)::

    b"HTP1" | uint32 big-endian header length | UTF-8 JSON header | audio bytes
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

_HERE = Path(__file__).resolve().parent
_MAGIC = b"HTP1"

_component = st.components.v2.component(
    "human_touch.blind_player",
    js=(_HERE / "player.js").read_text(encoding="utf-8"),
    css=(_HERE / "player.css").read_text(encoding="utf-8"),
)


@dataclass(frozen=True)
class ListeningReport:
    """What the browser reported about one clip.

    Attributes
    ----------
    plays, pauses, seeks : int
        Counts of the audio element's play, pause (not counting the end) and seek events.
    listened_s : float
        Seconds of the clip heard, as the union of played intervals (replays count once).
    first_play_ms : int or None
        Milliseconds from the player appearing to the first play; None before any play.
    ended : bool
        The clip played to its end at least once.
    requirement_met : bool
        The browser judged the listening requirement fulfilled (re-checked on the server).
    """

    plays: int = 0
    pauses: int = 0
    seeks: int = 0
    listened_s: float = 0.0
    first_play_ms: int | None = None
    ended: bool = False
    requirement_met: bool = False

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> ListeningReport:
        """Build a report from the component's state, ignoring malformed values (browser input)."""
        if not isinstance(state, Mapping):
            return cls()

        def count(name: str) -> int:
            value = state.get(name)
            return max(0, int(value)) if isinstance(value, (int, float)) and value == value else 0

        listened = state.get("listened_s")
        first = state.get("first_play_ms")
        return cls(
            plays=count("plays"),
            pauses=count("pauses"),
            seeks=count("seeks"),
            listened_s=max(0.0, float(listened))
            if isinstance(listened, (int, float)) and listened == listened
            else 0.0,
            first_play_ms=max(0, int(first)) if isinstance(first, (int, float)) and first == first else None,
            ended=state.get("ended") is True,
            requirement_met=state.get("requirement_met") is True,
        )


def encode_payload(audio: bytes, header: Mapping[str, Any]) -> bytes:
    """Frame ``audio`` with its JSON ``header`` in the player's wire format (see module docstring)."""
    header_bytes = json.dumps(dict(header), separators=(",", ":")).encode("utf-8")
    return _MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + bytes(audio)


def player_key(audio_nonce: str) -> str:
    """The widget key of the player for a trial: ``player_`` + the nonce as hex.

    Hex because Streamlit forbids ``__`` in a component's id and URL-safe nonces may contain it;
    the mapping stays one-to-one, so no two trials share a key (or a stale listening report).
    """
    return "player_" + audio_nonce.encode("utf-8").hex()


def _ignore_report() -> None:
    """State-change callback; declaring it is what makes ``report`` a state of the component."""


def blind_player(
    audio: bytes,
    *,
    key: str,
    required_s: float = 0.0,
    tolerance_s: float = 0.5,
    label: str = "Music clip",
    todo_text: str = "Please listen to the whole clip before answering.",
    done_text: str = "Thank you, you can answer now.",
    mime: str = "audio/mpeg",
    loop: bool = False,
) -> ListeningReport:
    """Show the blind player for ``audio`` and return what the browser has reported so far.

    Parameters
    ----------
    audio : bytes
        The encoded clip exactly as stored (MP3 by default).
    key : str
        Widget key; must come from the trial's random ``audio_nonce`` (see :func:`player_key`) or
        a position counter, never from a clip id, file name or hash (it reaches the browser).
        Must not contain "__" (Streamlit reserves it in component ids).
    required_s : float
        Seconds of the clip that must be heard (union of intervals) before the requirement is met;
        0 means no requirement.
    tolerance_s : float
        Slack in seconds for the browser's coarse position updates (about 4 per second).
    label : str
        Accessible name of the audio element (screen readers). Must not identify the clip.
    todo_text, done_text : str
        Status line shown under the player before and after the requirement is met.
    mime : str
        MIME type of ``audio``.
    loop : bool
        Play the sound over and over until the player is removed (the volume calibration).

    Returns
    -------
    ListeningReport
        The latest report; all zeros before the first event.
    """
    header = {
        "instance": key,
        "required_s": round(float(required_s), 3),
        "tolerance_s": float(tolerance_s),
        "label": label,
        "todo_text": todo_text,
        "done_text": done_text,
        "mime": mime,
        "loop": bool(loop),
    }
    result = _component(
        key=key,
        data=encode_payload(audio, header),
        on_report_change=_ignore_report,
    )
    return ListeningReport.from_state(result.get("report"))

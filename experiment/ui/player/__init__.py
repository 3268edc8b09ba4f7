"""The blind audio player: a Streamlit components v2 element that plays clip bytes from a blob URL.

``st.audio`` serves every file under a content-hash ``/media/`` URL that is the same for every
participant, so one leaked URL-to-label mapping would unblind everyone. This player's data names
the bytes by a one-time URL instead (:mod:`core.handoff`: a random token that answers one fetch),
which the player fetches once and plays from a ``blob:`` URL that exists only in the participant's
tab; it reports back what was heard (plays, pauses, seeks, the union of heard seconds, time to
first play, whether the clip ended). The caller passes a ``key`` made from the trial's random
``audio_nonce`` (or a position counter), never from a clip identifier.

The URL is made once per browser session and player (kept in the session's state), so a rerun
sends the same small JSON data: an 800 kB clip inside the data was hashed and serialised on every
run that drew the player (issue 23). The bytes are asked for (``audio`` may be a function) only then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from core import handoff
from core.i18n import N_, _

_HERE = Path(__file__).resolve().parent
_URLS_KEY = "player_urls"
"""Session-state key of the one-time URLs handed out in this browser session, by player key."""
_URLS_KEPT = 4
LOAD_FAILED = N_("The sound could not be loaded. Please reload the page.")

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


def clip_url(key: str, audio: bytes | Callable[[], bytes], mime: str) -> str:
    """The one-time URL of player ``key``'s bytes in this browser session, offered on first use.

    The latest few are kept (a trial's one, a pair's two); a refresh starts a new session and
    gets new URLs, as the old ones were used up by the page that fetched them.
    """
    urls: dict[str, str] = st.session_state.setdefault(_URLS_KEY, {})
    url = urls.get(key)
    if url is None:
        data = audio() if callable(audio) else audio
        url = handoff.offer(data, mime, st.get_option("server.baseUrlPath") or "")
        while len(urls) >= _URLS_KEPT:
            del urls[next(iter(urls))]  # the oldest (dicts keep insertion order)
        urls[key] = url
    return url


def forget_clip_urls() -> None:
    """Drop this session's URLs (a staff preview restarting as a new participant reuses player keys)."""
    st.session_state.pop(_URLS_KEY, None)


def player_key(audio_nonce: str) -> str:
    """The widget key of the player for a trial: ``player_`` + the nonce as hex.

    Hex because Streamlit forbids ``__`` in a component's id and URL-safe nonces may contain it;
    the mapping stays one-to-one, so no two trials share a key (or a stale listening report).
    """
    return "player_" + audio_nonce.encode("utf-8").hex()


def _ignore_report() -> None:
    """State-change callback; declaring it is what makes ``report`` a state of the component."""


def blind_player(
    audio: bytes | Callable[[], bytes],
    *,
    key: str,
    required_s: float = 0.0,
    tolerance_s: float = 0.5,
    label: str = "Music clip",
    todo_text: str = "Please listen to the whole clip before answering.",
    done_text: str = "Thank you, you can answer now.",
    error_text: str | None = None,
    mime: str = "audio/mpeg",
    loop: bool = False,
    heard: bool = False,
) -> ListeningReport:
    """Show the blind player for ``audio`` and return what the browser has reported so far.

    Parameters
    ----------
    audio : bytes or callable returning bytes
        The encoded clip exactly as stored (MP3 by default); a function is called only when this
        session has no URL for ``key`` yet (:func:`clip_url`).
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
    error_text : str or None
        Status line when the bytes could not be fetched (a reload draws the page with new URLs);
        None: the catalog's message in the active language.
    mime : str
        MIME type of ``audio``.
    loop : bool
        Play the sound over and over until the player is removed (the volume calibration).
    heard : bool
        The server accepted the requirement before this player was drawn (a refresh): the player
        shows ``done_text`` from the start and reports nothing. Read once, when the player is
        created (a later change is not seen).

    Returns
    -------
    ListeningReport
        The latest report; all zeros before the first event.
    """
    data = {
        "instance": key,
        "src": clip_url(key, audio, mime),
        "required_s": round(float(required_s), 3),
        "tolerance_s": float(tolerance_s),
        "label": label,
        "todo_text": todo_text,
        "done_text": done_text,
        "error_text": error_text or _(LOAD_FAILED),
        "mime": mime,
        "loop": bool(loop),
        "heard": bool(heard),
    }
    result = _component(
        key=key,
        data=data,
        on_report_change=_ignore_report,
    )
    return ListeningReport.from_state(result.get("report"))

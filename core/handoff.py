"""One-time URLs for bytes a page hands to its browser (the blind player's clips and sounds).

A Streamlit element's data is hashed and serialised again on every script run that draws it: an
800 kB clip inside the player's data cost more CPU than the rest of a trial page's run (issue 23).
Instead, the page registers the bytes here once and gives the browser a URL,
``<base>/_ht/clip/<token>``, that the player fetches once and plays from a ``blob:`` URL.

Blinding: the token is 32 random bytes (URL-safe base64), unrelated to the clip, its file or its
content, so the URL is different for every participant, trial and page load; it answers once
(the first fetch takes the bytes out of the store) and not at all after ``MAX_AGE_S``, so a
copied URL can neither be passed around nor used to enumerate clips. The response carries the
bytes and their MIME type only (no file name, no ETag, ``Cache-Control: no-store``).

The store lives in the process that drew the page; nginx's sticky cookie sends the browser's
fetch to the replica whose websocket drew the player. After a replica died and came back, a tab
that moved to another replica has its fetches sent back to the first one, which does not know
the URL: the player then reloads the page once (player.js), and the resume link puts page and
fetches on one replica again. No Streamlit here.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PATH = "_ht/clip"
MAX_AGE_S = 600.0
"""Seconds an unfetched entry is kept: a page fetches at once; a tab that never does frees its memory."""


@dataclass(frozen=True)
class _Entry:
    data: bytes
    mime: str
    expires: float  # time.monotonic() seconds


_entries: dict[str, _Entry] = {}
_lock = threading.Lock()


def offer(data: bytes, mime: str, base_path: str = "") -> str:
    """Keep ``data`` for one fetch and return its URL path (``/<base_path>/_ht/clip/<token>``).

    Parameters
    ----------
    data : bytes
        What the browser will receive, unchanged.
    mime : str
        Its ``Content-Type`` (e.g. "audio/mpeg").
    base_path : str
        Streamlit's ``server.baseUrlPath`` ("" for none).
    """
    token = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _lock:
        for stale in [t for t, entry in _entries.items() if entry.expires < now]:
            del _entries[stale]
        _entries[token] = _Entry(bytes(data), mime, now + MAX_AGE_S)
    return f"{_prefix(base_path)}/{PATH}/{token}"


def take(token: str) -> tuple[bytes, str] | None:
    """The bytes and MIME type offered under ``token``, removed from the store; None if unknown, taken or expired."""
    with _lock:
        entry = _entries.pop(token, None)
    if entry is None or entry.expires < time.monotonic():
        return None
    return entry.data, entry.mime


def held() -> int:
    """Entries waiting to be fetched (for tests and monitoring)."""
    with _lock:
        return len(_entries)


def _prefix(base_path: str) -> str:
    return "/" + base_path.strip("/") if base_path.strip("/") else ""


def routes(base_path: str = "") -> list[Route]:
    """The GET route that hands out offered bytes once, under Streamlit's ``server.baseUrlPath``."""

    async def hand_out(request: Request) -> Response:
        taken = take(request.path_params["token"])
        if taken is None:
            return Response("This link has been used or has expired.", status_code=404, media_type="text/plain")
        data, mime = taken
        return Response(data, media_type=mime, headers={"Cache-Control": "no-store"})

    return [Route(f"{_prefix(base_path)}/{PATH}/{{token}}", hand_out, methods=["GET"])]

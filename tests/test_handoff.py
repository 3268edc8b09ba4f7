"""One-time URLs: each answers one GET with the bytes and their type, then never again."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
from starlette.routing import Router

from core import handoff
from tests.fresh_loop import run_in_fresh_loop


def _get(path: str, base_path: str = "") -> tuple[int, dict[str, str], bytes]:
    """One GET through the route, as the ASGI server sends it: status, headers, body."""
    router = Router(routes=handoff.routes(base_path))
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "root_path": "",
    }
    run_in_fresh_loop(router(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, body


def test_a_url_answers_once_with_the_bytes_and_nothing_that_names_them():
    url = handoff.offer(b"\xff\xfbclip", "audio/mpeg")
    status, headers, body = _get(url)
    assert (status, body) == (200, b"\xff\xfbclip")
    assert headers["content-type"] == "audio/mpeg" and headers["cache-control"] == "no-store"
    assert not {"etag", "content-disposition", "last-modified"} & set(headers)
    assert _get(url)[0] == 404  # the second fetch of the same URL


def test_the_same_bytes_get_unrelated_urls_and_unknown_tokens_get_nothing():
    urls = {handoff.offer(b"same bytes", "audio/wav") for _ in range(50)}
    assert len(urls) == 50
    assert all("same" not in url for url in urls)
    assert _get("/_ht/clip/" + "A" * 43)[0] == 404


def test_urls_live_under_the_base_path():
    url = handoff.offer(b"x", "audio/wav", base_path="/lab/")
    assert url.startswith("/lab/_ht/clip/")
    assert _get(url, base_path="lab")[2] == b"x"


def test_an_unfetched_entry_expires_and_is_pruned(monkeypatch: pytest.MonkeyPatch):
    url = handoff.offer(b"late", "audio/wav")
    held = handoff.held()
    now = handoff.time.monotonic()
    monkeypatch.setattr(handoff.time, "monotonic", lambda: now + handoff.MAX_AGE_S + 1)
    assert _get(url)[0] == 404
    handoff.offer(b"next", "audio/wav")  # offering prunes what expired
    assert handoff.held() <= held

"""The two HTTP routes that set and clear the staff session cookie (Starlette, no Streamlit).

A Streamlit script talks to the browser over a websocket and cannot set an HttpOnly cookie; these
routes, mounted beside Streamlit's own by ``app.py`` (``st.App(routes=...)``), can. The browser
posts a one-time ticket (see :mod:`core.staff_sessions`) and receives the cookie; logging out
revokes the session on the server and expires the cookie.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import proxies, staff_sessions

SESSION_PATH = "_ht/staff/session"
LOGOUT_PATH = "_ht/staff/logout"


def _client(request: Request) -> str:
    """The browser's address: the peer, or ``X-Real-IP`` from a trusted proxy (as :func:`core.ui.client_address`)."""
    return proxies.client_address(request.client.host if request.client else None, request.headers.get("x-real-ip"))


def _secure(request: Request) -> bool:
    """Mark the cookie Secure when the browser came over https (directly or through a trusted proxy)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-proto", "") if proxies.is_trusted(peer) else ""
    return request.url.scheme == "https" or forwarded.lower() == "https"


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: a browser always sends ``Origin`` on POST, and it must be this host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site request (curl, tests); the ticket still guards
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _cookie_path(base_path: str) -> str:
    return "/" + base_path.strip("/") if base_path.strip("/") else "/"


def routes(base_path: str = "") -> list[Route]:
    """The cookie routes under Streamlit's ``server.baseUrlPath`` (``base_path``, "" for none)."""
    prefix = _cookie_path(base_path).rstrip("/")
    cookie_path = _cookie_path(base_path)

    async def start_session(request: Request) -> Response:
        if not _same_origin(request):
            return Response(status_code=403)
        ticket = str((await request.form()).get("ticket", ""))
        issued = await run_in_threadpool(staff_sessions.exchange_ticket, ticket, _client(request))
        if issued is None:
            return Response("The login ticket is unknown, used or expired.", status_code=403)
        token, expires = issued
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.set_cookie(
            staff_sessions.SESSION_COOKIE,
            token,
            max_age=int((expires - datetime.now(UTC)).total_seconds()),
            path=cookie_path,
            secure=_secure(request),
            httponly=True,
            samesite="strict",
        )
        return response

    async def end_session(request: Request) -> Response:
        if not _same_origin(request):
            return Response(status_code=403)
        token = request.cookies.get(staff_sessions.SESSION_COOKIE)
        if token:
            await run_in_threadpool(staff_sessions.revoke, token, _client(request))
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        response.delete_cookie(staff_sessions.SESSION_COOKIE, path=cookie_path, httponly=True, samesite="strict")
        return response

    return [
        Route(f"{prefix}/{SESSION_PATH}", start_session, methods=["POST"]),
        Route(f"{prefix}/{LOGOUT_PATH}", end_session, methods=["POST"]),
    ]

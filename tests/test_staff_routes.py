"""The cookie routes: a ticket buys one HttpOnly session cookie; cross-site posts and reused tickets get nothing."""

from starlette.requests import Request

from core import db, staff_routes, staff_sessions
from core.staff_sessions import SessionStatus
from tests.fresh_loop import run_in_fresh_loop
from tests.staff_accounts import make_account


def _post(endpoint, body: bytes = b"", headers: dict[str, str] | None = None, cookie: str = ""):
    headers = {"host": "lab.example:8501", "content-type": "application/x-www-form-urlencoded", **(headers or {})}
    if cookie:
        headers["cookie"] = cookie
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/_ht/staff/session",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
        "server": ("lab.example", 8501),
        "scheme": "http",
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return run_in_fresh_loop(endpoint(Request(scope, receive)))


def _endpoints(base: str = ""):
    start, end = staff_routes.routes(base)
    return start.endpoint, end.endpoint


def test_a_ticket_buys_one_httponly_strict_cookie(data_env):
    db.migrate()
    start, _ = _endpoints()
    ticket = staff_sessions.issue_ticket(make_account())
    response = _post(start, f"ticket={ticket}".encode(), {"origin": "http://lab.example:8501"})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{staff_sessions.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert staff_sessions.check_session(token).status is SessionStatus.VALID
    assert _post(start, f"ticket={ticket}".encode()).status_code == 403  # used once


def test_https_through_the_local_proxy_marks_the_cookie_secure(data_env):
    db.migrate()
    start, _ = _endpoints("lab")
    ticket = staff_sessions.issue_ticket(make_account())
    response = _post(start, f"ticket={ticket}".encode(), {"x-forwarded-proto": "https"})
    assert "Secure" in response.headers["set-cookie"] and "Path=/lab" in response.headers["set-cookie"]


def test_cross_site_posts_and_bad_tickets_are_refused(data_env):
    db.migrate()
    start, end = _endpoints()
    ticket = staff_sessions.issue_ticket(make_account())
    assert _post(start, f"ticket={ticket}".encode(), {"origin": "https://evil.example"}).status_code == 403
    assert _post(end, b"", {"origin": "https://evil.example"}).status_code == 403
    assert _post(start, b"ticket=made-up").status_code == 403
    assert "set-cookie" not in _post(start, b"").headers


def test_logout_revokes_on_the_server_and_expires_the_cookie(data_env):
    db.migrate()
    start, end = _endpoints()
    response = _post(start, f"ticket={staff_sessions.issue_ticket(make_account())}".encode())
    token = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    response = _post(end, cookie=f"{staff_sessions.SESSION_COOKIE}={token}")
    assert response.status_code == 204 and "Max-Age=0" in response.headers["set-cookie"]
    assert staff_sessions.check_session(token).status is SessionStatus.REVOKED

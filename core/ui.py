"""Streamlit side of staff authentication: the login page and the guard every staff page calls.

With a local password, a login lasts beyond the websocket: after the password check the browser
trades a one-time ticket for an HttpOnly session cookie (:mod:`core.staff_sessions`,
:mod:`core.staff_routes`), which a refresh or a new tab presents again. OIDC (``st.login``) keeps
its own cookie.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import UTC, datetime

import streamlit as st

from core import auth, staff_routes, staff_sessions


def secrets_dict() -> dict:
    """Streamlit secrets as a dict; empty when no secrets file exists (the normal demo case)."""
    try:
        return dict(st.secrets)
    except Exception:
        return {}


def client_address() -> str:
    """The visitor's address: the peer, or the proxy's ``X-Real-IP`` when the peer is loopback.

    Forwarding headers are trusted only from a proxy on this machine (deploy/'s nginx), because
    anyone else could write them to dodge the login throttle.
    """
    peer = st.context.ip_address or "unknown"
    try:
        trusted = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        trusted = False
    if trusted:
        forwarded = st.context.headers.get("X-Real-IP") or ""
        if forwarded:
            return forwarded.strip()[:64]
    return peer


def oidc_configured() -> bool:
    """True when ``[auth]`` is configured in secrets, so ``st.login`` (OIDC) is used."""
    return "auth" in secrets_dict()


_UPLOADS_ALLOWED = "_staff_may_upload"
_AUTHENTICATED = "_staff_authenticated"
_EXPIRES_AT = "_staff_expires_at"  # UTC datetime the password login ends
_SECRET = "_staff_session_secret"  # this login's ticket, or the cookie token it was restored from
_PENDING_TICKET = "_staff_pending_ticket"  # to trade for the cookie once the page is drawn
_CLEAR_COOKIE = "_staff_clear_cookie"  # the browser's cookie is dead: expire it
_COOKIE_SEEN = "_staff_cookie_seen"  # the handshake cookie already judged in this websocket
_NOTICE = "_staff_login_notice"

_NOTICES = {
    staff_sessions.SessionStatus.EXPIRED: "Your staff session has expired. Please log in again.",
    staff_sessions.SessionStatus.REVOKED: "Your staff session was ended (log-out or a new staff password). "
    "Please log in again.",
    staff_sessions.SessionStatus.UNKNOWN: "Your staff session is no longer valid. Please log in again.",
}


def _session_cookie() -> str | None:
    """The staff session cookie sent with this websocket's handshake (None outside a browser)."""
    value = st.context.cookies.get(staff_sessions.SESSION_COOKIE)
    return value if isinstance(value, str) and value else None


def _password_login_is_live() -> bool:
    """This websocket's password login: from its own form, or restored once from the session cookie."""
    state = st.session_state
    if state.get(_AUTHENTICATED):
        if state.get(_EXPIRES_AT) and datetime.now(UTC) >= state[_EXPIRES_AT]:
            _forget_login(_NOTICES[staff_sessions.SessionStatus.EXPIRED])
            return False
        return True
    cookie = _session_cookie()
    if not cookie or state.get(_COOKIE_SEEN) == cookie:
        return False
    state[_COOKIE_SEEN] = cookie  # a websocket's cookies never change: judge them once
    check = staff_sessions.check_session(cookie)
    if check.status is not staff_sessions.SessionStatus.VALID:
        state[_NOTICE] = _NOTICES[check.status]
        state[_CLEAR_COOKIE] = True
        return False
    state.update({_AUTHENTICATED: True, _EXPIRES_AT: check.expires_at, _SECRET: cookie})
    return True


def is_staff() -> bool:
    """Whether this browser session belongs to a logged-in staff member."""
    if oidc_configured():
        try:
            staff = bool(st.user.is_logged_in)
        except Exception:
            staff = False
    else:
        staff = _password_login_is_live()
    # Read by the upload guard, which runs outside any script and cannot ask st.user itself.
    if staff:
        st.session_state[_UPLOADS_ALLOWED] = True
    else:
        st.session_state.pop(_UPLOADS_ALLOWED, None)
    return staff


def refuse_anonymous_uploads() -> None:
    """Make Streamlit's upload endpoint accept files only from logged-in staff sessions.

    Anyone with the study link has a Streamlit session, and ``PUT /_stcore/upload_file/<session>/..``
    keeps each file in that process's memory until the session ends (five 199 MB PUTs took a
    server from 0.5 to 1.5 GB). Participants never upload, so the endpoint's session check
    (``Runtime.is_active_session``, used by nothing else; it runs before the body is read) is
    narrowed to sessions whose staff login set :data:`_UPLOADS_ALLOWED`. A refused upload costs
    no memory: the request fails with 400 before its body is read.
    """
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return
    runtime = Runtime.instance()
    if getattr(runtime, "_human_touch_upload_guard", False):
        return
    session_manager = runtime._session_mgr  # noqa: SLF001 (no public way to read another session)

    def staff_session_only(session_id: str) -> bool:
        info = session_manager.get_active_session_info(session_id)
        return info is not None and _UPLOADS_ALLOWED in info.session.session_state

    # Streamlit has no hook for this; replace the bound method on this one runtime instance.
    runtime.is_active_session = staff_session_only  # type: ignore[method-assign]
    runtime._human_touch_upload_guard = True  # type: ignore[attr-defined]


def require_staff() -> None:
    """Stop the page unless a staff member is logged in (defence in depth behind the navigation)."""
    if not is_staff():
        st.error("This page is for study staff. Please log in.")
        st.stop()


def _forget_login(notice: str) -> None:
    for name in (_AUTHENTICATED, _EXPIRES_AT, _SECRET, _PENDING_TICKET, _UPLOADS_ALLOWED):
        st.session_state.pop(name, None)
    st.session_state[_NOTICE] = notice
    st.session_state[_CLEAR_COOKIE] = True


def logout() -> None:
    """End the login: revoked on the server at once (the cookie is then worthless), cookie expired."""
    if oidc_configured():
        st.logout()
    secret = st.session_state.get(_SECRET)
    if secret:
        staff_sessions.revoke(secret)
    # The handshake cookie stays in st.context for this websocket; never restore from it again.
    st.session_state[_COOKIE_SEEN] = _session_cookie()
    _forget_login("You are logged out.")


_cookie_component = st.components.v2.component(
    "human_touch.staff_cookie",
    # Posts the ticket (or the log-out) to core.staff_routes once per mount; the reply's
    # Set-Cookie is HttpOnly, so this script never sees the session token.
    js="""
const sent = new Set();
export default function ({ data, setStateValue }) {
  if (!data || !data.url || sent.has(data.id)) return;
  sent.add(data.id);
  const body = new URLSearchParams();
  if (data.ticket) body.set("ticket", data.ticket);
  fetch(data.url, { method: "POST", body, credentials: "same-origin", cache: "no-store" })
    .then((r) => setStateValue("status", r.status))
    .catch(() => setStateValue("status", 0));
}
""",
    css=":host { display: none; }",
)


def _route_url(path: str) -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"


def _ignore_status() -> None:
    """State-change callback; declaring it makes ``status`` a state that reruns the script."""


def keep_login_cookie() -> None:
    """Trade this login's ticket for the HttpOnly session cookie (draw once per login, staff pages)."""
    ticket = st.session_state.get(_PENDING_TICKET)
    if not ticket:
        return
    key = "staff_cookie_" + hashlib.sha256(ticket.encode()).hexdigest()[:16]
    url = _route_url(staff_routes.SESSION_PATH)
    result = _cookie_component(key=key, data={"url": url, "ticket": ticket, "id": key}, on_status_change=_ignore_status)
    if result.get("status") is not None:
        st.session_state.pop(_PENDING_TICKET, None)  # done (a failure only costs the refresh-proofing)


def _clear_login_cookie() -> None:
    if st.session_state.get(_CLEAR_COOKIE):
        url = _route_url(staff_routes.LOGOUT_PATH)
        result = _cookie_component(
            key="staff_cookie_clear", data={"url": url, "id": "clear"}, on_status_change=_ignore_status
        )
        if result.get("status") is not None:
            st.session_state.pop(_CLEAR_COOKIE, None)


def _password_form(hashed: str) -> None:
    with st.form("staff_login"):
        password = st.text_input("Staff password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        client = client_address()
        outcome = auth.attempt_login(password, hashed, client)
        if outcome.ok:
            ticket = staff_sessions.issue_ticket(client)
            expires = datetime.now(UTC) + staff_sessions.session_lifetime()
            for name in (_NOTICE, _CLEAR_COOKIE):
                st.session_state.pop(name, None)
            st.session_state.update(
                {_AUTHENTICATED: True, _EXPIRES_AT: expires, _SECRET: ticket, _PENDING_TICKET: ticket}
            )
            st.rerun()
        else:
            st.error(outcome.message)


def login_page() -> None:
    """The staff login page (at /staff and at every staff page's address while logged out).

    OIDC button when configured, otherwise the staff password. Says why it is shown when a
    session expired or ended, so a refresh never lands silently anywhere else.
    """
    st.title("Staff login")
    if oidc_configured():
        st.write("Log in with your institution's account to manage clips and see results.")
        if st.button("Log in", type="primary"):
            st.login()
        return
    notice = st.session_state.get(_NOTICE)
    if notice:
        st.info(notice)
    _clear_login_cookie()
    hashed = auth.configured_hash(secrets_dict().get("staff_password_hash"))
    if hashed is None:
        st.error("No staff password is configured. Run `human-touch staff set-password`.")
        return
    _password_form(hashed)
    hours = staff_sessions.session_lifetime().total_seconds() / 3600
    st.caption(
        f"A login lasts {hours:g} hours in this browser, across refreshes. "
        "On a local demo the password was printed in the terminal at first start; "
        "`human-touch staff set-password` sets a new one."
    )


def staff_home() -> None:
    """Landing page after login: where things are, and log out."""
    st.title("Staff home")
    st.write(
        "Use the sidebar: **Study** to set up and share the study, **Clip library** to add and "
        "check clips, **Results** for live results and exports."
    )
    if st.button("Log out"):
        logout()
        st.rerun()


def staff_url() -> str:
    """The staff login address of this very server (its configured address, port and base path)."""
    from core import config

    address = str(st.get_option("server.address") or "")
    return config.staff_url(int(st.get_option("server.port")), address, str(st.get_option("server.baseUrlPath") or ""))

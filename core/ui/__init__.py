"""Streamlit side of staff authentication: the login page, who is logged in, and the guards pages call.

Pages ask :func:`current_account` (who), :func:`require` (may they, on this study: checked on the
server at every script run, with a refusal that says why) and :func:`current_actor` (how the audit
trail names them). A login is re-checked against the database at every script run (one
primary-key read of the account): logging out in another tab, a password change, disabling or a
role change ends it at the next click.

With a local password, a login lasts beyond the websocket: after the password check the browser
trades a one-time ticket for an HttpOnly session cookie (:mod:`core.staff_sessions`,
:mod:`core.staff_routes`), which a refresh or a new tab presents again. OIDC (``st.login``) keeps
its own cookie.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from core import access, audit, auth, db, proxies, staff_routes, staff_sessions


def secrets_dict() -> dict:
    """Streamlit secrets as a dict; empty when no secrets file exists (the normal demo case)."""
    try:
        return dict(st.secrets)
    except Exception:
        return {}


def client_address() -> str:
    """The visitor's address: the peer, or ``X-Real-IP`` when the peer is a trusted proxy (:mod:`core.proxies`).

    Streamlit reports a loopback peer as None (and uvicorn no longer rewrites the peer from
    ``X-Forwarded-For``, see :func:`core.proxies.keep_real_peer`), so None means loopback.
    """
    peer = st.context.ip_address
    header = st.context.headers.get("X-Real-IP")
    # Outside a browser (AppTest) both may be stand-ins rather than text.
    return proxies.client_address(
        peer if isinstance(peer, str) and peer else proxies.LOOPBACK, header if isinstance(header, str) else None
    )


def oidc_configured() -> bool:
    """True when ``[auth]`` is configured in secrets, so ``st.login`` (OIDC) is used."""
    return "auth" in secrets_dict()


_UPLOADS_ALLOWED = "_staff_may_upload"
_AUTHENTICATED = "_staff_authenticated"
_EXPIRES_AT = "_staff_expires_at"  # UTC datetime the password login ends
_SECRET = "_staff_session_secret"  # this login's ticket, or the cookie token it was restored from
_ACCOUNT_ID = "_staff_account_id"  # the logged-in account
_EPOCH = "_staff_session_epoch"  # its session epoch at login; a bump in the database ends this login
_PENDING_TICKET = "_staff_pending_ticket"  # to trade for the cookie once the page is drawn
_CLEAR_COOKIE = "_staff_clear_cookie"  # the browser's cookie is dead: expire it
_COOKIE_SEEN = "_staff_cookie_seen"  # the handshake cookie already judged in this websocket
_NOTICE = "_staff_login_notice"

_NOTICES = {
    staff_sessions.SessionStatus.EXPIRED: "Your staff session has expired. Please log in again.",
    staff_sessions.SessionStatus.REVOKED: "Your staff session was ended (a log-out, a new password or a "
    "change of your roles). Please log in again.",
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
    if check.status is not staff_sessions.SessionStatus.VALID or check.account_id is None:
        state[_NOTICE] = _NOTICES[check.status]
        state[_CLEAR_COOKIE] = True
        return False
    _remember_login(check.account_id, check.expires_at, cookie)
    return True


def _remember_login(account_id: int, expires_at: datetime | None, secret: str) -> None:
    with db.session_scope() as session:
        epoch = access.session_epoch(session, account_id)
    st.session_state.update(
        {_AUTHENTICATED: True, _EXPIRES_AT: expires_at, _SECRET: secret, _ACCOUNT_ID: account_id, _EPOCH: epoch}
    )


def _oidc_account() -> access.Account | None:
    try:
        if not st.user.is_logged_in:
            return None
        subject, email, name = (st.user.get(key) for key in ("sub", "email", "name"))
    except Exception:
        return None
    with db.session_scope() as session:
        return access.oidc_account(session, _text(subject), _text(email), _text(name))


def _text(value: Any) -> str | None:
    return str(value) if value else None


def current_account() -> access.Account | None:
    """The logged-in staff account, or None; re-checked against the database at every script run."""
    if oidc_configured():
        account = _oidc_account()
    elif not _password_login_is_live():
        account = None
    else:
        with db.session_scope() as session:
            account = access.live_account(
                session, st.session_state.get(_ACCOUNT_ID, -1), st.session_state.get(_EPOCH, -1)
            )
        if account is None:
            _forget_login(_NOTICES[staff_sessions.SessionStatus.REVOKED])
    # Read by the upload guard, which runs outside any script and cannot ask the database itself.
    if account is not None:
        st.session_state[_UPLOADS_ALLOWED] = True
    else:
        st.session_state.pop(_UPLOADS_ALLOWED, None)
    return account


def is_staff() -> bool:
    """Whether this browser session belongs to a logged-in staff member (see :func:`current_account`)."""
    return current_account() is not None


def current_actor() -> audit.Actor:
    """Who acts, for the audit trail: the account's name and id and the client address."""
    account = current_account()
    if account is None:
        return audit.Actor("anonymous", None, client_address())
    return account.actor(client_address())


def require(permission: access.Permission, study_id: int | None) -> access.Account:
    """The logged-in account if it holds ``permission`` on ``study_id`` (None: server-wide); else stop the page.

    Checked on the server at every script run, so a button hidden from a role is also refused
    when its message arrives anyway.
    """
    account = current_account()
    if account is None:
        st.error("This page is for study staff. Please log in.")
        st.stop()
    with db.session_scope() as session:
        allowed = access.allowed(session, account, permission, study_id)
    if not allowed:
        st.error(access.refusal(permission, study_id))
        st.stop()
    return account


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


def ignore_participant_cache_clears() -> None:
    """Let only staff sessions clear cached data; a participant's ``clear_cache`` message does nothing.

    Streamlit's caches are shared by every session of the process (the results' model fits, the
    start-up), and any browser may send the message ("Clear cache" in the menu, or by hand). A staff
    session clears the data caches, never ``st.cache_resource`` (it holds the start-up).
    """
    from streamlit.runtime import caching
    from streamlit.runtime.app_session import AppSession

    if getattr(AppSession, "_human_touch_cache_guard", False):
        return

    def staff_only_clear(self: AppSession) -> None:
        if _UPLOADS_ALLOWED in self.session_state:  # set by a live staff login, see current_account
            caching.cache_data.clear()

    AppSession._handle_clear_cache_request = staff_only_clear  # type: ignore[method-assign]
    AppSession._human_touch_cache_guard = True  # type: ignore[attr-defined]


@asynccontextmanager
async def server_lifespan(_app: object) -> AsyncIterator[None]:
    """``st.App(lifespan=...)``: guard uploads and cache clears after the runtime starts, before any connection.

    uvicorn finishes the lifespan start-up before it serves the (already listening) socket, so no
    request can reach a process without these guards.
    """
    refuse_anonymous_uploads()
    ignore_participant_cache_clears()
    yield


def require_staff() -> None:
    """Stop the page unless a staff member is logged in (defence in depth behind the navigation)."""
    if not is_staff():
        st.error("This page is for study staff. Please log in.")
        st.stop()


def _forget_login(notice: str) -> None:
    for name in (_AUTHENTICATED, _EXPIRES_AT, _SECRET, _PENDING_TICKET, _UPLOADS_ALLOWED, _ACCOUNT_ID, _EPOCH):
        st.session_state.pop(name, None)
    st.session_state[_NOTICE] = notice
    st.session_state[_CLEAR_COOKIE] = True


def logout() -> None:
    """End the login everywhere: every session of the account is revoked on the server, the cookie expired."""
    if oidc_configured():
        st.logout()
    secret = st.session_state.get(_SECRET)
    if secret:
        staff_sessions.revoke(secret, client_address())
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


def _password_form() -> None:
    with st.form("staff_login"):
        username = st.text_input("Username", value=auth.ADMIN if _only_admin_exists() else "")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        client = client_address()
        outcome = auth.attempt_login(username, password, client)
        if outcome.ok and outcome.account_id is not None:
            ticket = staff_sessions.issue_ticket(outcome.account_id, client)
            expires = datetime.now(UTC) + staff_sessions.session_lifetime()
            for name in (_NOTICE, _CLEAR_COOKIE):
                st.session_state.pop(name, None)
            _remember_login(outcome.account_id, expires, ticket)
            st.session_state[_PENDING_TICKET] = ticket
            st.rerun()
        else:
            st.error(outcome.message)


def _only_admin_exists() -> bool:
    """A fresh installation: prefill the username of the one account the first start created."""
    from core import repository

    with db.session_scope() as session:
        only_one = repository.count_accounts(session) == 1
        return only_one and repository.account_by_username(session, auth.ADMIN) is not None


def _invitation_form(token: str) -> None:
    """Set one's password with an invitation link (``/staff?invite=TOKEN``)."""
    st.write("Choose a password for your staff account (at least 8 characters).")
    with st.form("staff_invitation"):
        password = st.text_input("New password", type="password")
        repeated = st.text_input("New password again", type="password")
        submitted = st.form_submit_button("Set password", type="primary")
    if not submitted:
        return
    if password != repeated:
        st.error("The two passwords differ.")
        return
    try:
        with db.session_scope() as session:
            account = access.accept_invitation(session, token, password, client_address())
    except access.Refused as refused:
        st.error(str(refused))
        return
    st.query_params.pop("invite", None)
    st.session_state[_NOTICE] = f"Password set. Log in as {account.username}."
    st.rerun()


def login_page() -> None:
    """The staff login page (at /staff and at every staff page's address while logged out).

    OIDC button when configured, otherwise username and password (Enter submits). Says why it is
    shown when a session expired or ended, so a refresh never lands silently anywhere else. With
    ``?invite=TOKEN`` it sets the invited account's password instead.
    """
    st.title("Staff login")
    if oidc_configured():
        st.write("Log in with your institution's account to manage clips and see results.")
        if st.button("Log in", type="primary"):
            st.login()
        return
    invite = st.query_params.get("invite")
    if invite:
        _invitation_form(str(invite))
        return
    notice = st.session_state.get(_NOTICE)
    if notice:
        st.info(notice)
    _clear_login_cookie()
    _password_form()
    hours = staff_sessions.session_lifetime().total_seconds() / 3600
    st.caption(
        f"A login lasts {hours:g} hours in this browser, across refreshes. "
        "On a local demo the admin password was printed in the terminal at first start; "
        "`human-touch staff set-password` sets a new one."
    )


def staff_home() -> None:
    """Landing page after login: where things are, one's account, people and roles, and log out."""
    from core.ui import accounts as account_ui

    st.title("Staff home")
    st.write(
        "Use the sidebar: **Study** to set up and share the study, **Clip library** to add and "
        "check clips, **Results** for live results and exports."
    )
    account = current_account()
    if account is None:
        st.stop()
    account_ui.draw(account, current_actor())
    if st.button("Log out"):
        logout()
        st.rerun()


def staff_url() -> str:
    """The staff login address of this very server (its configured address, port and base path)."""
    from core import config

    address = str(st.get_option("server.address") or "")
    return config.staff_url(int(st.get_option("server.port")), address, str(st.get_option("server.baseUrlPath") or ""))

"""Streamlit side of staff authentication: the login page and the guard every staff page calls."""

from __future__ import annotations

import ipaddress

import streamlit as st

from core import auth


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


def is_staff() -> bool:
    """Whether this browser session belongs to a logged-in staff member."""
    if oidc_configured():
        try:
            staff = bool(st.user.is_logged_in)
        except Exception:
            staff = False
    else:
        staff = bool(st.session_state.get("_staff_authenticated"))
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


def logout() -> None:
    if oidc_configured():
        st.logout()
    st.session_state.pop("_staff_authenticated", None)
    st.session_state.pop(_UPLOADS_ALLOWED, None)


def login_page() -> None:
    """The staff login page: OIDC button when configured, otherwise the staff password."""
    st.title("Staff login")
    if oidc_configured():
        st.write("Log in with your institution's account to manage clips and see results.")
        if st.button("Log in", type="primary"):
            st.login()
        return
    hashed = auth.configured_hash(secrets_dict().get("staff_password_hash"))
    if hashed is None:
        st.error("No staff password is configured. Run `human-touch staff set-password`.")
        return
    with st.form("staff_login"):
        password = st.text_input("Staff password", type="password")
        submitted = st.form_submit_button("Log in", type="primary")
    if submitted:
        outcome = auth.attempt_login(password, hashed, client_address())
        if outcome.ok:
            st.session_state["_staff_authenticated"] = True
            st.rerun()
        else:
            st.error(outcome.message)
    st.caption(
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

"""Staff home's account sections: one's own password and access tokens, accounts (admins), people per study (owners).

Every action goes through :mod:`core.access`, which checks the role on the server and writes the
audit trail; this module only draws and reports the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.orm import Session

from core import access, audit, db, repository


def draw(account: access.Account, actor: audit.Actor) -> None:
    """The sections this account may use, under Staff home's introduction."""
    st.caption(f"Logged in as **{account.display_name}** ({account.username}){' · admin' if account.is_admin else ''}")
    _own_account(account, actor)
    with db.session_scope() as session:
        owned = [
            study_id
            for study_id in access.studies_visible_to(session, account)
            if access.allowed(session, account, access.Permission.MANAGE_MEMBERS, study_id)
        ]
        names = repository.study_names(session, owned)
    if owned:
        _people(account, actor, owned, names)
    if account.is_admin:
        _accounts(account, actor)


def _run(action: Callable[[Session], object], done: str) -> object | None:
    """Run ``action(session)`` in one transaction; show ``done`` or the refusal. Returns its result."""
    try:
        with db.session_scope() as session:
            result = action(session)
    except access.Refused as refused:
        st.error(str(refused))
        return None
    st.success(done)
    return result


def _own_account(account: access.Account, actor: audit.Actor) -> None:
    with st.expander("Your password and access tokens"):
        with st.form("own_password", clear_on_submit=True):
            old = st.text_input("Current password", type="password")
            new = st.text_input("New password (at least 8 characters)", type="password")
            again = st.text_input("New password again", type="password")
            if st.form_submit_button("Change password"):
                if new != again:
                    st.error("The two new passwords differ.")
                else:
                    _run(
                        lambda s: access.change_password(s, account, actor, account.username, new, old),
                        "Password changed. Every session of your account ends now: please log in again.",
                    )
        st.write(
            "An access token lets `human-touch` commands act as you: "
            "`HUMAN_TOUCH_TOKEN=... human-touch ...`. It is shown once; only its hash is kept."
        )
        if st.button("Create an access token"):
            token = _run(lambda s: access.create_token(s, account, actor, account.username, "staff home"), "Created.")
            if token:
                st.code(str(token), language=None)


def _people(account: access.Account, actor: audit.Actor, owned: list[int], names: dict[int, str]) -> None:
    st.subheader("People and roles")
    study_id = st.selectbox("Study", owned, format_func=lambda sid: names.get(sid, str(sid)))
    if study_id is None:
        return
    with db.session_scope() as session:
        members = access.members(session, study_id)
    st.dataframe(
        [{"username": m.username, "name": m.display_name, "role": str(role)} for m, role in members],
        hide_index=True,
    )
    with st.form("member_role"):
        username = st.text_input("Username")
        role = st.selectbox("Role", [*access.Role, None], format_func=lambda r: str(r) if r else "no role (remove)")
        if st.form_submit_button("Set role"):
            _run(
                lambda s: access.set_role(s, account, actor, study_id, username, role),
                f"{username}: {role or 'removed'}. Their open sessions end now.",
            )


def _accounts(account: access.Account, actor: audit.Actor) -> None:
    st.subheader("Accounts")
    with db.session_scope() as session:
        everyone = access.all_accounts(session)
    st.dataframe(
        [
            {"username": a.username, "name": a.display_name, "admin": a.is_admin, "disabled": disabled}
            for a, disabled in everyone
        ],
        hide_index=True,
    )
    with st.form("new_account", clear_on_submit=True):
        username = st.text_input("New username")
        name = st.text_input("Display name")
        email = st.text_input("E-mail (for OIDC login; optional)")
        admin = st.checkbox("Admin (manages accounts and the shared clip library)")
        if st.form_submit_button("Create account and invitation link"):
            token = _run(
                lambda s: _create_and_invite(s, account, actor, username, name, email, admin),
                f"Account {username} created. Send them this one-time link (valid 7 days):",
            )
            if token:
                st.code(_invite_url(str(token)), language=None)
    _account_actions(account, actor, [a.username for a, _ in everyone])


def _create_and_invite(session, account, actor, username, name, email, admin) -> str:
    created = access.create_account(session, account, actor, username, display_name=name, email=email, is_admin=admin)
    return access.invite(session, account, actor, created.username)


def _account_actions(account: access.Account, actor: audit.Actor, usernames: list[str]) -> None:
    target = st.selectbox("Account", usernames, key="account_actions_target")
    if not target:
        return
    columns = st.columns(5)
    if columns[0].button("New invitation link"):
        token = _run(lambda s: access.invite(s, account, actor, target), "Send this one-time link (valid 7 days):")
        if token:
            st.code(_invite_url(str(token)), language=None)
    for column, label, action in (
        (columns[1], "Disable", lambda s: access.set_disabled(s, account, actor, target, True)),
        (columns[2], "Enable", lambda s: access.set_disabled(s, account, actor, target, False)),
        (columns[3], "Make admin", lambda s: access.set_admin(s, account, actor, target, True)),
        (columns[4], "Remove admin", lambda s: access.set_admin(s, account, actor, target, False)),
    ):
        if column.button(label):
            _run(action, f"{target}: {label.lower()} done.")


def _invite_url(token: str) -> str:
    """The absolute invitation link on this server (``/staff?invite=TOKEN`` under the base path)."""
    parts = urlsplit(str(st.context.url or ""))
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    path = f"/{base}/staff" if base else "/staff"
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return f"{origin}{path}?invite={token}"

"""Who may do what: staff accounts, roles per study, permissions, invitations, CLI identity (no Streamlit).

A staff member acts as a named account. On each study an account may hold one role:

==============  ==========================================================================
researcher      sees the study, its results and exports; reads only.
organiser       researcher's rights + clips, settings, preview, participants, open/close.
owner           organiser's rights + people and roles on the study, delete it, its audit trail.
==============  ==========================================================================

A server **admin** manages accounts and the shared clip library and may do everything on every
study. Pages (``core.ui.require``) and commands (:func:`require_cli`) ask :func:`permissions` on the
server for every script run and every command; hiding a button is never the check. Every change
made here writes an audit event (:func:`core.audit.record`) in the change's own transaction, and
every change of an account's rights ends its open sessions
(:func:`core.repository.end_account_sessions`): its next script run starts from a fresh login.

Functions take the caller's ``session`` and never commit (the caller owns the transaction).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from core import audit, auth, repository
from core.models import StaffAccount, utcnow
from core.staff_sessions import token_hash


class Role(StrEnum):
    """A role on one study, weakest first."""

    RESEARCHER = "researcher"
    ORGANISER = "organiser"
    OWNER = "owner"


class Permission(StrEnum):
    """One thing a page or command may do; study permissions are asked with a study id, server ones with None."""

    VIEW_STUDY = "study.view"
    VIEW_RESULTS = "results.view"
    EXPORT = "results.export"
    PREVIEW = "study.preview"
    EDIT_SETTINGS = "study.settings"
    OPEN_CLOSE = "study.open_close"
    EDIT_CLIPS = "study.clips"
    MANAGE_PARTICIPANTS = "study.participants"
    ARCHIVE = "study.archive"
    MANAGE_MEMBERS = "study.members"
    VIEW_AUDIT = "study.audit"
    DELETE_STUDY = "study.delete"
    # Server-wide (study_id None)
    VIEW_LIBRARY = "library.view"
    ADD_CLIPS = "library.add"
    MANAGE_LIBRARY = "library.manage"
    CREATE_STUDY = "study.create"
    MANAGE_ACCOUNTS = "accounts.manage"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW_STUDY: "seeing this study",
    Permission.VIEW_RESULTS: "seeing results",
    Permission.EXPORT: "exporting data",
    Permission.PREVIEW: "previewing the study",
    Permission.EDIT_SETTINGS: "changing the study's settings",
    Permission.OPEN_CLOSE: "opening or closing the study",
    Permission.EDIT_CLIPS: "changing the study's clips",
    Permission.MANAGE_PARTICIPANTS: "managing participants",
    Permission.ARCHIVE: "archiving the study",
    Permission.MANAGE_MEMBERS: "changing people and roles",
    Permission.VIEW_AUDIT: "reading the audit trail",
    Permission.DELETE_STUDY: "deleting the study",
    Permission.VIEW_LIBRARY: "seeing the clip library",
    Permission.ADD_CLIPS: "adding clips",
    Permission.MANAGE_LIBRARY: "managing the shared clip library",
    Permission.CREATE_STUDY: "creating studies",
    Permission.MANAGE_ACCOUNTS: "managing accounts",
}

_RESEARCHER = frozenset({Permission.VIEW_STUDY, Permission.VIEW_RESULTS, Permission.EXPORT})
_ORGANISER = _RESEARCHER | {
    Permission.PREVIEW,
    Permission.EDIT_SETTINGS,
    Permission.OPEN_CLOSE,
    Permission.EDIT_CLIPS,
    Permission.MANAGE_PARTICIPANTS,
    Permission.ARCHIVE,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.RESEARCHER: _RESEARCHER,
    Role.ORGANISER: _ORGANISER,
    Role.OWNER: _ORGANISER | {Permission.MANAGE_MEMBERS, Permission.VIEW_AUDIT, Permission.DELETE_STUDY},
}
SERVER_PERMISSIONS = frozenset(
    {
        Permission.VIEW_LIBRARY,
        Permission.ADD_CLIPS,
        Permission.MANAGE_LIBRARY,
        Permission.CREATE_STUDY,
        Permission.MANAGE_ACCOUNTS,
    }
)


class Refused(Exception):
    """The acting account may not do this; the message says why, in words for the user."""


@dataclass(frozen=True)
class Account:
    """A staff account as the rest of the code sees it. ``id`` None: the operator at the command line (admin)."""

    id: int | None
    username: str
    display_name: str
    is_admin: bool

    @classmethod
    def of(cls, row: StaffAccount) -> Account:
        return cls(row.id, row.username, row.display_name or row.username, bool(row.is_admin))

    def actor(self, client: str | None = None) -> audit.Actor:
        """This account as the audit trail names it."""
        return audit.Actor(self.username, self.id, client)


def permissions(session: Session, account: Account, study_id: int | None) -> frozenset[Permission]:
    """What ``account`` may do on study ``study_id``, or server-wide when ``study_id`` is None."""
    if account.is_admin:
        return frozenset(Permission)
    if account.id is None:
        return frozenset()
    if study_id is None:
        # Organisers anywhere may add clips to the shared library; everyone may look at it.
        roles = repository.member_roles(session, account.id)
        adds = {Permission.ADD_CLIPS} if roles & {Role.ORGANISER, Role.OWNER} else set()
        return frozenset({Permission.VIEW_LIBRARY, *adds})
    role = repository.member_role(session, study_id, account.id)
    return ROLE_PERMISSIONS.get(Role(role), frozenset()) if role else frozenset()


def allowed(session: Session, account: Account, permission: Permission, study_id: int | None) -> bool:
    """Whether ``account`` holds ``permission`` on ``study_id`` (None: server-wide)."""
    return permission in permissions(session, account, study_id)


def refusal(permission: Permission, study_id: int | None) -> str:
    """The sentence a refused user reads."""
    where = "on this study" if study_id is not None else "on this server"
    return f"Your role {where} does not allow {DESCRIPTIONS[permission]}."


def check(session: Session, account: Account, permission: Permission, study_id: int | None) -> None:
    """Raise :class:`Refused` unless ``account`` holds ``permission`` on ``study_id``."""
    if not allowed(session, account, permission, study_id):
        raise Refused(refusal(permission, study_id))


def studies_visible_to(session: Session, account: Account) -> list[int]:
    """Ids of the (not deleted) studies ``account`` may see: all for an admin, else its memberships."""
    if account.is_admin:
        return repository.live_study_ids(session)
    return repository.member_study_ids(session, account.id) if account.id is not None else []


def live_account(session: Session, account_id: int, epoch: int | None = None) -> Account | None:
    """The account if it exists, is not disabled and (given ``epoch``) its sessions were not ended since."""
    row = repository.account(session, account_id)
    if row is None or row.disabled_at is not None or (epoch is not None and row.session_epoch != epoch):
        return None
    return Account.of(row)


def session_epoch(session: Session, account_id: int) -> int:
    """The account's current session epoch (stored with a login; a bump ends it)."""
    row = repository.account(session, account_id)
    return row.session_epoch if row is not None else -1


# ----------------------------------------------------------------------------------------------
# Members of a study


def set_role(
    session: Session, acting: Account, actor: audit.Actor, study_id: int, username: str, role: Role | None
) -> None:
    """Give ``username`` ``role`` on a study (None removes them); needs MANAGE_MEMBERS there.

    A study keeps at least one owner unless an admin acts. The member's sessions end, so the
    new rights hold from their next script run.
    """
    check(session, acting, Permission.MANAGE_MEMBERS, study_id)
    target = repository.account_by_username(session, username)
    if target is None:
        raise Refused(f"There is no account named {username!r}.")
    current = repository.member_role(session, study_id, target.id)
    last_owner = current == Role.OWNER and repository.count_role(session, study_id, Role.OWNER) == 1
    if last_owner and role != Role.OWNER and not acting.is_admin:
        raise Refused("A study needs an owner: make someone else owner first.")
    before = repository.set_member_role(session, study_id, target.id, role.value if role else None)
    action = "member.remove" if role is None else ("member.add" if before is None else "member.change")
    audit.record(session, actor, action, study_id=study_id, target=target.username, detail={"role": [before, role]})
    repository.end_account_sessions(session, target.id, utcnow())


def add_member(session: Session, acting: Account, actor: audit.Actor, study_id: int, username: str, role: Role) -> None:
    """Make ``username`` a member of a study with ``role`` (or change their role); audited."""
    set_role(session, acting, actor, study_id, username, role)


def change_member(
    session: Session, acting: Account, actor: audit.Actor, study_id: int, username: str, role: Role
) -> None:
    """Change the role of a member; audited."""
    set_role(session, acting, actor, study_id, username, role)


def remove_member(session: Session, acting: Account, actor: audit.Actor, study_id: int, username: str) -> None:
    """Take ``username`` off a study; audited."""
    set_role(session, acting, actor, study_id, username, None)


def members(session: Session, study_id: int) -> list[tuple[Account, Role]]:
    """(account, role) of every member of a study, by username."""
    return [(Account.of(row), Role(role)) for row, role in repository.members(session, study_id)]


# ----------------------------------------------------------------------------------------------
# Accounts (admins), passwords (each their own), invitations


INVITATION_TTL = timedelta(days=7)
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def create_account(
    session: Session,
    acting: Account,
    actor: audit.Actor,
    username: str,
    *,
    display_name: str = "",
    email: str | None = None,
    is_admin: bool = False,
) -> Account:
    """Create an account without a password (it gets one by invitation or ``staff set-password``)."""
    check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    name = username.strip().lower()
    if not name or len(name) > 64 or not set(name) <= USERNAME_CHARS:
        raise Refused("A username is 1-64 of: lower-case letters, digits, '.', '_', '-', '@'.")
    address = (email or "").strip().lower() or None
    display = display_name.strip()[:200]
    row = repository.add_account(session, name, display_name=display, email=address, is_admin=is_admin)
    if row is None:
        raise Refused(f"The username {name!r} (or that e-mail address) is taken.")
    audit.record(session, actor, "account.create", target=name, detail={"admin": is_admin})
    return Account.of(row)


def invite(session: Session, acting: Account, actor: audit.Actor, username: str, now: datetime | None = None) -> str:
    """A one-time invitation token (valid :data:`INVITATION_TTL`) with which ``username`` sets a password."""
    check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    target = _account_named(session, username)
    token = secrets.token_urlsafe(32)
    repository.add_invitation(session, token_hash(token), target.id, (now or utcnow()) + INVITATION_TTL)
    audit.record(session, actor, "account.invite", target=target.username)
    return token


def accept_invitation(session: Session, token: str, password: str, client: str | None) -> Account:
    """Set the invited account's password with a one-time token; raises :class:`Refused` if it is bad or used."""
    _check_password(password)
    account_id = repository.use_invitation(session, token_hash(token), utcnow()) if token else None
    row = repository.account(session, account_id) if account_id is not None else None
    if row is None or row.disabled_at is not None:
        raise Refused("This invitation link is unknown, used or expired. Ask an admin for a new one.")
    row.password_hash = auth.hash_password(password)
    repository.end_account_sessions(session, row.id, utcnow())
    audit.record(session, audit.Actor(row.username, row.id, client), "account.invitation_accepted", target=row.username)
    return Account.of(row)


MIN_PASSWORD_LENGTH = 8


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(f"Use at least {MIN_PASSWORD_LENGTH} characters.")


def _account_named(session: Session, username: str) -> StaffAccount:
    row = repository.account_by_username(session, username)
    if row is None:
        raise Refused(f"There is no account named {username!r}.")
    return row


def change_password(
    session: Session, acting: Account, actor: audit.Actor, username: str, password: str, old_password: str | None = None
) -> None:
    """Set a password: one's own (with the old one, when it had one), or anyone's as an admin; ends its sessions."""
    _check_password(password)
    target = _account_named(session, username)
    if target.id != acting.id:
        check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    elif target.password_hash and not auth.verify_password(old_password or "", target.password_hash):
        raise Refused("The current password is not right.")
    target.password_hash = auth.hash_password(password)
    repository.end_account_sessions(session, target.id, utcnow())
    audit.record(session, actor, "account.password", target=target.username)


def set_disabled(session: Session, acting: Account, actor: audit.Actor, username: str, disabled: bool) -> None:
    """Disable (ends every session and access token) or re-enable an account; admins only, never oneself."""
    check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    target = _account_named(session, username)
    if target.id == acting.id:
        raise Refused("You cannot disable your own account.")
    now = utcnow()
    target.disabled_at = now if disabled else None
    repository.end_account_sessions(session, target.id, now)
    if disabled:
        repository.revoke_access_tokens(session, target.id, now)
    audit.record(session, actor, "account.disable" if disabled else "account.enable", target=target.username)


def set_admin(session: Session, acting: Account, actor: audit.Actor, username: str, is_admin: bool) -> None:
    """Make an account an admin or take that away (admins only; never one's own)."""
    check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    target = _account_named(session, username)
    if target.id == acting.id:
        raise Refused("You cannot change your own admin rights.")
    target.is_admin = is_admin
    repository.end_account_sessions(session, target.id, utcnow())
    audit.record(session, actor, "account.admin", target=target.username, detail={"admin": is_admin})


def all_accounts(session: Session) -> list[tuple[Account, bool]]:
    """(account, disabled) for every account, by username."""
    return [(Account.of(row), row.disabled_at is not None) for row in repository.accounts(session)]


def oidc_account(session: Session, subject: str | None, email: str | None, name: str | None) -> Account | None:
    """The account of an identity that logged in through ``st.login``, or None when it has none.

    Matched by the identity's subject, else by an account's e-mail address (then the subject is
    remembered). The very first OIDC identity on a server without OIDC accounts becomes an admin,
    as the first start's password does for local logins: someone must be able to invite the rest.
    """
    row = repository.account_by_identity(session, subject, email)
    if row is None and subject and not repository.count_accounts(session, with_oidc=True):
        username = (email or subject).strip().lower()[:64]
        row = repository.add_account(
            session, username, display_name=(name or username)[:200], oidc_subject=subject, is_admin=True
        )
        if row is not None:
            audit.record(session, audit.SYSTEM, "account.create", target=username, detail={"admin": True, "oidc": True})
    if row is None or row.disabled_at is not None:
        return None
    if subject and row.oidc_subject is None:
        row.oidc_subject = subject
    return Account.of(row)


# ----------------------------------------------------------------------------------------------
# The command line


TOKEN_ENV = "HUMAN_TOUCH_TOKEN"


def create_token(session: Session, acting: Account, actor: audit.Actor, username: str, label: str = "") -> str:
    """A personal access token for ``username`` (one's own, or anyone's as an admin); shown once."""
    target = _account_named(session, username)
    if target.id != acting.id:
        check(session, acting, Permission.MANAGE_ACCOUNTS, None)
    token = "ht_" + secrets.token_urlsafe(32)
    repository.add_access_token(session, token_hash(token), target.id, label)
    audit.record(session, actor, "account.token", target=target.username, detail={"label": label})
    return token


def operator() -> Account:
    """The operator at the server's command line: an admin (whoever runs commands there can read the database)."""
    return Account(None, audit.command_line().name, "command line", True)


def cli_account(session: Session) -> Account:
    """Whom a command acts for: the account of ``HUMAN_TOUCH_TOKEN`` when set, else :func:`operator`."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return operator()
    row = repository.access_token_account(session, token_hash(token))
    if row is None or row.disabled_at is not None:
        raise Refused(f"{TOKEN_ENV} holds no valid access token (unknown, revoked, or its account is disabled).")
    return Account.of(row)


def cli_actor(account: Account) -> audit.Actor:
    """How the audit trail names a command run as ``account`` (the operator: the OS user)."""
    return audit.command_line() if account.id is None else account.actor("cli")


def require_cli(session: Session, permission: Permission, study_id: int | None) -> audit.Actor:
    """The audit actor of a command allowed ``permission`` on ``study_id``; raises :class:`Refused` otherwise."""
    account = cli_account(session)
    check(session, account, permission, study_id)
    return cli_actor(account)

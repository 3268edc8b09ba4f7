"""The ``human-touch staff`` subcommands (accounts, roles, passwords, tokens), ``backup`` and ``restore``.

:func:`register` adds them to the command line that :mod:`human_touch.cli` assembles. A handler
returns the process exit code (0 on success, non-zero with a message on stderr). Commands act as
the operator at the server (an admin) unless ``HUMAN_TOUCH_TOKEN`` holds an account's personal
access token; then that account's roles decide (:func:`core.access.require_cli`), and every change
is in the audit trail.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from core import access, auth, config, db, repository


def _read_password(prompt: str, from_stdin: bool) -> str:
    """A password from the terminal prompt, or the first line of standard input with ``--stdin``.

    Never from the command line: arguments are visible to every user in ``ps`` and shell history.
    """
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass(prompt)


MIN_PASSWORD_LENGTH = access.MIN_PASSWORD_LENGTH


def _as_account(run) -> int:
    """Run ``run(session, acting, actor)`` as the command's account in one transaction; a refusal exits 2."""
    config.ensure_dirs()
    db.migrate()
    try:
        with db.session_scope() as session:
            acting = access.cli_account(session)
            return run(session, acting, access.cli_actor(acting))
    except access.Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2


def _cmd_set_password(args: argparse.Namespace) -> int:
    password = _read_password(f"New password for {args.user}: ", args.stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"error: use at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return 2

    def run(session, acting, actor) -> int:
        if args.user == auth.ADMIN and repository.account_by_username(session, auth.ADMIN) is None:
            access.check(session, acting, access.Permission.MANAGE_ACCOUNTS, None)
            repository.add_account(session, auth.ADMIN, display_name="Admin", is_admin=True)
        access.change_password(session, acting, actor, args.user, password)
        print(f"Password of {args.user} stored as a hash (the password itself is kept nowhere); its sessions ended.")
        return 0

    return _as_account(run)


def _cmd_add_user(args: argparse.Namespace) -> int:
    password = _read_password(f"Password for {args.name}: ", True) if args.stdin else None
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        print(f"error: use at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return 2

    def run(session, acting, actor) -> int:
        fields = {"display_name": args.display_name or "", "email": args.email, "is_admin": args.admin}
        created = access.create_account(session, acting, actor, args.name, **fields)
        if password is not None:
            access.change_password(session, acting, actor, created.username, password)
            print(f"Account {created.username} created with the password from standard input.")
        else:
            token = access.invite(session, acting, actor, created.username)
            print(f"Account {created.username} created. One-time link to set a password (valid 7 days):")
            print(f"{config.staff_url()}?invite={token}")
        return 0

    return _as_account(run)


def _cmd_list(args: argparse.Namespace) -> int:
    def run(session, acting, actor) -> int:
        access.check(session, acting, access.Permission.MANAGE_ACCOUNTS, None)
        for account, disabled in access.all_accounts(session):
            roles = ", ".join(f"{slug}:{role}" for slug, role in repository.account_roles(session, account.id or 0))
            flags = " admin" if account.is_admin else ""
            flags += " DISABLED" if disabled else ""
            print(f"{account.username}\t{account.display_name}\t{flags.strip() or '-'}\t{roles or '-'}")
        return 0

    return _as_account(run)


def _study_id(session, slug: str) -> int:
    study = repository.study_by_slug(session, slug)
    if study is None:
        raise access.Refused(f"There is no study with the slug {slug!r}.")
    return study.id


def _cmd_grant(args: argparse.Namespace) -> int:
    def run(session, acting, actor) -> int:
        role = access.Role(args.role)
        access.set_role(session, acting, actor, _study_id(session, args.study), args.name, role)
        print(f"{args.name} is {role} of {args.study}; their open sessions ended.")
        return 0

    return _as_account(run)


def _cmd_revoke(args: argparse.Namespace) -> int:
    def run(session, acting, actor) -> int:
        access.remove_member(session, acting, actor, _study_id(session, args.study), args.name)
        print(f"{args.name} has no role on {args.study} any more; their open sessions ended.")
        return 0

    return _as_account(run)


def _cmd_disable(args: argparse.Namespace) -> int:
    def run(session, acting, actor) -> int:
        access.set_disabled(session, acting, actor, args.name, not args.enable)
        print(f"{args.name} {'enabled' if args.enable else 'disabled; its sessions and access tokens ended'}.")
        return 0

    return _as_account(run)


def _cmd_token(args: argparse.Namespace) -> int:
    def run(session, acting, actor) -> int:
        token = access.create_token(session, acting, actor, args.user, args.label)
        print(f"Access token of {args.user} (shown once; only its hash is stored). Use it as:")
        print(f"HUMAN_TOUCH_TOKEN={token} human-touch ...")
        return 0

    return _as_account(run)


def _cmd_hash(args: argparse.Namespace) -> int:
    password = _read_password("Staff password to hash: ", args.stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        print("error: use at least 8 characters", file=sys.stderr)
        return 2
    print(auth.hash_password(password))
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    from core.backup import backup

    return _backup_tool(
        lambda: backup(args.out), f"Backup written to {args.out}. Restore: human-touch restore {args.out}"
    )


def _cmd_restore(args: argparse.Namespace) -> int:
    from core.backup import restore

    where = config.database_url().split("@")[-1]  # never the password
    return _backup_tool(lambda: restore(args.file), f"Restored {args.file} into {where}.")


def _backup_tool(run, done: str) -> int:
    """Run a backup or restore; print its command and ``done``, or why it could not be done (exit 2)."""
    from core.backup import BackupError

    try:
        command = run()
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(" ".join(command))
    print(done)
    return 0


def _register_accounts(staff_sub) -> None:
    setpw = staff_sub.add_parser("set-password", help="set or reset an account's password (default: admin)")
    setpw.add_argument("--user", default=auth.ADMIN, help="the account (default: admin)")
    setpw.add_argument("--stdin", action="store_true", help="read the password from standard input")
    setpw.set_defaults(handler=_cmd_set_password)
    add = staff_sub.add_parser("add-user", help="create an account; prints a one-time link to set its password")
    add.add_argument("name", help="username: lower-case letters, digits, . _ - @")
    add.add_argument("--admin", action="store_true", help="make it an admin (accounts, shared clip library)")
    add.add_argument("--display-name", default="", help="the name shown in the app")
    add.add_argument("--email", help="e-mail address of its OIDC identity (st.login)")
    add.add_argument("--stdin", action="store_true", help="read a password from standard input instead of a link")
    add.set_defaults(handler=_cmd_add_user)
    staff_sub.add_parser("list", help="list accounts and their roles").set_defaults(handler=_cmd_list)
    roles = ", ".join(access.Role)
    grant = staff_sub.add_parser("grant", help=f"give an account a role on a study ({roles})")
    grant.add_argument("name")
    grant.add_argument("--study", required=True, help="the study's slug")
    grant.add_argument("--role", required=True, choices=list(access.Role))
    grant.set_defaults(handler=_cmd_grant)
    revoke = staff_sub.add_parser("revoke", help="take an account's role on a study away")
    revoke.add_argument("name")
    revoke.add_argument("--study", required=True, help="the study's slug")
    revoke.set_defaults(handler=_cmd_revoke)
    disable = staff_sub.add_parser("disable", help="disable an account (ends its sessions and tokens)")
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="enable it again instead")
    disable.set_defaults(handler=_cmd_disable)
    token = staff_sub.add_parser("token", help="create a personal access token for HUMAN_TOUCH_TOKEN")
    token.add_argument("--user", required=True, help="the account (yours, or any as an admin)")
    token.add_argument("--label", default="", help="what the token is for")
    token.set_defaults(handler=_cmd_token)


def register(subparsers) -> None:
    """Add the ``staff`` commands, ``backup`` and ``restore`` to the ``human-touch`` command line."""
    staff = subparsers.add_parser("staff", help="staff accounts, roles, passwords and access tokens")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    _register_accounts(staff_sub)
    hash_cmd = staff_sub.add_parser(
        "hash", help="print a password hash for the secret staff_password_hash (deployments)"
    )
    hash_cmd.add_argument("--stdin", action="store_true", help="read the password from standard input")
    hash_cmd.set_defaults(handler=_cmd_hash)
    backup_cmd = subparsers.add_parser(
        "backup", help="write a backup of the whole database while the app runs (SQLite backup API or pg_dump)"
    )
    backup_cmd.add_argument("--out", required=True, type=Path, help="backup file to write (must not exist)")
    backup_cmd.set_defaults(handler=_cmd_backup)
    restore_cmd = subparsers.add_parser("restore", help="restore a backup into a new, empty database")
    restore_cmd.add_argument("file", type=Path, help="a file written by human-touch backup")
    restore_cmd.set_defaults(handler=_cmd_restore)

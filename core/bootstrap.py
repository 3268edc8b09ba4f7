"""The ground's part of start-up: data folders, database migrations, the first (admin) staff account.

The whole start-up (this, then the demo clips) is :func:`human_touch.startup.prepare`; it lives
above the packages because the demo build belongs to ``audio``.
"""

from __future__ import annotations

from collections.abc import Callable

from core import auth, config, db

_PASSWORD_BANNER = """
======================================================================
 Human Touch staff password (shown once; only its hash is stored):

     username: admin
     password: {password}

 Staff login: {staff_url}
 Change it any time with:  human-touch staff set-password
======================================================================
"""


def prepare_ground(
    *,
    secret_hash: str | None = None,
    oidc: bool = False,
    echo: Callable[[str], None] = print,
    staff_url: str | None = None,
) -> None:
    """Make the data folder, the database schema and the first staff account (``admin``) ready.

    Parameters
    ----------
    secret_hash : str or None
        A staff password hash configured in Streamlit secrets, if any.
    oidc : bool
        True when OIDC login is configured; then no local password is generated.
    echo : callable
        Where to print the one-time password (the terminal).
    staff_url : str or None
        The staff login address to print; None works it out from the environment and
        ``.streamlit/config.toml`` (:func:`core.config.staff_url`).
    """
    config.ensure_dirs()
    db.migrate()
    if not oidc:
        password = auth.ensure_admin_account(secret_hash)
        if password:
            echo(_PASSWORD_BANNER.format(password=password, staff_url=staff_url or config.staff_url()))

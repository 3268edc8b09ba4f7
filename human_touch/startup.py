"""Start-up work shared by ``human-touch prepare`` and ``app.py``.

Order: the ground (data folders, database migrations, staff credential:
:func:`core.bootstrap.prepare_ground`) -> clip files not yet in the database copied into it -> demo clips
when the library is empty. Safe to run from several processes and replicas at once:
migrations and the demo build each hold a database-wide lock (``core.db.exclusive``), and the staff
credential is one fixed database row that only the first process creates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core import db
from core.bootstrap import prepare_ground


def wire_packages() -> None:
    """Connect what the import rules keep apart; called once per process by app.py and the CLI.

    Audio may not import experiment, yet must know whether a clip was heard before re-processing
    it: audio asks through a hook that this top-level module fills with experiment's query.
    """
    from audio import library
    from experiment import repository

    library.use_heard_check(repository.clip_has_been_heard)


def prepare(
    *,
    build_demo: bool = True,
    secret_hash: str | None = None,
    oidc: bool = False,
    echo: Callable[[str], None] = print,
    staff_url: str | None = None,
) -> None:
    """Make the data folder, database, staff credential and (optionally) demo library ready.

    Parameters
    ----------
    build_demo : bool
        Build the offline demo clips when the clip library has no active clip.
    secret_hash : str or None
        A staff password hash configured in Streamlit secrets, if any.
    oidc : bool
        True when OIDC login is configured; then no local password is generated.
    echo : callable
        Where to print the one-time password and progress (the terminal).
    staff_url : str or None
        The staff login address for the first-run banner (None: from the environment and
        ``.streamlit/config.toml``, see :func:`core.config.staff_url`).
    """
    prepare_ground(secret_hash=secret_hash, oidc=oidc, echo=echo, staff_url=staff_url)
    from human_touch.maintenance import run_maintenance

    report = run_maintenance()
    if report.identifiers_erased or report.login_failures_forgotten:
        echo(report.describe())
    store_missing_clip_blobs(echo=echo)
    if build_demo:
        build_demo_if_empty(echo=echo)


def store_missing_clip_blobs(echo: Callable[[str], None] = print) -> None:
    """Copy clip files from before the ``clip_blobs`` table into the database (a no-op once done).

    Replicas serve clip bytes from the database; an installation that predates it has only the
    files. See :func:`audio.library.store_missing_blobs`.
    """
    from audio.library import store_missing_blobs

    report = store_missing_blobs(echo=echo)
    if report.stored or report.missing:
        echo(
            f"Clip audio: {len(report.stored)} file(s) copied into the database, "
            f"{len(report.missing)} clip(s) without audio anywhere (see the lines above)."
        )


def build_demo_if_empty(echo: Callable[[str], None] = print) -> None:
    """Build the demo library unless clips exist; once per database, whatever the replica.

    The lock is the database's (``core.db.exclusive``: a PostgreSQL advisory lock, or a lock file
    beside the SQLite file), so replicas with different data folders never build it twice; the
    one that waited finds the library full and does nothing.
    """
    from audio.demo import build_demo_library

    with db.exclusive("demo-build"):
        built = build_demo_library(echo=echo)  # a no-op when the library already has clips
    if built:
        echo(
            "To see every results page filled before real participants arrive: "
            "human-touch demo participants --n 60 (simulated, marked so, left out of real results)."
        )


_background: threading.Thread | None = None
_log = logging.getLogger(__name__)


def _build_logging_errors(echo: Callable[[str], None]) -> None:
    try:
        build_demo_if_empty(echo=echo)
    except Exception:  # the app keeps serving; organisers can still add clips by hand
        _log.exception("building the demo clips failed")


def build_demo_in_background(echo: Callable[[str], None] = print) -> threading.Thread | None:
    """Start the demo build in a daemon thread when the library is empty; the app serves meanwhile.

    Returns the thread, or None when the library already has clips. Both the emptiness check
    and the heavy imports (librosa, numba, music21) happen in the calling thread: importing
    them from a background thread while a page run imports them too can hang both threads.
    """
    global _background
    from audio.library import active_counts

    with db.session_scope() as session:
        if sum(active_counts(session).values()):
            return None
    import audio.demo  # noqa: F401  (see the docstring: imports before the thread starts)

    if _background is None or not _background.is_alive():
        _background = threading.Thread(
            target=_build_logging_errors, kwargs={"echo": echo}, name="demo-build", daemon=True
        )
        _background.start()
    return _background

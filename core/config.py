"""Where the app keeps its data and which database it talks to.

Everything is read from the environment so that one code base serves a laptop demo
(SQLite in ``./data``) and a real deployment (PostgreSQL, several app replicas).

Environment variables
---------------------
HUMAN_TOUCH_DATA
    Folder for the SQLite database, clip files, originals and the generated staff password
    hash. Default ``./data`` (git-ignored).
HUMAN_TOUCH_DATABASE_URL
    SQLAlchemy URL of the database. Default: SQLite file ``<data>/human_touch.db``.
NUMBA_CACHE_DIR
    numba's compiled-kernel cache. Default: one per installation (:func:`numba_cache_dir`), shared
    by every data folder, study and replica that runs from it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    """Folders below the data folder. All are created on demand by :func:`ensure_dirs`."""

    data: Path

    @property
    def clips(self) -> Path:
        """Processed clips exactly as participants hear them, named by content hash."""
        return self.data / "clips"

    @property
    def originals(self) -> Path:
        """Uploaded originals, kept so clips can be re-processed when settings change."""
        return self.data / "originals"

    @property
    def staff_password_hash(self) -> Path:
        return self.data / "staff_password.hash"

    @property
    def exports(self) -> Path:
        return self.data / "exports"


def data_dir() -> Path:
    """The data folder, from ``HUMAN_TOUCH_DATA`` (default ``./data``), as an absolute path."""
    return Path(os.environ.get("HUMAN_TOUCH_DATA", "data")).expanduser().resolve()


def paths() -> Paths:
    return Paths(data_dir())


def ensure_dirs(p: Paths | None = None) -> Paths:
    """Create the data folder tree if missing and return it."""
    p = p or paths()
    for folder in (p.data, p.clips, p.originals, p.exports):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The folder holds resume tokens, Prolific ids and unpublished clips: owner only, even when it
    # existed before (mkdir's mode applies only to new folders).
    p.data.chmod(0o700)
    return p


def results_cache_seconds() -> int:
    """How long (s) the results pages keep one snapshot of a study and its fitted models.

    ``HUMAN_TOUCH_RESULTS_CACHE_S`` (default 30): a lab that wants answers to appear sooner shortens it,
    a server with many researchers on large studies lengthens it; "Refresh data" always re-reads at once.
    """
    raw = os.environ.get("HUMAN_TOUCH_RESULTS_CACHE_S", "").strip()
    try:
        seconds = int(raw) if raw else 30
    except ValueError:
        raise ValueError(f"HUMAN_TOUCH_RESULTS_CACHE_S must be a whole number of seconds, not {raw!r}") from None
    return max(seconds, 1)


def database_url() -> str:
    """``HUMAN_TOUCH_DATABASE_URL`` or the embedded SQLite file in the data folder."""
    url = os.environ.get("HUMAN_TOUCH_DATABASE_URL", "").strip()
    if url:
        # Accept the common Heroku-style scheme and pick the psycopg 3 driver.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return f"sqlite:///{data_dir() / 'human_touch.db'}"


def numba_cache_dir() -> Path:
    """numba's cache folder: ``NUMBA_CACHE_DIR``, else one per installation (Python environment).

    Beside the environment (``<sys.prefix>/var/human-touch/numba-cache``) when that is writable,
    else in the user's cache folder under a name derived from the environment's path
    (``$XDG_CACHE_HOME`` or ``~/.cache``, ``human-touch/numba-<hash>``). Not in the data folder: a
    second study, a restored backup or another replica would otherwise compile everything again
    (3.6 CPU-s for the first clip instead of 1.6). numba keys cached kernels by the source file's
    path and time stamp, so installations never read each other's kernels.
    """
    configured = os.environ.get("NUMBA_CACHE_DIR", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    beside = Path(sys.prefix) / "var" / "human-touch" / "numba-cache"
    try:
        beside.mkdir(parents=True, exist_ok=True)
        if os.access(beside, os.W_OK):
            return beside
    except OSError:
        pass
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    installation = hashlib.sha256(str(Path(sys.prefix).resolve()).encode()).hexdigest()[:12]
    return user_cache / "human-touch" / f"numba-{installation}"


def configure_numba_cache() -> Path:
    """Point numba's on-disk cache at :func:`numba_cache_dir` (before librosa is imported); returns it.

    Numba's first compile of librosa's kernels costs tens of seconds; a persistent cache
    makes every later start and every worker process cheap. Processes that might compile at the
    same time fill it one at a time (:func:`audio.numba_cache.warm_numba_cache`).
    """
    folder = numba_cache_dir()
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only disk: numba then runs uncached, and the storage checks say why
        pass
    return folder


def _streamlit_server_settings() -> dict:
    """The ``[server]`` table of ``./.streamlit/config.toml`` (where ``streamlit run`` reads it), or {}."""
    import tomllib

    try:
        with open(Path(".streamlit") / "config.toml", "rb") as handle:
            server = tomllib.load(handle).get("server", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return server if isinstance(server, dict) else {}


def staff_url(port: int | None = None, address: str | None = None, base_path: str | None = None) -> str:
    """Where staff log in, for the first-run banner: ``http://ADDRESS:PORT/BASE/staff``.

    ``HUMAN_TOUCH_STAFF_URL`` wins (a proxy in front, e.g. deploy/serve.sh's staff site). Otherwise
    the arguments (the running server's own settings), then Streamlit's ``STREAMLIT_SERVER_PORT``,
    ``STREAMLIT_SERVER_ADDRESS``, ``STREAMLIT_SERVER_BASE_URL_PATH`` and ``.streamlit/config.toml``,
    then Streamlit's defaults (port 8501; a wildcard or empty address prints as localhost).
    """
    configured = os.environ.get("HUMAN_TOUCH_STAFF_URL", "").strip()
    if configured:
        return configured
    server = _streamlit_server_settings()
    port = port or int(os.environ.get("STREAMLIT_SERVER_PORT") or server.get("port") or 8501)
    address = address or os.environ.get("STREAMLIT_SERVER_ADDRESS") or str(server.get("address") or "")
    if address in ("", "0.0.0.0", "::"):
        address = "localhost"
    if ":" in address:
        address = f"[{address}]"  # IPv6 literal
    if base_path is None:
        base_path = os.environ.get("STREAMLIT_SERVER_BASE_URL_PATH") or str(server.get("baseUrlPath") or "")
    base = base_path.strip("/")
    return f"http://{address}:{port}/{base + '/' if base else ''}staff"

"""Staff password hashing and the locally generated staff credential (no Streamlit here).

Staff pages are protected either by OIDC (``st.login``, when ``[auth]`` is configured in
``.streamlit/secrets.toml``) or by a password whose *hash* is configured. The hash comes from,
in order: the secret ``staff_password_hash``, the environment variable
``HUMAN_TOUCH_STAFF_PASSWORD_HASH``, or the file ``<data>/staff_password.hash`` that the first
run creates (printing the random password once, as Jupyter prints its token).

Hash format: ``scrypt$<n>$<r>$<p>$<salt b64>$<digest b64>`` (hashlib.scrypt, stdlib).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from core import config

_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~50 ms per check: slow for guessing, fine for a login.


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` in the module's text format."""
    if not password:
        raise ValueError("the password must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${b64(salt)}${b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; compares digests in constant time."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = encoded.strip().split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        actual = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def configured_hash(secret_hash: str | None = None) -> str | None:
    """The staff password hash in force: the secret, else the environment, else the data-folder file."""
    if secret_hash:
        return secret_hash.strip()
    env_hash = os.environ.get("HUMAN_TOUCH_STAFF_PASSWORD_HASH", "").strip()
    if env_hash:
        return env_hash
    path = config.paths().staff_password_hash
    if path.exists():
        return path.read_text().strip() or None
    return None


def set_staff_password(password: str, path: Path | None = None) -> Path:
    """Store the hash of ``password`` in the data folder (mode 0600) and return the file path."""
    path = path or config.paths().staff_password_hash
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(hash_password(password) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def ensure_staff_password(secret_hash: str | None = None) -> str | None:
    """Create a random staff password on first run when none is configured.

    Returns the new password (to print once; only its hash is kept) or ``None`` when a
    credential already exists.
    """
    if configured_hash(secret_hash):
        return None
    password = secrets.token_urlsafe(12)
    path = config.paths().staff_password_hash
    try:
        # O_EXCL: two processes starting at once must not both create (and print) a password.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w") as handle:
        handle.write(hash_password(password) + "\n")
    return password

"""Running the ``human-touch`` command line in-process in a test, as a given identity."""

from __future__ import annotations

from core import access
from human_touch import cli


def run_cli(monkeypatch, capsys, *argv: str, token: str | None = None) -> tuple[int, str, str]:
    """``human-touch ARGV`` as the operator, or as ``token``'s account; returns (exit code, stdout, stderr)."""
    if token is None:
        monkeypatch.delenv(access.TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(access.TOKEN_ENV, token)
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err

"""Render Human Touch's nginx configuration from the templates in ``deploy/nginx/``.

Standard library only, so a lab can run it on the proxy host without the app installed::

    python3 deploy/render_nginx.py --out /etc/nginx/conf.d --listen 80 \
        --replica 127.0.0.1:8601 --replica 127.0.0.1:8602 --staff-replica 127.0.0.1:8600

writes ``human-touch.conf`` (participants) and, with ``--staff-replica``, ``staff.conf`` (the
only way to a replica that accepts uploads). ``--standalone RUN_DIR`` also writes an
``nginx.conf`` that runs without root with every path under RUN_DIR (used by ``serve.sh``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "nginx"
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every ``{{NAME}}`` in ``template``; an unknown name is an error, not a blank."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for {{{{{name}}}}} in the nginx template")
        return values[name]

    return _PLACEHOLDER.sub(replace, template)


def server_lines(addresses: list[str], options: str) -> str:
    return "\n".join(f"    server {address} {options};" for address in addresses)


def render(args: argparse.Namespace) -> dict[str, str]:
    """The rendered files, by file name."""
    values = {
        "LISTEN": args.listen,
        "SERVER_NAME": args.server_name,
        # One refused connection takes a replica out for 5 s; its browsers move to a live one.
        "PARTICIPANT_SERVERS": server_lines(args.replica, "max_fails=1 fail_timeout=5s"),
        "DEBUG_HEADER": (
            "    add_header X-Human-Touch-Replica $upstream_addr always;"
            if args.expose_upstream
            else "    # (add_header X-Human-Touch-Replica: off)"
        ),
        "STAFF_LISTEN": args.staff_listen,
        "STAFF_PORT": args.staff_listen.rsplit(":", 1)[-1],
        "STAFF_SERVERS": server_lines(args.staff_replica, "max_fails=1 fail_timeout=5s"),
        "STAFF_ALLOW": "\n".join(f"    allow {network};" for network in args.staff_allow)
        or "    # allow 192.0.2.0/24;   # your lab's network",
        "STAFF_MAX_UPLOAD_MB": str(args.staff_max_upload_mb),
    }
    files = {"human-touch.conf": fill((TEMPLATES / "human-touch.conf.template").read_text(), values)}
    if args.staff_replica:
        files["staff.conf"] = fill((TEMPLATES / "staff.conf.template").read_text(), values)
    if args.standalone:
        run_dir = str(Path(args.standalone).resolve())
        standalone = {
            "RUN_DIR": run_dir,
            # Started as root (CI), the workers drop to www-data; the temp folders are chowned.
            "USER_LINE": "user www-data;" if os.geteuid() == 0 else "# (not root: no user directive)",
            "STAFF_INCLUDE": f"    include {run_dir}/staff.conf;" if args.staff_replica else "",
        }
        files["nginx.conf"] = fill((TEMPLATES / "nginx.conf.template").read_text(), standalone)
    return files


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--replica", action="append", required=True, metavar="HOST:PORT", help="a participant replica (repeat for each)"
    )
    parser.add_argument(
        "--staff-replica",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="the staff replica (accepts uploads); omit for no staff site",
    )
    parser.add_argument("--listen", default="80", help="participant site: nginx `listen` value")
    parser.add_argument("--staff-listen", default="127.0.0.1:8090", help="staff site: nginx `listen` value")
    parser.add_argument(
        "--staff-allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="besides loopback, addresses allowed on the staff site",
    )
    parser.add_argument("--staff-max-upload-mb", type=int, default=200)
    parser.add_argument("--server-name", default="_")
    parser.add_argument(
        "--expose-upstream",
        action="store_true",
        help="add X-Human-Touch-Replica (the replica's address) to responses (tests)",
    )
    parser.add_argument("--standalone", metavar="RUN_DIR", help="also write a non-root nginx.conf")
    parser.add_argument("--out", required=True, help="folder to write the files into")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render(args).items():
        (out / name).write_text(text)
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rank where a Streamlit server's CPU went, from a py-spy profile in collapsed ("raw") format.

    py-spy record --pid <server> --gil --format raw --threads -o profile.txt &   # during a load run
    .venv/bin/python benchmarks/pyspy_categories.py profile.txt [--runs 1160]

Every sample is put in the first category (in the order below) whose pattern occurs anywhere in
its stack, so a settings load that runs SQL counts as "settings", not as "database". With
``--runs`` (script runs during the profile, as printed by participant_load.py) the milliseconds
per script run are printed too. With ``--thread ScriptRunner`` only the script threads count
(where a script run's own time goes; on a busy machine py-spy's ``--gil`` also counts idle
pollers, such as Streamlit's config-file watcher, that wait for a core while holding the GIL).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

CATEGORIES: tuple[tuple[str, str], ...] = (
    (
        "gc.collect(2) after every script run (runner.postScriptGC)",
        r"_on_script_finished \(streamlit/runtime/scriptrunner/script_runner\.py:105\d\)$",
    ),
    ("file watcher (watchdog, streamlit.watcher)", r"watchdog|streamlit/watcher|inotify"),
    ("websocket send, compression (uvicorn, websockets, zlib)", r"uvicorn|websockets/|zlib|compress"),
    ("headphone-screening sounds (generate, WAV encode)", r"experiment/screening\.py|_screening_wavs?|calibration_wav"),
    ("clip bytes reading (library.read_served_bytes)", r"read_served_bytes"),
    ("study settings loads (settings_for, current_settings)", r"settings_for|current_settings|settings_version"),
    ("database (SQLAlchemy, sqlite3)", r"sqlalchemy|sqlite3|core/db\.py"),
    ("blind player: component data (encode_payload, components v2)", r"encode_payload|components/v2|bidi_component"),
    (
        "message serialisation, hashing (protobuf, forward_msg)",
        r"SerializeToString|forward_msg|populate_hash|hashlib|ByteSize",
    ),
    ("imports during script runs (importlib)", r"_find_and_load|importlib|exec_module"),
    (
        "widgets and elements (streamlit.elements, state)",
        r"streamlit/elements|streamlit/runtime/state|streamlit/delta_generator",
    ),
    (
        "script runner, session, navigation (streamlit.runtime)",
        r"streamlit/runtime|streamlit/navigation|streamlit/commands",
    ),
    ("app code (app.py, experiment, core, audio)", r"app\.py|experiment/|core/|audio/"),
)


def categorise(lines: list[str], thread: str | None = None) -> tuple[Counter, int]:
    """Samples per category; returns ``(counts, total)``.

    ``thread``: a pattern the thread's name (the stack's first frame, ``thread (id): name``)
    must match; None counts every thread.
    """
    patterns = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]
    wanted = re.compile(thread) if thread else None
    counts: Counter = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        if wanted is not None and not wanted.search(stack.split(";", 1)[0]):
            continue
        n = int(count)
        total += n
        counts[next((name for name, pattern in patterns if pattern.search(stack)), "other")] += n
    return counts, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--runs", type=int, help="script runs during the profile")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second (its --rate)")
    parser.add_argument("--thread", help="count only threads whose name matches, e.g. ScriptRunner")
    args = parser.parse_args()
    counts, total = categorise(args.profile.read_text().splitlines(), args.thread)
    print(f"{total} samples = {total / args.rate:.1f} CPU s")
    for name, n in counts.most_common():
        per_run = f"  {1000 * n / args.rate / args.runs:6.1f} ms/run" if args.runs else ""
        print(f"{100 * n / total:5.1f} %  {name}{per_run}")


if __name__ == "__main__":
    main()

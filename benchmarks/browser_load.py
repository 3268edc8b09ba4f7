"""Run N real Chromium participants at once through a Human Touch server and print what it cost.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/browser_load.py                 # 5 participants
    PYTHONPATH=$PWD .venv/bin/python benchmarks/browser_load.py -n 1 --think 2
    PYTHONPATH=$PWD .venv/bin/python benchmarks/browser_load.py --url http://127.0.0.1:8501 --add-clips

The real-browser counterpart of ``benchmarks/participant_load.py`` (issue 9: "a smaller Chromium
check confirms it in a real browser"). Each participant is its own thread with its own Playwright
driver, Debian Chromium (``/usr/bin/chromium``, the e2e flags) and browser context, and goes from
consent to debrief the way ``tests/e2e/journey_driver.py`` drives it: clicks, the questionnaire,
the audio check when screening is on, and every clip really played in the blind player until the
answers unlock, then a think time, the ratings and "Save and continue".

Without ``--url`` a fresh ``streamlit run app.py`` (``tests/e2e/conftest.StreamlitServer``) is
started on a temporary SQLite data folder holding short playable MP3 clips
(``tests/experiment/playable_clips``). With ``--url`` the server's database must be reachable from
here through ``HUMAN_TOUCH_DATA`` / ``HUMAN_TOUCH_DATABASE_URL``; the study settings are stored
there as a new version (``--add-clips`` also adds the short clips to its library).

Printed: per-participant completion, answers and latencies; completed / errors; lost and
duplicated answers from the database; server CPU seconds per completed participant
(``/proc/<pid>/stat``); p50/p95/max of "Save and continue" -> next clip ready, measured INSIDE
the browser with ``performance.now()``: from the click event on the button (a capture listener
installed before the app loads) to the first animation frame in which the progress text reads
"Clip k+1 of n" and a new blind-player <audio> element holds its blob with readyState
HAVE_ENOUGH_DATA (also printed: the part until the progress text changed); the last answer ->
debrief shown likewise; the CPU of the browser side (Chromium, Playwright drivers, this process),
which shares the machine with the server; the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.participant_journey import ParticipantResult  # noqa: E402 (after the path set-up)
from benchmarks.participant_load import (  # noqa: E402
    check_database,
    cpu_seconds,
    percentile,
    pids_listening_on,
    wait_healthy,
    warm_up,
)
from experiment.settings import StudySettings  # noqa: E402
from tests.e2e import journey_driver as drive  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, StreamlitServer  # noqa: E402

CONFIDENCES = ("Sure human", "Probably human", "Maybe human", "Maybe AI", "Probably AI", "Sure AI")
DEBRIEF_TEXT = "Which clips were made by AI?"

# Installed in every page before the app's own scripts: the time of the click on "Save and continue".
CLICK_CLOCK_JS = """
window.addEventListener('click', (event) => {
  const button = event.target && event.target.closest && event.target.closest('button');
  if (button && button.textContent.includes('Save and continue')) window.__htSaveAt = performance.now();
}, true);
"""

# Marks the players on the page now, so the next trial's player is recognised as a new element.
MARK_OLD_PLAYERS_JS = """
() => {
  const audios = [...document.querySelectorAll('audio')];
  for (const host of document.querySelectorAll('*'))
    if (host.shadowRoot) audios.push(...host.shadowRoot.querySelectorAll('audio'));
  audios.forEach(a => { a.__htOld = true; });
  window.__htSaveAt = undefined;
  window.__htProgressAt = undefined;
}
"""

# [ms to the new progress text, ms to ready] since the click, once clip k of n is on the page with a
# new, loaded player; else false.
NEXT_CLIP_READY_JS = """
([k, n]) => {
  if (window.__htSaveAt === undefined) return false;
  const want = `Clip ${k} of ${n}`;
  const progress = [...document.querySelectorAll('[data-testid="stProgress"]')];
  if (!progress.some(e => e.textContent.includes(want))) return false;
  if (window.__htProgressAt === undefined) window.__htProgressAt = performance.now();
  const audios = [...document.querySelectorAll('audio')];
  for (const host of document.querySelectorAll('*'))
    if (host.shadowRoot) audios.push(...host.shadowRoot.querySelectorAll('audio'));
  const ready = audios.some(a => !a.__htOld && a.src.startsWith('blob:') && a.readyState >= 4);
  const now = performance.now();
  return ready ? [window.__htProgressAt - window.__htSaveAt, now - window.__htSaveAt] : false;
}
"""

DEBRIEF_SHOWN_JS = """
(text) => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (window.__htSaveAt === undefined || !main || !main.textContent.includes(text)) return false;
  return performance.now() - window.__htSaveAt;
}
"""


@dataclass
class BrowserResult(ParticipantResult):
    """One Chromium participant: the websocket benchmark's result plus browser-only timings."""

    debrief_s: float | None = None
    wall_s: float = 0.0
    progress_latencies_s: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    url: str
    n_trials: int
    n_scales: int
    screening: bool
    think_s: float
    timeout_s: float
    seed: int


class _Environment:
    """What ``journey_driver.prepare_study`` expects of pytest's monkeypatch: ``setenv``."""

    @staticmethod
    def setenv(name: str, value: str) -> None:
        os.environ[name] = value


def study_settings(n_trials: int, screening: bool, base: StudySettings | None = None) -> StudySettings:
    """The benchmark's study: ``n_trials`` main trials only, whole clip required, screening optional or off."""
    return (
        (base or StudySettings())
        .with_changes(
            prolific_enabled=False,
            ai_questions_before=True,  # the timed journey ends at the debrief right after the last clip
            n_trials=n_trials,
            practice_trial=False,
            attention_check=False,
            repeat_check=False,
            use_pairs=False,
            listening_requirement=1.0,
            screening="optional" if screening else "off",
            screening_trials=1,
            screening_pass=1,
        )
        .validate()
    )


def configure_running_server(settings_fields: dict, add_clips: bool, clip_seconds: float) -> StudySettings:
    """``--url``: store the study on the server's database (and optionally add short clips)."""
    from core import db
    from experiment import repository
    from tests.experiment.playable_clips import add_playable_clips

    if add_clips:
        add_playable_clips(max(3, settings_fields["n_trials"] // 2), clip_seconds)
    with db.session_scope() as session:
        _, current = repository.current_settings(session)
        settings = study_settings(base=current, **settings_fields)
        repository.save_settings(session, settings, note="benchmarks/browser_load.py")
        repository.set_study_open(session, repository.default_study_id(session), True)
    return settings


# ----------------------------------------------------------------------------------------------
# One participant


def _think_then_mark(page, options: Options, rng: random.Random, stop: threading.Event) -> None:
    """The think time (x0.5..1.5), then mark the current player as old right before the click."""
    if options.think_s > 0 and stop.wait(options.think_s * rng.uniform(0.5, 1.5)):
        raise RuntimeError("stopped")
    page.evaluate(MARK_OLD_PLAYERS_JS)


def _journey(page, options: Options, result: BrowserResult, rng: random.Random, stop: threading.Event) -> None:
    page.goto(options.url)
    result.token = drive.consent(page)
    drive.answer_questionnaire(page)
    if options.screening:
        drive.pass_audio_check(page)
    drive.read_instructions(page)
    n = options.n_trials
    for k in range(1, n + 1):
        if stop.is_set():
            raise RuntimeError("stopped")
        drive.answer_current_trial(
            page,
            rng.choice(CONFIDENCES),
            f"Clip {k} of {n}",
            options.n_scales,
            before_submit=lambda: _think_then_mark(page, options, rng, stop),
        )
        result.answers_sent += 1
        if k < n:
            waited = page.wait_for_function(NEXT_CLIP_READY_JS, arg=[k + 1, n], polling="raf")
            progress_ms, ready_ms = waited.json_value()
            result.progress_latencies_s.append(progress_ms / 1000)
            result.clip_latencies_s.append(ready_ms / 1000)
        else:
            waited = page.wait_for_function(DEBRIEF_SHOWN_JS, arg=DEBRIEF_TEXT, polling="raf")
            result.debrief_s = waited.json_value() / 1000
    result.completed = True


def count_script_runs(page, result: BrowserResult) -> None:
    """Count the script runs the server starts for this tab, as the websocket client does.

    Every run, a fragment's included, begins with a ``new_session`` ForwardMsg; every rerun the
    frontend asks for is a ``rerun_script`` BackMsg (``reruns_requested``).
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def received(payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg()
            message.ParseFromString(payload)
            result.script_runs += message.WhichOneof("type") == "new_session"

    def sent(payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = BackMsg()
            message.ParseFromString(payload)
            result.reruns_requested += message.WhichOneof("type") == "rerun_script"

    def watch(socket) -> None:
        if socket.url.endswith("/_stcore/stream"):
            socket.on("framereceived", received)
            socket.on("framesent", sent)

    page.on("websocket", watch)


def run_participant(number: int, options: Options, stop: threading.Event) -> BrowserResult:
    """Consent to debrief in its own Chromium; errors are kept in the result, browsers always closed."""
    from playwright.sync_api import sync_playwright

    result = BrowserResult(number)
    rng = random.Random(options.seed * 1_000_003 + number)
    started = time.perf_counter()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1000, "height": 900})
                context.add_init_script(CLICK_CLOCK_JS)
                page = context.new_page()
                count_script_runs(page, result)
                page.set_default_timeout(options.timeout_s * 1000)
                _journey(page, options, result, rng, stop)
            finally:
                browser.close()
    except Exception as error:  # noqa: BLE001 - a participant's failure is a result, not a crash
        result.error = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200]}"
    result.wall_s = time.perf_counter() - started
    return result


def run_all(n: int, options: Options, ramp_s: float, deadline_s: float) -> list[BrowserResult]:
    """``n`` participant threads started over ``ramp_s`` s; stopped (browsers closed) after ``deadline_s``."""
    stop = threading.Event()
    results: list[BrowserResult | None] = [None] * n

    def one(number: int) -> None:
        if not stop.wait(ramp_s * number / max(n, 1)):
            results[number] = run_participant(number, options, stop)

    threads = [threading.Thread(target=one, args=(i,), name=f"participant-{i}", daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    end = time.monotonic() + deadline_s
    try:
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
    finally:
        stop.set()  # on timeout or Ctrl-C: participants stop at their next step and close their browser
        for thread in threads:
            thread.join(options.timeout_s + 15)
        if any(t.is_alive() for t in threads):
            print("some participant threads did not stop; their drivers close Chromium at exit", file=sys.stderr)
    return [r or BrowserResult(i, error="did not finish before the deadline") for i, r in enumerate(results)]


# ----------------------------------------------------------------------------------------------
# Report and main


def check_unfinished(results: list[BrowserResult]) -> tuple[int, int]:
    """(lost, duplicated) answers of participants who did not finish: clicks sent vs rows stored."""
    from sqlalchemy import func, select

    from core import db
    from core.models import Participant, Response

    lost = duplicated = 0
    with db.session_scope() as session:
        for result in results:
            if result.completed or result.token is None:
                continue
            counts = session.execute(
                select(Response.trial_index, func.count(Response.id))
                .join(Participant)
                .where(Participant.resume_token == result.token)
                .group_by(Response.trial_index)
            ).all()
            duplicated += sum(n - 1 for _, n in counts if n > 1)
            lost += max(0, result.answers_sent - len(counts))
    return lost, duplicated


def _seconds(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.2f} s  p95 {percentile(values, 95):.2f} s  "
        f"max {max(values, default=float('nan')):.2f} s  (n={len(values)})"
    )


def report(
    results: list[BrowserResult], cpu_s: float | None, client_cpu_s: float, wall_s: float, load_before: float
) -> None:
    check = check_database(results)
    for r in results:
        clips = " ".join(f"{s:.2f}" for s in r.clip_latencies_s)
        debrief = f"{r.debrief_s:.2f}" if r.debrief_s is not None else "-"
        state = "completed" if r.completed else f"FAILED ({r.error})"
        print(
            f"  participant {r.number}: {state}; {r.answers_sent} answers in {r.wall_s:.0f} s; "
            f"{r.script_runs} script runs ({r.reruns_requested} reruns asked); "
            f"next clip ready [s]: {clips or '-'}; last answer -> debrief {debrief} s"
        )
    completed = [r for r in results if r.completed]
    lost, duplicated = check_unfinished(results)
    check.lost, check.duplicated = check.lost + lost, check.duplicated + duplicated
    print(
        f"started {len(results)}  completed {len(completed)}  errors {sum(bool(r.error) for r in results)}  "
        f"lost answers {check.lost}  duplicated answers {check.duplicated}  "
        f"completed but not marked complete {check.incomplete}  (answers stored per participant "
        f"{check.answers_per_participant})"
    )
    runs = sum(r.script_runs for r in results)
    print(f"script runs per participant {runs / max(len(results), 1):.1f}")
    if cpu_s is not None:
        per = cpu_s / len(completed) if completed else float("nan")
        print(
            f"server CPU {cpu_s:.1f} s: {per:.2f} s per completed participant, "
            f"{1000 * cpu_s / max(runs, 1):.0f} ms per script run"
        )
    print(
        f"browser-side CPU (Chromium + Playwright drivers + this process) {client_cpu_s:.1f} s, "
        f"{client_cpu_s / max(len(results), 1):.1f} s per participant"
    )
    print(
        "Save and continue -> next clip ready (in the browser, performance.now()): "
        + _seconds([s for r in results for s in r.clip_latencies_s])
    )
    print(
        "  of which: Save and continue -> progress text 'Clip k+1 of n' shown: "
        + _seconds([s for r in results for s in r.progress_latencies_s])
    )
    print("last answer -> debrief shown: " + _seconds([r.debrief_s for r in results if r.debrief_s is not None]))
    print(
        f"wall {wall_s:.0f} s; load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, "
        f"on {os.cpu_count()} cores"
    )


def client_cpu_seconds() -> float:
    """CPU s of this process and its finished children (the Playwright drivers, which reap their Chromium)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one on a fresh data folder)")
    parser.add_argument("-n", type=int, default=5, help="participants at once (default 5)")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause before each answer, s (x0.5..1.5)")
    parser.add_argument("--ramp", type=float, default=0.0, help="arrivals spread evenly over this many s")
    parser.add_argument("--trials", type=int, default=6, help="main trials (even; default 6)")
    parser.add_argument("--clip-seconds", type=float, default=3.0, help="length of the generated clips")
    parser.add_argument("--screening", action="store_true", help="headphone screening on (optional, 1 sound)")
    parser.add_argument("--add-clips", action="store_true", help="with --url: add the short clips to its library")
    parser.add_argument("--server-pid", type=int, action="append", help="with --url: server process(es) for CPU")
    parser.add_argument("--timeout", type=float, default=90.0, help="longest wait for one page step, s")
    parser.add_argument("--deadline", type=float, default=900.0, help="the whole run stops after this many s")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _start_server(args: argparse.Namespace) -> StreamlitServer:
    """A fresh data folder with playable clips and the study, then ``streamlit run app.py`` on it."""
    data = Path(tempfile.mkdtemp(prefix="ht-browser-load-")) / "data"
    data.mkdir()
    os.environ.pop("HUMAN_TOUCH_DATABASE_URL", None)
    drive.prepare_study(
        data,
        _Environment(),
        study_settings(args.trials, args.screening),
        n_per_source=max(3, args.trials // 2),
        clip_seconds=args.clip_seconds,
    )
    server = StreamlitServer(data)
    print(f"starting streamlit run app.py on {data} (log {server.log_path})", flush=True)
    server.start()
    return server


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM like Ctrl-C: participants stop and close their browsers, the server is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM}", file=sys.stderr)
        return 2
    server = None
    try:
        if args.url:
            url = args.url.rstrip("/")
            wait_healthy(url, None, timeout_s=10)
            settings = configure_running_server(
                {"n_trials": args.trials, "screening": args.screening}, args.add_clips, args.clip_seconds
            )
            pids = args.server_pid or pids_listening_on(int(url.rsplit(":", 1)[1]))
        else:
            server = _start_server(args)
            assert server.process is not None  # started above
            url, pids = server.url, [server.process.pid]
            settings = study_settings(args.trials, args.screening)
        options = Options(
            url, settings.n_trials, len(settings.scales), args.screening, args.think, args.timeout, args.seed
        )
        print(
            f"browser_load: {url}  server pid(s) {pids or 'not found'}  n={args.n}  think {args.think:g} s "
            f"(x0.5..1.5)  ramp {args.ramp:g} s  {settings.n_trials} trials of {args.clip_seconds:g} s clips "
            f"(whole clip heard)  screening {settings.screening}",
            flush=True,
        )
        asyncio.run(warm_up(url))  # not measured: a server in use has imported its pages already
        load_before = os.getloadavg()[0]
        cpu_before = cpu_seconds(pids) if pids else None
        client_before = client_cpu_seconds()
        started = time.perf_counter()
        results = run_all(args.n, options, args.ramp, args.deadline)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before if pids and cpu_before is not None else None
        report(results, cpu, client_cpu_seconds() - client_before, wall, load_before)
        return 0 if all(r.completed for r in results) else 1
    except KeyboardInterrupt:
        print("interrupted: participants stopped, browsers closed", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())

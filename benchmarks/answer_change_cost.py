"""What one answer given on the trial page costs the server, now that it is kept as it is given.

    .venv/bin/python benchmarks/answer_change_cost.py --changes 60

Since issue 24 (item 8) a rating, a guess or a comment reaches the server when it is given: the
questions are a nested ``st.fragment`` (not a form), so a change reruns only that fragment and its
``on_change`` keeps the value in the participant's draft (one small transaction), for a refresh.
One simulated participant (``benchmarks/participant_journey.py``, over the websocket as the
browser speaks) is taken to its first main trial on a fresh server; there it changes a rating
``--changes`` times (alternating two points, each sent when the last run has finished) and, for
comparison, asks as many reruns of the whole trial fragment (what a player report costs). Printed:
script runs per change, server CPU per change (``/proc/<pid>/stat`` over the block, divided by
the count) and the wall time from sending to the finished run (median, p95), with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.participant_journey import Participant, _button  # noqa: E402 - needs REPO on sys.path
from benchmarks.participant_load import (  # noqa: E402
    configure_study,
    cpu_seconds,
    percentile,
    start_server,
    warm_up,
)
from benchmarks.streamlit_client import ScriptRun, choose_segment  # noqa: E402


class Block:
    """Runs, CPU and per-request wall times of one block of requests."""

    def __init__(self, name: str, pids: list[int]):
        self.name, self.pids = name, pids
        self.walls_s: list[float] = []
        self.runs = 0
        self.cpu_s = 0.0

    def print(self) -> None:
        n = max(len(self.walls_s), 1)
        print(
            f"{self.name:<38} n={len(self.walls_s):<4} script runs each {self.runs / n:.1f}  "
            f"server CPU each {1000 * self.cpu_s / n:5.1f} ms  wall p50 {1000 * percentile(self.walls_s, 50):5.1f} ms  "
            f"p95 {1000 * percentile(self.walls_s, 95):5.1f} ms"
        )


class MeasuringParticipant(Participant):
    """A participant who, at the first main trial, gives one rating over and over, then goes on."""

    def __init__(self, url: str, pids: list[int], changes: int):
        super().__init__(0, url, 0.0, random.Random(1), 300.0)
        self.pids, self.changes = pids, changes
        self.blocks: list[Block] = []

    async def _trial(self, page: ScriptRun) -> None:
        if self.blocks or "Clip 1 of" not in page.texts():
            return await super()._trial(page)
        await self._listen(page)
        page = self.tab.last_finished or page
        scale = page.find("button_group")[0]
        points = [option.content for option in scale.options][:2]
        submit = _button(page, "Save and continue")
        trial_fragment = page.fragment_of(submit.id)
        change = Block("a rating changed (kept as a draft)", self.pids)
        rerun = Block("the whole trial fragment rerun", self.pids)
        for block in (change, rerun):
            cpu_before, runs_before = cpu_seconds(self.pids), self.tab.run.number
            for i in range(self.changes):
                if block is change:
                    sent = await self.tab.change(choose_segment(scale, points[i % 2]))
                else:
                    sent = await self.tab.rerun(fragment_id=trial_fragment)
                await self.tab.wait_for_page(lambda p: True, "the run after the request")
                block.walls_s.append(time.perf_counter() - sent)
            block.cpu_s = cpu_seconds(self.pids) - cpu_before
            block.runs = self.tab.run.number - runs_before
            self.blocks.append(block)
        return await self._answer(self.tab.last_finished or page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=60, help="rating changes (and trial reruns) to time")
    parser.add_argument("--app-dir", type=Path, default=REPO, help="the checkout to serve")
    args = parser.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="ht-change-")) / "data"
    data.mkdir(parents=True)
    os.environ["HUMAN_TOUCH_DATA"] = str(data)
    os.environ.pop("HUMAN_TOUCH_DATABASE_URL", None)
    process, url = start_server(args.app_dir.resolve(), data, data.parent / "server.log")
    try:
        print(f"answer_change_cost: {url}, study: {configure_study(2, 1.0)}")
        asyncio.run(warm_up(url))
        participant = MeasuringParticipant(url, [process.pid], args.changes)
        result = asyncio.run(participant.run())
        if result.error:
            print(f"error: {result.error}")
            return 1
        for block in participant.blocks:
            block.print()
        print(f"completed {result.completed}; load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return 0
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())

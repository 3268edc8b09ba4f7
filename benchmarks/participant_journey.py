"""One simulated participant of the Human Touch study, driven over Streamlit's websocket.

Consent -> questionnaire -> audio check (calibration, headphone screening) -> instructions ->
practice -> trials -> debrief, with the widget states a browser sends. The blind player (a
components-v2 element, ``experiment/ui/player/player.js``) is treated as its JavaScript does: the
first time a player appears, its one-time URL is fetched over HTTP (with the tab's cookies), and
it is answered with the reports it sends through ``setStateValue("report", ...)``: one, when the
listening requirement is reached; then the player is quiet (:func:`player_reports`). A report is
never sent before as much time has passed as it says was heard: the server refuses an answer that
comes sooner after the clip was sent than the listening requirement allows. The think time
(listening and deciding) overlaps that wait.

Headphone screening: the client answers as a listener wearing headphones does. The Huggins
pitch is audible only through the difference between the ears, so the client picks the interval
in which the left and right channels differ (in the other two the noise is identical in both ears).
"""

from __future__ import annotations

import asyncio
import io
import json
import random
import time
import wave
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from benchmarks.streamlit_client import (
    ScriptRun,
    StreamlitError,
    StreamlitTab,
    choose,
    choose_segment,
)

PLAYER_NAME = "blind_player"
LISTEN_SHARE = 0.7
"""Part of the think time spent listening (between play and end); the rest is deciding."""


@dataclass
class ParticipantResult:
    """What one simulated participant did and saw."""

    number: int
    token: str | None = None
    completed: bool = False
    error: str | None = None
    answers_sent: int = 0
    clip_latencies_s: list[float] = field(default_factory=list)
    reruns_requested: int = 0
    script_runs: int = 0
    bytes_received: int = 0


def player_data(player) -> dict:
    """The player's JSON data (its one-time ``src`` URL, requirement, texts; see player.js)."""
    if player.WhichOneof("data") != "json":
        raise StreamlitError("the blind player's data is not JSON")
    return json.loads(player.json)


_DURATIONS: dict[int, float] = {}


def audio_duration_s(audio: bytes, mime: str) -> float:
    """Duration of the clip, as the browser's audio element reports it (cached per content)."""
    key = hash(audio)
    if key not in _DURATIONS:
        if mime == "audio/wav":
            with wave.open(io.BytesIO(audio)) as wav:
                _DURATIONS[key] = wav.getnframes() / wav.getframerate()
        else:
            import soundfile  # imported late: only MP3 clips need it

            _DURATIONS[key] = soundfile.info(io.BytesIO(audio)).duration
    return _DURATIONS[key]


def huggins_interval(wav_bytes: bytes, n_intervals: int = 3) -> int:
    """The 1-based interval whose left and right channels differ (what headphones make audible)."""
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    difference = np.abs(frames[:, 0].astype(np.int32) - frames[:, 1].astype(np.int32))
    energy = np.add.reduceat(difference, np.linspace(0, len(difference), n_intervals + 1, dtype=int)[:-1])
    return int(np.argmax(energy)) + 1


def player_reports(header: dict, duration_s: float) -> list[dict]:
    """The reports player.js sends for one uninterrupted listen from start to end.

    As player.js does: nothing at all without a listening requirement (the player is quiet from
    the start); otherwise one report, when the requirement is met (at the first position update
    past the threshold, or at the end), with the counts so far; then the player is quiet.
    """
    required = float(header.get("required_s") or 0)
    if required <= 0 or header.get("heard"):  # heard before a refresh: the player is quiet too
        return []
    threshold = required - float(header.get("tolerance_s") or 0)
    base: dict[str, Any] = {"plays": 1, "pauses": 0, "seeks": 0, "first_play_ms": 400, "requirement_met": True}
    if threshold < duration_s or header.get("loop"):
        return [{**base, "listened_s": round(max(threshold, 0.0), 3), "ended": False}]
    return [{**base, "listened_s": round(duration_s, 3), "ended": True}]


class Participant:
    """Drives one tab through the journey; ``think_s`` is the mean pause before each answer."""

    def __init__(
        self,
        number: int,
        base_url: str,
        think_s: float,
        rng: random.Random,
        timeout_s: float,
        source_address: str | None = None,
    ):
        self.result = ParticipantResult(number)
        self.think_s = think_s
        self.rng = rng
        self.tab = StreamlitTab(
            base_url, timeout_s=timeout_s, on_element=self._on_element, source_address=source_address
        )
        self._answer_sent_at: float | None = None
        self._audio: dict[str, asyncio.Task[bytes]] = {}  # by player id: its bytes, fetched once

    # ------------------------------------------------------------------------------------------

    def _on_element(self, element, received_at: float) -> None:
        """A player seen for the first time fetches its URL at once, as player.js does when it mounts."""
        if element.WhichOneof("type") != "bidi_component":
            return
        player = element.bidi_component
        if PLAYER_NAME not in player.component_name or player.id in self._audio:
            return
        self._audio[player.id] = asyncio.ensure_future(self._fetch(player_data(player)["src"]))

    async def _fetch(self, src: str) -> bytes:
        """The player's bytes; times answer -> next clip (answer sent to its bytes received)."""
        audio = await self.tab.fetch(src)
        if self._answer_sent_at is not None:
            self.result.clip_latencies_s.append(time.perf_counter() - self._answer_sent_at)
            self._answer_sent_at = None
        return audio

    async def _think(self, share: float = 1.0) -> None:
        if self.think_s > 0:
            await asyncio.sleep(self.think_s * share * self.rng.uniform(0.5, 1.5))

    async def run(self) -> ParticipantResult:
        try:
            await self.tab.open()
            self.result.reruns_requested += 1
            while not self.result.completed:
                await self._step(await self.tab.wait_for_page(_recognisable, "a journey step"))
        except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the others
            self.result.error = f"{type(error).__name__}: {error}"
        finally:
            self.result.script_runs = self.tab.run.number
            self.result.bytes_received = self.tab.bytes_received
            await self.tab.close()
        return self.result

    async def _send(self, coroutine) -> float:
        self.result.reruns_requested += 1
        return await coroutine

    # ------------------------------------------------------------------------------------------
    # Steps

    async def _step(self, page: ScriptRun) -> None:
        errors = [a.body for a in page.find("alert", lambda a: a.format == 1)]
        if errors:
            raise StreamlitError(f"error shown: {errors[0]}")
        if page.find("metric", lambda m: m.label.startswith("Your score")):
            self.result.completed = True
        elif button := _button(page, "I agree, start the study"):
            await self._think()
            await self._send(self.tab.click(button))
            await self.tab.wait_for_page(lambda p: "resume=" in self.tab.query_string, "the resume token")
            self.result.token = parse_qs(self.tab.query_string)["resume"][0]
        elif button := _button(page, "Continue"):
            await self._questionnaire(page, button)
        elif button := _button(page, "My volume is set, continue", enabled=False):  # unlocks once played
            await self._listen(page)
            await self._think(1 - LISTEN_SHARE)
            await self._send(self.tab.click(_button(self.tab.last_finished, button.label)))
        elif _button(page, "1", enabled=False) and "Sound " in page.texts():
            await self._screening_sound(page)
        elif button := _button(page, "Start"):
            await self._think()
            await self._send(self.tab.click(button))
        elif _button(page, "Save and continue", enabled=False):
            await self._trial(page)
        else:
            raise StreamlitError(f"unknown page: {page.texts()[:200]!r}")

    async def _questionnaire(self, page: ScriptRun, submit) -> None:
        values = [choose(radio, radio.options[0]) for radio in page.find("radio")]
        await self._think()
        await self._send(self.tab.click(submit, values))

    async def _listen(self, page: ScriptRun) -> dict:
        """Play the page's player to its end, sending the reports player.js sends; returns its header."""
        (player,) = page.find("bidi_component", lambda c: PLAYER_NAME in c.component_name)
        header = player_data(player)
        audio = await self._audio[player.id]
        started = time.perf_counter()  # playback starts once the bytes are in
        reports = player_reports(header, audio_duration_s(audio, header.get("mime", "audio/mpeg")))
        for i, report in enumerate(reports):
            if i == len(reports) - 1:
                await self._think(LISTEN_SHARE)
            # Real playback: nothing is reported heard before that much time has passed.
            await asyncio.sleep(max(0.0, float(report["listened_s"]) - (time.perf_counter() - started)))
            await self._send(self.tab.set_component_state(player, {"report": report}))
            await self.tab.wait_for_page(lambda p: True, "the page after a player report")
        return header | {"audio": audio}

    async def _screening_sound(self, page: ScriptRun) -> None:
        heard = await self._listen(page)
        target = huggins_interval(heard["audio"])
        await self._think(1 - LISTEN_SHARE)
        button = _button(self.tab.last_finished, str(target))
        await self._send(self.tab.click(button))

    async def _trial(self, page: ScriptRun) -> None:
        await self._listen(page)
        assert self.tab.last_finished is not None  # _listen waited for the run its reports started
        await self._answer(self.tab.last_finished)

    async def _answer(self, page: ScriptRun) -> None:
        """Rate the heard clip (each answer sent as it is given), then submit."""
        values = [
            choose_segment(scale, scale.options[len(scale.options) // 2].content) for scale in page.find("button_group")
        ]
        for radio in page.find("radio"):
            option = "No" if "No" in radio.options else self.rng.choice(list(radio.options))
            values.append(choose(radio, option))
        await self._think(1 - LISTEN_SHARE)
        for value in values:  # each answer is sent as it is given (kept on the server for a refresh)
            await self._send(self.tab.change(value))
            page = await self.tab.wait_for_page(lambda p: True, "the page after an answer given")
        submit = _button(page, "Save and continue")
        self.result.answers_sent += 1
        self._answer_sent_at = time.perf_counter()
        await self._send(self.tab.click(submit))  # _fetch times the next clip


def _button(page: ScriptRun | None, label: str, enabled: bool = True):
    """The button labelled ``label`` on ``page`` (None when absent, or disabled with ``enabled``)."""
    if page is None:
        return None
    found = page.find("button", lambda b: b.label == label and not (enabled and b.disabled))
    return found[0] if found else None


def _recognisable(page: ScriptRun) -> bool:
    return bool(page.find("button") or page.find("metric") or page.find("alert", lambda a: a.format == 1))

"""A headless Streamlit client: one browser tab's websocket conversation, without a browser.

It speaks Streamlit 1.67's protocol the way its frontend does (``static/js/index.*.js``):

- the page is loaded first (``GET /``) and its cookies (nginx's sticky ``ht_replica``) are sent
  with the websocket and every later fetch, so all of them reach the same replica;
- websocket ``/_stcore/stream`` with subprotocols ``["streamlit", <xsrf or placeholder token>]``,
  an ``Origin`` header, permessage-deflate offered (as Chromium does);
- every run of the script is requested with a ``BackMsg.rerun_script`` carrying the URL's query
  string, the page script hash of the last ``new_session`` (empty on the first request), the
  hashes of cached messages, the context (timezone, locale, URL, colour scheme) and the state of
  every widget on the page; a trigger (button click) is sent once and then forgotten;
- ``ForwardMsg``s are decoded: ``new_session`` starts a run, deltas place elements by their
  ``delta_path``, a fragment run (``metadata.run.fragment_ids``) replaces only the elements of
  its fragments (the others stay on the page, as in the browser), ``page_info_changed``
  updates the query string (``st.query_params``), cacheable messages are kept and ``ref_hash``
  messages resolved from that cache, ``script_finished`` ends a run; widgets that were not drawn
  in a finished run lose their state.

Widgets inside a form keep their values until the submit button is sent, as in the browser; a
widget outside a form sends its new value at once (:meth:`StreamlitTab.change`). A
click or component report of a widget drawn inside an ``st.fragment`` asks for a rerun of that
fragment only (``rerun_script.fragment_id``), as the frontend does.
"""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, cast
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

PLACEHOLDER_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
"""What the frontend sends as the second subprotocol when it has no XSRF cookie."""
CACHE_MAX_AGE_RUNS = 2
"""Runs a cached message survives unused (the frontend also ages its message cache)."""


class StreamlitError(RuntimeError):
    """The server showed an exception, closed the connection, or did not answer in time."""


@dataclass
class ScriptRun:
    """What one script run drew: elements by delta path, in drawing order."""

    number: int
    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    fragments: dict[tuple[int, ...], str] = field(default_factory=dict)
    """The fragment each element was drawn in (elements outside fragments are absent)."""
    status: int | None = None  # ForwardMsg.ScriptFinishedStatus once finished

    def find(self, kind: str, predicate: Callable[[Any], bool] = lambda _: True) -> list:
        """Every element of ``kind`` (the ``Element`` oneof name, e.g. "button") matching ``predicate``."""
        found = []
        for path in sorted(self.elements):
            element = self.elements[path]
            if element.WhichOneof("type") == kind and predicate(getattr(element, kind)):
                found.append(getattr(element, kind))
        return found

    def fragment_of(self, widget_id: str) -> str:
        """The id of the fragment that drew the widget ``widget_id`` ('' outside fragments)."""
        for path, element in self.elements.items():
            if getattr(getattr(element, element.WhichOneof("type") or "", None), "id", "") == widget_id:
                return self.fragments.get(path, "")
        return ""

    def texts(self) -> str:
        """The page's visible text (headings, markdown, alerts), for matching a step."""
        parts = []
        for element in self.elements.values():
            kind = element.WhichOneof("type")
            if kind in ("heading", "markdown", "alert", "text"):
                parts.append(getattr(element, kind).body)
            elif kind == "progress":
                parts.append(element.progress.text)
            elif kind == "metric":
                parts.append(element.metric.label)
        return "\n".join(parts)


class StreamlitTab:
    """One browser tab on ``base_url``: connect, wait for runs, click, fill forms, set component state.

    ``on_element`` is called with ``(element, received_at)`` for every element as it arrives
    (before the run finishes), so a caller can time when something became visible.
    ``source_address``: the local address every connection of this tab comes from (e.g. its own
    127.0.x.y, as participants come from their own addresses; nginx limits connections per address).
    """

    def __init__(
        self,
        base_url: str,
        query_string: str = "",
        timeout_s: float = 120.0,
        on_element: Callable[[Element, float], None] | None = None,
        source_address: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.source_address = source_address
        self._opener = urllib.request.build_opener(_SourceHandler(source_address)) if source_address else None
        self.query_string = query_string
        self.timeout_s = timeout_s
        self.on_element = on_element
        self.page_script_hash = ""
        self.run = ScriptRun(0)
        self.last_finished: ScriptRun | None = None
        self.widget_states: dict[str, WidgetState] = {}
        self.bytes_received = 0
        self._cache: dict[str, tuple[ForwardMsg, int]] = {}
        self._changed = asyncio.Condition()
        self._socket: ClientConnection | None = None
        self._reader: asyncio.Task | None = None
        self._failure: BaseException | None = None
        self.cookies: dict[str, str] = {}

    # ------------------------------------------------------------------------------------------
    # Connection

    async def open(self) -> None:
        """Load the page, connect the websocket and request the first run, as a browser does."""
        await self.fetch("/" + (f"?{self.query_string}" if self.query_string else ""))
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        self._socket = await connect(
            f"{scheme}://{parts.netloc}{parts.path}/_stcore/stream",
            subprotocols=[Subprotocol("streamlit"), Subprotocol(PLACEHOLDER_TOKEN)],
            origin=Origin(f"{parts.scheme}://{parts.netloc}"),
            max_size=None,
            additional_headers=self._cookie_header(),
            open_timeout=self.timeout_s,
            ping_interval=None,
            # Passed on to the event loop's create_connection (websockets' connect takes them so).
            **cast(Any, {"local_addr": (self.source_address, 0)} if self.source_address else {}),
        )
        self._reader = asyncio.create_task(self._read_forever())
        await self.rerun()

    async def fetch(self, path: str) -> bytes:
        """GET ``path`` (absolute, e.g. "/_ht/clip/..."), with this tab's cookies; keeps cookies set.

        Raises
        ------
        StreamlitError
            Any status other than 200.
        """
        parts = urlsplit(self.base_url)
        request = urllib.request.Request(f"{parts.scheme}://{parts.netloc}{path}", headers=self._cookie_header())

        def get() -> tuple[bytes, list[str]]:
            opener = self._opener.open if self._opener is not None else urllib.request.urlopen
            with opener(request, timeout=self.timeout_s) as response:
                return response.read(), response.headers.get_all("Set-Cookie") or []

        try:
            body, set_cookies = await asyncio.to_thread(get)
        except OSError as error:
            raise StreamlitError(f"GET {path.split('?')[0]} failed: {error}") from None
        for header in set_cookies:
            self.cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
        self.bytes_received += len(body)
        return body

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()

    async def _read_forever(self) -> None:
        assert self._socket is not None  # started by open() after connecting
        try:
            async for data in self._socket:
                self.bytes_received += len(data)
                message = ForwardMsg()
                message.ParseFromString(data)
                await self._handle(message, time.perf_counter())
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001 - reported to whoever waits next
            self._failure = error
        if self._failure is None:
            self._failure = StreamlitError("the server closed the connection")
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------------------------------
    # Incoming messages

    async def _handle(self, message: ForwardMsg, received_at: float) -> None:
        if message.HasField("ref_hash"):
            cached, _ = self._cache[message.ref_hash]
            resolved = ForwardMsg()
            resolved.CopyFrom(cached)
            resolved.metadata.CopyFrom(message.metadata)
            message = resolved
        elif message.metadata.cacheable:
            self._cache[message.hash] = (message, self.run.number)
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.page_script_hash = message.new_session.page_script_hash
            self.run = self._next_run(set(message.metadata.run.fragment_ids))
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            path = tuple(message.metadata.delta_path)
            self._replace_subtree(path)
            self.run.elements[path] = element
            if message.delta.fragment_id:
                self.run.fragments[path] = message.delta.fragment_id
            self._cache_touch(message.hash)
            if element.WhichOneof("type") == "exception":
                self._failure = StreamlitError(f"exception on the page: {element.exception.message}")
            if self.on_element is not None:
                self.on_element(element, received_at)
        elif kind == "script_finished":
            self.run.status = message.script_finished
            if message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            ):
                self.last_finished = self.run
                self._forget_inactive_widgets()
        async with self._changed:
            self._changed.notify_all()

    def _next_run(self, fragment_ids: set[str]) -> ScriptRun:
        """A new run; a fragment run keeps the elements drawn outside its fragments."""
        run = ScriptRun(self.run.number + 1)
        if fragment_ids:
            kept = [path for path in self.run.elements if self.run.fragments.get(path) not in fragment_ids]
            run.elements = {path: self.run.elements[path] for path in kept}
            run.fragments = {path: self.run.fragments[path] for path in kept if path in self.run.fragments}
        return run

    def _replace_subtree(self, path: tuple[int, ...]) -> None:
        """An element drawn at ``path`` replaces whatever the page held under it, as in the browser.

        A fragment rerun keeps the elements of other fragments, and a nested fragment's container
        may move (the page above it changed); its old elements must not stay under the new element.
        """
        below = [kept for kept in self.run.elements if len(kept) > len(path) and kept[: len(path)] == path]
        for kept in below:
            del self.run.elements[kept]
            self.run.fragments.pop(kept, None)

    def _cache_touch(self, message_hash: str) -> None:
        if message_hash and message_hash in self._cache:
            cached, _ = self._cache[message_hash]
            self._cache[message_hash] = (cached, self.run.number)

    def _forget_inactive_widgets(self) -> None:
        active = set()
        for element in self.run.elements.values():
            widget = getattr(element, element.WhichOneof("type") or "", None)
            widget_id = getattr(widget, "id", "")
            if widget_id:
                active.add(widget_id)
        self.widget_states = {k: v for k, v in self.widget_states.items() if k in active}
        oldest = self.run.number - CACHE_MAX_AGE_RUNS
        self._cache = {h: entry for h, entry in self._cache.items() if entry[1] >= oldest}

    # ------------------------------------------------------------------------------------------
    # Waiting

    async def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait until ``condition()`` holds (checked after every message); raise on failure or timeout."""

        async def waiter() -> None:
            async with self._changed:
                while not condition():
                    if self._failure is not None:
                        raise self._failure
                    await self._changed.wait()

        try:
            await asyncio.wait_for(waiter(), self.timeout_s)
        except TimeoutError:
            raise StreamlitError(f"timed out after {self.timeout_s:.0f} s waiting for {what}") from None
        if self._failure is not None:
            raise self._failure

    async def wait_for_page(self, predicate: Callable[[ScriptRun], bool], what: str) -> ScriptRun:
        """Wait for a successfully finished run after the last request whose page satisfies ``predicate``."""
        requested = self._requested_run
        await self.wait_until(
            lambda: (
                self.last_finished is not None
                and self.last_finished.number > requested
                and predicate(self.last_finished)
            ),
            what,
        )
        assert self.last_finished is not None  # the wait ends only on a finished run
        return self.last_finished

    # ------------------------------------------------------------------------------------------
    # Outgoing messages

    _requested_run = 0

    async def rerun(self, extra: Iterable[WidgetState] = (), fragment_id: str = "") -> float:
        """Send ``rerun_script`` with every widget's state plus ``extra``; returns the send time.

        ``fragment_id``: rerun only that fragment (what the frontend asks when a widget drawn in
        an ``st.fragment`` changes).
        """
        states = dict(self.widget_states)
        for state in extra:
            states[state.id] = state
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query_string
        client.page_script_hash = self.page_script_hash
        client.page_name = ""
        client.fragment_id = fragment_id
        client.widget_states.widgets.extend(states.values())
        client.cached_message_hashes.extend(self._cache)
        context = client.context_info
        context.timezone, context.timezone_offset, context.locale = "UTC", 0, "en-US"
        context.url = self.base_url + "/" + (f"?{self.query_string}" if self.query_string else "")
        context.is_embedded, context.color_scheme = False, "light"
        # Triggers fire once; values stay (the frontend keeps them until the widget disappears).
        self.widget_states = {
            k: v
            for k, v in states.items()
            if v.WhichOneof("value") not in ("trigger_value", "json_trigger_value", "string_trigger_value")
        }
        self._requested_run = self.run.number
        sent_at = time.perf_counter()
        if self._socket is None:
            raise StreamlitError("send before open()")
        await self._socket.send(message.SerializeToString())
        return sent_at

    async def click(self, button, extra: Iterable[WidgetState] = ()) -> float:
        """Click ``button`` (a Button proto; a form's submit button sends the form's values in ``extra``)."""
        if button.disabled:
            raise StreamlitError(f"button {button.label!r} is disabled")
        return await self.rerun([*extra, trigger(button.id)], fragment_id=self._fragment_of(button.id))

    async def change(self, state: WidgetState) -> float:
        """A widget outside a form takes the value ``state``: the browser sends it at once (a rerun of its fragment)."""
        self.widget_states[state.id] = state
        return await self.rerun(fragment_id=self._fragment_of(state.id))

    async def set_component_state(self, component, state: dict) -> float:
        """What ``setStateValue`` does in a components-v2 element: the whole state dict as JSON."""
        value = WidgetState(id=component.id, json_value=json.dumps(state, separators=(",", ":")))
        self.widget_states[component.id] = value
        return await self.rerun(fragment_id=self._fragment_of(component.id))

    def _fragment_of(self, widget_id: str) -> str:
        return self.last_finished.fragment_of(widget_id) if self.last_finished is not None else ""


class _SourceHandler(urllib.request.HTTPHandler):
    """Plain HTTP from a chosen local address (urllib has no option for it)."""

    def __init__(self, source_address: str):
        super().__init__()
        self.source_address = source_address

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.source_address, 0)), req)


def trigger(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def choose(radio, option: str) -> WidgetState:
    """A radio or selectbox set to the option shown as ``option`` (its formatted label)."""
    if option not in radio.options:
        raise StreamlitError(f"{option!r} is not an option of {radio.label!r}: {list(radio.options)}")
    return WidgetState(id=radio.id, string_value=option)


def choose_segment(button_group, option: str) -> WidgetState:
    """A single-select segmented control / pills set to ``option`` (its formatted label)."""
    labels = [o.content for o in button_group.options]
    if option not in labels:
        raise StreamlitError(f"{option!r} is not an option of {button_group.label!r}: {labels}")
    state = WidgetState(id=button_group.id)
    state.string_array_value.data.append(option)
    return state


def slide(slider, *values: float) -> WidgetState:
    state = WidgetState(id=slider.id)
    state.double_array_value.data.extend(values)
    return state


def type_text(text_input, text: str) -> WidgetState:
    return WidgetState(id=text_input.id, string_value=text)

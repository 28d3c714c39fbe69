"""A browser tab without the browser: Reflex's websocket (Socket.IO over Engine.IO 4) spoken
directly, for tests and benchmarks that need many tabs cheaply. A Tab loads pages and sends events
the way the frontend does, and keeps every update the server pushes, with the time it arrived.

    tab = Tab(app_url)                                  # the socket, with a new client token
    tab.load("/login")                                  # hydrate, then the page's on_load
    tab.send(LoginState.sign_in, path="/login", form={"email": ..., "password": ...})
    update = tab.wait_for(Update.script, timeout=20)    # the sign-in's call_script
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from reflex.event import EventHandler
from reflex_base.utils.format import format_event_handler
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

from luckyclub.state.session import SESSION_COOKIE

HYDRATE_AND_LOAD = "reflex___state____state.hydrate_and_load"
NAMESPACE = "/_event"  # Reflex's Socket.IO namespace: packets read 42/_event,[...]


@dataclass
class Update:
    """One update the server pushed: changed vars by state, and events for the frontend."""

    delta: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    at: float = field(default_factory=time.monotonic)

    def value(self, handler_state: type, var: str, default: Any = None) -> Any:
        """A var of a state as this update set it (default when it did not)."""
        return self.delta.get(handler_state.get_full_name(), {}).get(f"{var}_rx_state_", default)

    def script(self) -> str:
        """The JavaScript of the update's first call_script event, or ""."""
        for event in self.events:
            if event.get("name") == "_call_script":
                return str(event.get("payload", {}).get("javascript_code", ""))
        return ""

    def redirect(self) -> str:
        """Where the update's first redirect event sends the tab, or ""."""
        for event in self.events:
            if event.get("name") == "_redirect":
                return str(event.get("payload", {}).get("path", ""))
        return ""


class WebSocket:
    """Just enough of a websocket client for Engine.IO's text packets: wsproto over a socket, every
    message (those that come along with the handshake's answer too) put on `texts`, None once
    the server closes."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float):
        parts = urlsplit(url)
        self._socket = socket.create_connection((parts.hostname, parts.port or 80), timeout)
        self._protocol = WSConnection(ConnectionType.CLIENT)
        self._sending = threading.Lock()
        self._partial = ""
        self.texts: queue.Queue[str | None] = queue.Queue()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self._send(Request(host=parts.netloc, target=target, extra_headers=list(headers.items())))
        accepted = False
        while not accepted:  # a silent server raises TimeoutError after `timeout`
            data = self._socket.recv(65536)
            if not data:
                raise ConnectionError(f"{url} closed the connection during the handshake")
            self._protocol.receive_data(data)
            for event in self._protocol.events():
                if isinstance(event, RejectConnection):
                    raise ConnectionError(f"{url} refused the websocket ({event.status_code})")
                accepted = accepted or isinstance(event, AcceptConnection)
                self._handle(event)
        self._socket.settimeout(None)
        threading.Thread(target=self._read, daemon=True, name="websocket").start()

    def send(self, text: str) -> None:
        self._send(TextMessage(data=text))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send(CloseConnection(code=1000))
        self._socket.close()

    def _send(self, event: Event) -> None:
        with self._sending:
            self._socket.sendall(self._protocol.send(event))

    def _read(self) -> None:
        try:
            while data := self._socket.recv(65536):
                self._protocol.receive_data(data)
                for event in self._protocol.events():
                    self._handle(event)
        except OSError:
            pass
        self.texts.put(None)

    def _handle(self, event: Event) -> None:
        if isinstance(event, TextMessage):
            self._partial += event.data
            if event.message_finished:
                self.texts.put(self._partial)
                self._partial = ""
        elif isinstance(event, Ping):
            self._send(event.response())


class Tab:
    """One tab's websocket to the app at `url` (http://host:port), with its own client token."""

    def __init__(
        self,
        url: str,
        *,
        session_token: str | None = None,
        client_ip: str | None = None,
        timeout: float = 10,
    ):
        self.url, self.client_ip = url, client_ip
        self.token = str(uuid.uuid4())
        headers = {"Origin": url}  # the app's websocket answers its own pages only
        if session_token:
            headers["Cookie"] = f"{SESSION_COOKIE}={session_token}"
        if client_ip:  # behind TRUSTED_PROXY_HOPS=1, each tab is its own client
            headers["X-Forwarded-For"] = client_ip
        address = url.replace("http", "ws", 1) + "/_event/"
        query = urlencode({"EIO": "4", "transport": "websocket", "token": self.token})
        self._ws = WebSocket(f"{address}?{query}", headers, timeout)
        self._arrived: queue.Queue[Update] = queue.Queue()
        self.updates: list[Update] = []
        self._expect("0", timeout)  # Engine.IO's open packet
        self._ws.send(f"40{NAMESPACE},")
        self._expect(f"40{NAMESPACE},", timeout)
        threading.Thread(target=self._read, daemon=True, name="reflex-tab").start()

    def _expect(self, start: str, timeout: float) -> None:
        try:
            packet = self._ws.texts.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"{self.url} sent no {start!r} packet in {timeout} s") from None
        if packet is None or not packet.startswith(start):
            raise ConnectionError(f"{self.url} sent {packet!r}, not a {start!r} packet")

    # ---- sending ------------------------------------------------------------------------------

    def load(self, path: str, query: dict[str, str] | None = None) -> None:
        """What a page load sends once its socket is up: hydrate, then the page's on_load."""
        self._send_event(HYDRATE_AND_LOAD, {}, path, query)

    def send(
        self,
        handler: EventHandler,
        *,
        path: str = "/",
        query: dict[str, str] | None = None,
        **payload: Any,
    ) -> None:
        """Trigger `handler` (State.handler) with these arguments, from a page at `path`."""
        self._send_event(format_event_handler(handler), payload, path, query)

    def _send_event(
        self, name: str, payload: dict[str, Any], path: str, query: dict[str, str] | None
    ) -> None:
        as_path = path + (f"?{urlencode(query)}" if query else "")
        router_data = {"pathname": path, "asPath": as_path, "query": query or {}}
        message = {"name": name, "payload": payload, "router_data": router_data}
        self._ws.send(f"42{NAMESPACE}," + json.dumps(["event", message]))

    # ---- receiving ----------------------------------------------------------------------------

    def _read(self) -> None:
        while (packet := self._ws.texts.get()) is not None:
            if packet == "2":  # Engine.IO's ping
                self._ws.send("3")
            elif packet.startswith(f"42{NAMESPACE},"):
                name, *args = json.loads(packet[len(NAMESPACE) + 3 :])
                if name == "event" and args and isinstance(args[0], dict):
                    body = args[0]
                    self._arrived.put(Update(body.get("delta") or {}, body.get("events") or []))

    def wait_for(self, wanted: Callable[[Update], Any], timeout: float = 30) -> Update:
        """The first update (since the last one returned) for which `wanted` is true; raises
        TimeoutError when none arrives in time."""
        deadline = time.monotonic() + timeout
        while True:
            for index, update in enumerate(self.updates):
                if wanted(update):
                    del self.updates[: index + 1]
                    return update
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no such update from the app in {timeout} s")
            try:
                self.updates.append(self._arrived.get(timeout=left))
            except queue.Empty:
                continue

    def close(self) -> None:
        self._ws.close()


TICKET = re.compile(r'\\"ticket\\": \\"([^\\"]+)\\"')


def session_after_sign_in(url: str, script: str, *, client_ip: str | None = None) -> str:
    """The browser's half of signing in: swap the login ticket the sign-in handler's script
    carries for the session cookie (POST /api/auth/session); the session token."""
    found = TICKET.search(script)
    if found is None:
        raise ValueError(f"no login ticket in {script!r}")
    headers = {"Origin": url}
    if client_ip:
        headers["X-Forwarded-For"] = client_ip
    answer = httpx.post(
        f"{url}/api/auth/session", json={"ticket": found.group(1)}, headers=headers, timeout=30
    )
    answer.raise_for_status()
    return answer.cookies[SESSION_COOKIE]

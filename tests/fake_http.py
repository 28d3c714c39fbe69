"""A stand-in HTTP provider (Klaviyo, the SMS API): a real server on 127.0.0.1 that records every
request and answers with the statuses a test lines up. It can stop and start again on the same port,
so a test can take a provider down and bring it back.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One request as the provider saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {name: values[0] for name, values in parse_qs(self.body.decode()).items()}

    def basic_auth(self) -> tuple[str, str] | None:
        kind, _, encoded = self.headers.get("authorization", "").partition(" ")
        if kind.lower() != "basic":
            return None
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class LocalServer:
    """A real HTTP server on 127.0.0.1, in a thread of the test process, from start() until stop();
    `with server.running():` does both."""

    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        raise NotImplementedError  # each server listens with its own handler: self._listen(...)

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[Self]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _listen(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None


JsonAnswer = tuple[int, Any, dict[str, str]]  # status, a body to send as JSON (None: none), headers


def json_handler(respond: Callable[[Received], JsonAnswer]) -> type[BaseHTTPRequestHandler]:
    """A handler that hands every request (GET, POST, PUT, DELETE) to `respond` and sends its
    answer, the body as JSON: what the fakes of JSON APIs (Kick, Discord) share."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = respond(
                Received(method, self.path, headers, self.rfile.read(length))
            )
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            data = json.dumps(body).encode() if body is not None else b""
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class FakeProvider(LocalServer):
    """Answers each request with the next lined-up Answer; with `default` when none are left."""

    def __init__(self, default: Answer):
        self.default = default
        self.queued: list[Answer] = []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self.port = free_port()  # fixed for life, so a stopped provider comes back where it was

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, *answers: Answer | int) -> None:
        """Line up the next answers; a bare status answers with an empty body."""
        with self._lock:
            self.queued += [a if isinstance(a, Answer) else Answer(a) for a in answers]

    def start(self) -> FakeProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = provider._take(
                    Received(
                        "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler, self.port)
        return self

    def _take(self, request: Received) -> Answer:
        with self._lock:
            self.received.append(request)
            return self.queued.pop(0) if self.queued else self.default


def klaviyo() -> FakeProvider:
    """Klaviyo's Events API takes an event with 202 Accepted and no body."""
    return FakeProvider(Answer(202))


def sms_provider() -> FakeProvider:
    """A Twilio-compatible Messages API takes a text with 201 Created and the message's JSON."""
    body = json.dumps({"sid": "SM00000000000000000000000000000000", "status": "queued"})
    return FakeProvider(Answer(201, body.encode(), {"Content-Type": "application/json"}))

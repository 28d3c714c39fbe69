"""A stand-in for a casino affiliate's stats endpoint (Shuffle's shape): a real HTTP server on
127.0.0.1 answering `GET /stats/<uuid>?startTime=&endTime=` with a JSON array of
`{username, campaignCode, wagerAmount}` from `totals`, which a test changes between polls (a total
may fall, as after a chargeback). Lined-up answers come first: `rate_limited()` is Shuffle's
HTTP 200 with `{"statusCode":400,"message":"TOO_MANY_REQUEST"}`, `answer(429)` a plain status.

    with FakeAffiliate().running() as stats:
        stats.totals = {"Ann": 1234.5}
        rows = fetch_stats(stats.stats_url, start, end)
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_http import Answer, LocalServer, Received

TOO_MANY_REQUEST = {"statusCode": 400, "message": "TOO_MANY_REQUEST"}


@dataclass
class FakeAffiliate(LocalServer):
    uuid: str = field(default_factory=lambda: secrets.token_hex(16))
    totals: dict[str, float | Decimal] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    queued: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def stats_url(self) -> str:
        return f"{self.url}/stats/{self.uuid}"

    def answer(self, *answers: Answer | int | Any) -> None:
        """Line up answers: an Answer, a bare status, or a JSON body served with 200."""
        with self._lock:
            for item in answers:
                if isinstance(item, Answer):
                    self.queued.append(item)
                elif isinstance(item, int):
                    self.queued.append(Answer(item, b'{"message":"Too Many Requests"}'))
                else:
                    self.queued.append(Answer(200, json.dumps(item).encode()))

    def rate_limited(self) -> None:
        self.answer(TOO_MANY_REQUEST)

    def windows(self) -> list[tuple[int, int]]:
        """The (startTime, endTime) of every request, in order."""
        out = []
        for request in self.received:
            query = dict(parse_qsl(urlsplit(request.path).query))
            out.append((int(query["startTime"]), int(query["endTime"])))
        return out

    def start(self) -> FakeAffiliate:
        stats = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                request = Received(
                    "GET", self.path, {k.lower(): v for k, v in self.headers.items()}, b""
                )
                answer = stats._take(request)
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)
        return self

    def _take(self, request: Received) -> Answer:
        with self._lock:
            self.received.append(request)
            if urlsplit(request.path).path != f"/stats/{self.uuid}":
                return Answer(404, b'{"message":"Not Found"}')
            if self.queued:
                return self.queued.pop(0)
            rows = [
                {"username": name, "campaignCode": "club", "wagerAmount": float(total)}
                for name, total in self.totals.items()
            ]
            return Answer(200, json.dumps(rows).encode())

"""A stand-in drand relay: a real HTTP server on 127.0.0.1 serving recorded real quicknet rounds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from luckyclub.draws import CHAIN_HASH, round_time
from tests.fake_http import LocalServer

# A real round of drand quicknet (shared/notes/DRAND.md): it verifies with the chain's public key.
ROUND = 1000
SIGNATURE = (
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
    "e342b73a8dd2bacbe47e4b6b63ed5e39"
)
RANDOMNESS = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
RECORDED = {ROUND: {"round": ROUND, "randomness": RANDOMNESS, "signature": SIGNATURE}}


def close_time_for(round_number: int = ROUND, margin_seconds: int = 10) -> datetime:
    """A closing time whose bound round (first after close + margin) is `round_number`."""
    return datetime.fromtimestamp(round_time(round_number) - margin_seconds - 2, UTC)


def recorded_rounds(path: str) -> tuple[bytes, int]:
    """Answers like a relay that has exactly the recorded rounds."""
    prefix, _, number = path.rpartition("/")
    found = RECORDED.get(int(number)) if number.isdigit() else None
    if prefix == f"/{CHAIN_HASH}/public" and found:
        return json.dumps(found).encode(), 200
    return b'{"error": "not found"}', 404


class Relay(LocalServer):
    """A relay answering each GET with `answer(path)`; `paths` are the paths asked for."""

    def __init__(self, answer: Callable[[str], tuple[bytes, int]] = recorded_rounds):
        self.answer = answer
        self.paths: list[str] = []

    def start(self) -> Relay:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body, status = relay.answer(self.path)
                relay.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._listen(Handler)
        return self


@contextmanager
def serve(
    answer: Callable[[str], tuple[bytes, int]] = recorded_rounds,
) -> Iterator[tuple[str, list[str]]]:
    """(base URL, the paths asked for) of a relay answering with `answer(path)`."""
    with Relay(answer).running() as relay:
        yield relay.url, relay.paths

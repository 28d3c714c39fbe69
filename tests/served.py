"""The app's HTTP API on a real port (uvicorn in a thread), for callers that must come over the
network like Stripe's webhook deliveries do."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from luckyclub.api.routes import build_api
from tests.fake_http import free_port


@contextmanager
def serve_api() -> Iterator[str]:
    """Yields the base URL, http://127.0.0.1:<port>; stops the server afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_api(), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()

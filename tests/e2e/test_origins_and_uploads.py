"""The running app (reflex run --env prod) opens its websocket only to its own pages, and refuses
an upload without a session before reading it. Plain sockets and HTTP: no browser needed."""

from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.e2e


def websocket_handshake(app_url: str, origin: str) -> int:
    """The HTTP status the app answers a websocket upgrade of /_event sent from `origin`'s page."""
    url = urlsplit(app_url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: {url.netloc}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n"
        "\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request.encode())
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_the_websocket_answers_the_apps_own_pages_only(app):
    assert websocket_handshake(app.url, app.url) == 101
    for foreign in ("https://evil.example", "http://localhost:1", "null"):
        assert websocket_handshake(app.url, foreign) != 101, foreign


def test_an_upload_without_a_session_is_refused_before_it_is_read(app):
    response = httpx.post(
        f"{app.url}/_upload",
        headers={
            "Reflex-Client-Token": "a-token",
            "Reflex-Event-Handler": "reflex___state____state.dashboard_state.upload_proof",
        },
        files={"files": ("proof.png", b"\x89PNG" + b"x" * 1024, "image/png")},
        timeout=30,
    )

    assert response.status_code == 401
    assert response.json() == {"error": "Sign in to upload files, then try again."}

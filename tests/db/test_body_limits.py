"""Request bodies are capped while they arrive: a huge POST gets a JSON 413 and the server stops
reading it (the sender's generator is never run to its end); an upload without a session, or
declaring more than any upload form takes, is refused before a byte of it is read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from luckyclub.api import body_limits
from luckyclub.api.routes import build_api
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE
from tests.db.factories import add_user

MIB = 1024 * 1024


class Body:
    """A body handed to the app one chunk per receive(), as a server passes it on, counting how
    many chunks the app asked for."""

    def __init__(self, chunk_size: int, chunks: int):
        self.chunk, self.total, self.pulled = b"x" * chunk_size, chunks, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.pulled < self.total:
            self.pulled += 1
            yield self.chunk

    @property
    def exhausted(self) -> bool:
        return self.pulled == self.total


def post(app, path: str, body: Body, headers: dict[str, str] | None = None):
    """POST `body` to the ASGI app; (status, JSON answer)."""
    chunks = iter(body)
    sent: list[dict] = []

    async def receive():
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload)


@pytest.mark.parametrize("path", ["/api/stripe/webhook", "/api/auth/session"])
def test_a_huge_post_without_a_length_is_cut_off_with_a_413(app_db, path):
    body = Body(64 * 1024, 3200)  # 200 MB, chunked

    status, answer = post(build_api(), path, body, {"content-type": "application/json"})

    assert status == 413 and "too large" in answer["error"]
    assert not body.exhausted
    assert body.pulled * 64 * 1024 <= body_limits.WEBHOOK_BODY_LIMIT + 64 * 1024


@pytest.mark.parametrize("path", ["/api/stripe/webhook", "/api/auth/session", "/api/auth/logout"])
def test_a_post_declaring_a_huge_length_is_refused_before_reading(app_db, path):
    body = Body(64 * 1024, 3200)

    status, answer = post(build_api(), path, body, {"content-length": str(200 * MIB)})

    assert status == 413 and answer["error"].endswith(".")
    assert body.pulled == 0


@pytest.fixture()
def with_uploads():
    """The API with a stand-in for Reflex's /_upload mounted behind it, as Reflex mounts its
    backend into the API app; it reads the whole body, as Reflex's spooling does."""
    reached: list[int] = []

    async def upload(request: Request):
        reached.append(len(await request.body()))
        return JSONResponse({"ok": True})

    app = build_api()
    app.mount("", Starlette(routes=[Route("/_upload", upload, methods=["POST"])]))
    return app, reached


def signed_in(session) -> dict[str, str]:
    token, _ = accounts.start_session(session, add_user(session, "ann@example.com"))
    session.commit()
    return {"cookie": f"{SESSION_COOKIE}={token}"}


def test_an_upload_without_a_session_is_refused_before_reading(app_db, with_uploads):
    app, reached = with_uploads
    for headers in ({}, {"cookie": f"{SESSION_COOKIE}=made-up"}):
        body = Body(MIB, 3)

        status, answer = post(app, "/_upload", body, headers)

        assert status == 401 and answer["error"] == body_limits.SIGN_IN_TO_UPLOAD
        assert body.pulled == 0 and reached == []


def test_a_signed_in_upload_past_the_largest_form_is_refused(session, with_uploads):
    app, reached = with_uploads
    cookie = signed_in(session)
    declared = Body(MIB, 200)
    chunked = Body(MIB, 200)

    status, _ = post(app, "/_upload", declared, cookie | {"content-length": str(200 * MIB)})
    assert status == 413 and declared.pulled == 0

    status, _ = post(app, "/_upload", chunked, cookie)
    assert status == 413 and not chunked.exhausted
    assert chunked.pulled * MIB <= body_limits.LARGEST_UPLOAD + MIB
    assert reached == []


def test_a_signed_in_upload_within_the_limit_reaches_reflex(session, with_uploads):
    app, reached = with_uploads

    status, answer = post(app, "/_upload", Body(MIB, 3), signed_in(session))

    assert status == 200 and answer == {"ok": True}
    assert reached == [3 * MIB]

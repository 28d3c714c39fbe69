"""Request bodies are capped while they arrive, before any route or Reflex sees them whole.

One ASGI middleware in front of the API and of Reflex's `/_upload`:

- every `/api/…` request may carry at most API_BODY_LIMIT bytes (the Stripe webhook
  WEBHOOK_BODY_LIMIT, Kick's KICK_WEBHOOK_BODY_LIMIT); a declared Content-Length past the cap is
  refused before a byte is read, and a body sent without one (chunked) is cut off as soon as it
  passes the cap: `413` with a JSON sentence either way, and the rest is never read;
- `POST /_upload` (Reflex spools every upload to disk before any handler runs) is refused before
  reading when the request carries no valid session cookie (`401`), and capped at LARGEST_UPLOAD,
  the most any upload form of the app takes at once.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from luckyclub.api.responses import DATABASE_UNAVAILABLE, UNAVAILABLE, BodyTooLarge, error
from luckyclub.competitions import pictures
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.platform import accounts, uploads, winner_media
from luckyclub.state.session import session_token_from_cookie_header

KIB, MIB = 1024, 1024 * 1024
API_BODY_LIMIT = 16 * KIB  # a login ticket's JSON is a few hundred bytes
WEBHOOK_PATH = "/api/stripe/webhook"
WEBHOOK_BODY_LIMIT = 256 * KIB  # Stripe's events are well under this
KICK_WEBHOOK_PATH = routes.KICK_WEBHOOK
KICK_WEBHOOK_BODY_LIMIT = 64 * KIB  # a chat message is at most a few KB, a gift of 100 subs ~20 KB
UPLOAD_PATH = "/_upload"
# The largest upload form: a competition's pictures (up to MAX_IMAGES at a time) or a winner's
# video, plus room for the multipart headers.
LARGEST_UPLOAD = (
    max(pictures.MAX_IMAGES * uploads.MAX_PROOF_BYTES, winner_media.MAX_VIDEO_BYTES) + MIB
)
SIGN_IN_TO_UPLOAD = "Sign in to upload files, then try again."


def is_upload(scope: Scope) -> bool:
    return scope.get("method") == "POST" and scope["path"].rstrip("/") == UPLOAD_PATH


def body_limit(scope: Scope) -> int | None:
    """The most bytes this request's body may carry; None for requests this does not guard."""
    if scope["type"] != "http":
        return None
    if scope["path"] == WEBHOOK_PATH:
        return WEBHOOK_BODY_LIMIT
    if scope["path"] == KICK_WEBHOOK_PATH:
        return KICK_WEBHOOK_BODY_LIMIT
    if scope["path"].startswith("/api/"):
        return API_BODY_LIMIT
    return LARGEST_UPLOAD if is_upload(scope) else None


def too_large(limit: int) -> str:
    size = f"{limit // MIB} MB" if limit >= MIB else f"{limit // KIB} KB"
    return f"That request is too large: send at most {size} at a time."


def _signed_in(cookie_header: str) -> bool:
    token = session_token_from_cookie_header(cookie_header)
    if token is None:
        return False
    with session_scope() as s:
        return accounts.user_for_session(s, token) is not None


class BodyLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = body_limit(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if is_upload(scope):
            try:
                allowed = await run_in_threadpool(_signed_in, headers.get("cookie", ""))
            except UNAVAILABLE:
                await error(DATABASE_UNAVAILABLE, 503)(scope, receive, send)
                return
            if not allowed:
                await error(SIGN_IN_TO_UPLOAD, 401)(scope, receive, send)
                return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error(too_large(limit), 413)(scope, receive, send)
            return
        await self._capped(limit, scope, receive, send)

    async def _capped(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        over = started = False

        async def capped_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app answers once cut off, the 413 goes instead
                return
            started = True
            await send(message)

        try:
            await self.app(scope, capped_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await error(too_large(limit), 413)(scope, receive, send)

"""POST /api/kick/webhook: Kick's signed events, kept in the inbox (community/inbox.py) and
answered at once; processing happens after (the kick_inbox job).

A plain function: Starlette runs it in a worker thread, so the RSA check and the database insert
never hold up the event loop; the body is read once, from that thread, capped by api/body_limits."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from anyio import from_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import error, json_errors
from luckyclub.community import inbox
from luckyclub.core.db import session_scope
from luckyclub.integrations import kick
from luckyclub.models import utcnow

log = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(minutes=10)  # Kick sets none; older deliveries are refused
CLOCK_SKEW = timedelta(minutes=1)  # how far ahead of our clock a timestamp may be
MAX_ID = 64  # the inbox's columns

MISSING_HEADERS = "Kick-Event-Message-Id, -Message-Timestamp, -Signature and -Type are required."
BAD_SIGNATURE = "The signature does not match Kick's key."
STALE = "The event's timestamp is more than 10 minutes old (or in the future): refused."
BAD_BODY = "The event's body is not UTF-8 JSON text, or its id or type is too long."
NO_KEY = "Kick's public key is unavailable just now; send the event again later."


def _refused(message: str, status: int) -> JSONResponse:
    return error(message, status)


def _timestamp(raw: str) -> datetime | None:
    """RFC 3339 (Kick writes `2025-01-14T16:08:06Z`) as an aware datetime; None if it is not."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


@json_errors
def kick_webhook(request: Request) -> Response:
    """POST /api/kick/webhook: 401 unless Kick signed it; 400 when it is too old; else stored in
    the inbox (a redelivery changes nothing) and 200, before any processing."""
    headers = request.headers
    message_id = headers.get("kick-event-message-id", "")
    stamp = headers.get("kick-event-message-timestamp", "")
    signature = headers.get("kick-event-signature", "")
    event_type = headers.get("kick-event-type", "")
    if not (message_id and stamp and signature and event_type):
        return _refused(MISSING_HEADERS, 401)
    body: bytes = from_thread.run(request.body)  # capped by api/body_limits.py
    try:
        signed = kick.verify_signature(message_id, stamp, body, signature)
    except kick.KickUnavailable as exc:
        log.warning("Kick webhook: no public key to check with (%s)", exc)
        response = _refused(NO_KEY, 503)
        response.headers["Retry-After"] = "60"
        return response
    if not signed:
        log.info("Kick webhook: bad signature on message %s", message_id[:MAX_ID])
        return _refused(BAD_SIGNATURE, 401)
    sent_at, now = _timestamp(stamp), utcnow()
    if sent_at is None or sent_at < now - REPLAY_WINDOW or sent_at > now + CLOCK_SKEW:
        return _refused(STALE, 400)
    version = headers.get("kick-event-version", "1")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refused(BAD_BODY, 400)
    if len(message_id) > MAX_ID or len(event_type) > MAX_ID or len(version) > 8:
        return _refused(BAD_BODY, 400)
    with session_scope() as s:
        stored = inbox.store(
            s,
            message_id,
            event_type,
            text,
            sent_at,
            subscription_id=headers.get("kick-event-subscription-id", "")[:MAX_ID],
            event_version=version,
        )
    return JSONResponse({"received": True, "duplicate": not stored})

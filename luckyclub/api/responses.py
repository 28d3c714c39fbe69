"""How the JSON API answers: errors as {"error": sentence}, cacheable bodies with an ETag, ids and
times written one way."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub import routes

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on our side. Try again in a minute."


def error(message: str, status: int) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


class BadId(Exception):
    """A path or query id that is not a whole number; the message says which."""


def whole_id(raw: str | None, words: str) -> int | None:
    """ "12" → 12; an id too big to exist → None (not found); anything else raises BadId."""
    if not routes.is_whole_number(raw):
        raise BadId(f"{words} is a whole number, like 12.")
    return routes.whole_id(raw)


def iso(moment: datetime | None) -> str | None:
    """2026-05-01T18:00:00Z: UTC, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cacheable(request: Request, payload: object, *, max_age: int) -> Response:
    """A public JSON body shared caches may keep for max_age seconds; a client that sends the
    ETag it has gets 304 Not Modified instead of the same body again."""
    response = JSONResponse(payload)
    etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def _matches(if_none_match: str, etag: str) -> bool:
    # GET compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    sent = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in sent or etag in sent


def json_errors(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Whatever goes wrong inside, the caller gets a JSON sentence, never a traceback."""

    @functools.wraps(handler)
    def answer(request: Request) -> Response:
        try:
            return handler(request)
        except BadId as exc:
            return error(str(exc), 400)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return error(SOMETHING_WENT_WRONG, 500)

    return answer

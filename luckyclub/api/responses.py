"""How the JSON API answers: errors as {"error": sentence}, cacheable bodies with an ETag, ids and
times written one way."""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.core import routes

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on our side. Try again in a minute."
DATABASE_UNAVAILABLE = (
    "LuckyClub cannot reach its database just now. Nothing was changed; try again in a minute."
)
# What the driver raises when the database cannot be reached or answered (refused, down, locked,
# no connection free in the pool), as opposed to a bug in a query.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)

_Route = TypeVar("_Route", bound=Callable)


def error(message: str, status: int, *, key: str = "error") -> JSONResponse:
    """A JSON error sentence; `key` is "message" only for the older routes that documented it."""
    return JSONResponse({key: message}, status_code=status, headers={"Cache-Control": "no-store"})


class BodyTooLarge(Exception):
    """Raised while a body is read, once it passes its cap (api/body_limits answers 413)."""


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


def json_errors(handler: Callable | None = None, *, key: str = "error") -> Callable:
    """Whatever goes wrong inside, the caller gets a JSON sentence, never a traceback: a bad id is
    a 400, an unreachable database a 503, anything else a logged 500. For plain and async routes;
    `@json_errors(key="message")` for the older routes whose errors say {"message": …}."""
    if handler is None:
        return functools.partial(json_errors, key=key)

    def failed(request: Request, exc: Exception) -> Response:
        if isinstance(exc, BadId):
            return error(str(exc), 400, key=key)
        if isinstance(exc, UNAVAILABLE):
            log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, exc)
            response = error(DATABASE_UNAVAILABLE, 503, key=key)
            response.headers["Retry-After"] = "60"
            return response
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error(SOMETHING_WENT_WRONG, 500, key=key)

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def answer_async(request: Request) -> Response:
            try:
                return await handler(request)
            except BodyTooLarge:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
                return failed(request, exc)

        return _marked(answer_async)

    @functools.wraps(handler)
    def answer(request: Request) -> Response:
        try:
            return handler(request)
        except BodyTooLarge:  # a plain route reading its body from the thread: the 413 is sent
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a sentence
            return failed(request, exc)

    return _marked(answer)


def _marked(answer: _Route) -> _Route:
    # A function attribute mypy cannot see on a function's type: tests look for it on every route.
    answer.__dict__["json_errors"] = True
    return answer

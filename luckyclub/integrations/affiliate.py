"""A casino affiliate's stats endpoint (Shuffle's shape: `GET <secret url>?startTime=&endTime=` →
a JSON array of `{username, campaignCode, wagerAmount}`, cumulative totals for the window).

The URL is the credential, so no message here ever contains it. Rate limits arrive as HTTP 200
with `{"statusCode": 400, "message": "TOO_MANY_REQUEST"}`: any answer that is not an array is an
error."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import httpx

TIMEOUT_SECONDS = 20
MAX_ROWS_SHOWN = 3  # malformed rows named in one error


class AffiliateError(Exception):
    """The stats could not be read this time; the sentence says why (and never the URL)."""


@dataclass(frozen=True)
class WagerRow:
    username: str
    wagered: Decimal  # the total for the window, in dollars
    campaign_code: str = ""


def fetch_stats(
    url: str, start: datetime, end: datetime, *, timeout: float = TIMEOUT_SECONDS
) -> list[WagerRow]:
    """Every username's total wagered between `start` and `end` (aware datetimes)."""
    if not url:
        raise AffiliateError("No affiliate stats URL is set for this community.")
    params = {"startTime": str(int(start.timestamp())), "endTime": str(int(end.timestamp()))}
    try:
        response = httpx.get(url, params=params, timeout=timeout)
    except httpx.HTTPError as exc:  # its message carries the URL: name only the kind of failure
        raise AffiliateError(
            f"The affiliate stats could not be reached ({type(exc).__name__})."
        ) from exc
    if response.status_code == 429:
        raise AffiliateError(
            "The affiliate stats are rate limited (429); retried at the next poll."
        )
    if response.status_code != 200:
        raise AffiliateError(f"The affiliate stats answered {response.status_code}.")
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AffiliateError(
            "The affiliate stats answered with something that is not JSON."
        ) from exc
    if not isinstance(body, list):
        raise AffiliateError(f"The affiliate stats answered with an error: {_describe(body)}.")
    return _rows(body)


def _describe(body: object) -> str:
    if isinstance(body, dict):
        status, message = body.get("statusCode"), body.get("message")
        if status is not None or message is not None:
            return f"{status} {message}".strip()[:200]
        return "an object instead of a list of rows"
    return f"{type(body).__name__} instead of a list of rows"


def _rows(body: list) -> list[WagerRow]:
    rows: list[WagerRow] = []
    bad: list[str] = []
    for index, item in enumerate(body):
        row = _row(item)
        if row is None:
            bad.append(f"#{index + 1}")
        else:
            rows.append(row)
    if bad:
        shown = ", ".join(bad[:MAX_ROWS_SHOWN]) + (" …" if len(bad) > MAX_ROWS_SHOWN else "")
        raise AffiliateError(
            f"The affiliate stats have {len(bad)} malformed row(s) ({shown}): each needs a "
            "username and a wagerAmount of at least 0."
        )
    return rows


def _row(item: object) -> WagerRow | None:
    if not isinstance(item, dict):
        return None
    username, amount = item.get("username"), item.get("wagerAmount")
    if not isinstance(username, str) or not username.strip():
        return None
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal | str):
        return None
    try:
        wagered = Decimal(amount)
    except (InvalidOperation, ValueError):
        return None
    if not wagered.is_finite() or wagered < 0:
        return None
    code = item.get("campaignCode")
    return WagerRow(username.strip(), wagered, code if isinstance(code, str) else "")

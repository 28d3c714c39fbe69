"""A member's own data over HTTP: their ledger as CSV, for their records or a spreadsheet."""

from __future__ import annotations

import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import json_errors
from luckyclub.club import ledger, raffles
from luckyclub.core import safe_csv
from luckyclub.core.db import session_scope
from luckyclub.platform import accounts
from luckyclub.state.session import session_token_from_cookie_header

CSV_COLUMNS = ["when_utc", "raffle_month", "raffle", "source", "entries", "reason"]


def signed_in_user(session, request: Request):
    """The user behind the request's session cookie, or None."""
    token = session_token_from_cookie_header(request.headers.get("cookie", ""))
    return accounts.user_for_session(session, token)


def sign_in_first() -> JSONResponse:
    return JSONResponse({"message": "Sign in to see this."}, status_code=401)


# A plain function: Starlette runs it in a worker thread, so the database calls do not block.
@json_errors(key="message")
def my_ledger_csv(request: Request) -> Response:
    with session_scope() as s:
        user = signed_in_user(s, request)
        if user is None:
            return sign_in_first()
        names = {r.id: (r.month, r.title) for r in raffles.list_raffles(s, limit=10_000)}
        out = io.StringIO()
        writer = safe_csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for row in reversed(ledger.member_rows(s, user.id)):
            month, title = names.get(row.raffle_id, ("", ""))
            writer.writerow(
                [
                    row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    month,
                    title,
                    row.source,
                    row.amount,
                    row.reason,
                ]
            )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="luckyclub-entries.csv"',
            "Cache-Control": "private, no-store",
        },
    )

"""HTTP routes that own the session cookie: only a server response can set an HttpOnly cookie."""

from __future__ import annotations

import json
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from luckyclub.api.responses import json_errors
from luckyclub.core import security
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.platform import accounts
from luckyclub.state.session import SESSION_COOKIE, session_token_from_cookie_header


def _same_origin(request: Request) -> bool:
    """Refuse cross-site POSTs: a browser always sends Origin on them."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _refused(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


@json_errors(key="message")
async def create_session(request: Request) -> Response:
    """POST {"ticket": …}: swap a login ticket from the sign-in page for the session cookie."""
    if not _same_origin(request):
        return _refused("Sign in from LuckyClub's own pages.", 403)
    try:
        ticket = str((await request.json()).get("ticket", ""))
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        return _refused('Send JSON like {"ticket": "..."}.')
    client_ip = security.client_address(
        request.client.host if request.client else "", request.headers.get("x-forwarded-for")
    )
    user_agent = request.headers.get("user-agent", "")

    def exchange() -> tuple[str, datetime]:
        with session_scope() as s:
            return accounts.exchange_login_ticket(
                s, ticket, user_agent=user_agent, client_ip=client_ip
            )

    try:
        # Async to read the JSON body; the database work goes to Starlette's thread pool.
        token, expires_at = await run_in_threadpool(exchange)
    except UserError as exc:
        return _refused(exc.message)
    response = JSONResponse({"ok": True})
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires_at,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
    return response


@json_errors(key="message")
def end_session(request: Request) -> Response:
    """POST: revoke this browser's session and clear its cookie."""
    if not _same_origin(request):
        return _refused("Sign out from LuckyClub's own pages.", 403)
    token = session_token_from_cookie_header(request.headers.get("cookie", ""))
    with session_scope() as s:
        accounts.revoke_session(s, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response

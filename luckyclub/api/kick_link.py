"""The two ends of linking a viewer's Kick account (community/kick_link.py): GET …/start sends the
signed-in viewer to Kick, GET …/callback is where Kick sends them back. Every ending redirects to
the viewer's page with a `kick` outcome (kick_link.MESSAGES), never an error page."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import UNAVAILABLE, json_errors
from luckyclub.community import kick_link
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.integrations import kick
from luckyclub.models import utcnow

log = logging.getLogger(__name__)


def _back(path: str, outcome: str) -> RedirectResponse:
    separator = "&" if "?" in path else "?"
    response = RedirectResponse(f"{path}{separator}{urlencode({'kick': outcome})}", 303)
    response.headers["Cache-Control"] = "no-store"
    return response


@json_errors
def kick_link_start(request: Request) -> Response:
    """GET /api/kick/link/start?return_to=/community/x/me: the signed-in viewer goes to Kick."""
    return_to = kick_link.safe_return(request.query_params.get("return_to"))
    with session_scope() as s:
        user = signed_in_user(s, request)
        if user is None:
            return _back(routes.LOGIN, "signed_out")
        try:
            url = kick_link.start(s, user, return_to=return_to, now=utcnow())
        except UserError:
            return _back(return_to, "off")
    response = RedirectResponse(url, 303)
    response.headers["Cache-Control"] = "no-store"
    return response


@json_errors
def kick_link_callback(request: Request) -> Response:
    """GET /api/kick/link/callback?code=&state= (or ?error=): Kick sends the viewer back here.
    Every ending redirects to the viewer's page with a `kick` outcome, never an error page."""
    query = request.query_params
    now = utcnow()
    try:
        with session_scope() as s:
            user = signed_in_user(s, request)
            if user is None:
                return _back(routes.LOGIN, "signed_out")
            claimed = kick_link.claim(s, user, query.get("state", ""), now=now)
    except UNAVAILABLE:
        return _back(kick_link.DEFAULT_RETURN, "unavailable")
    if claimed is None:
        return _back(kick_link.DEFAULT_RETURN, "expired")
    if query.get("error") or not query.get("code"):
        return _back(claimed.return_to, "denied")
    try:
        account = kick_link.kick_account(query["code"], claimed.verifier)
    except kick.KickRefused as exc:
        log.info("Kick link: %s", exc)
        return _back(claimed.return_to, "refused")
    except kick.KickUnavailable as exc:
        log.warning("Kick link: %s", exc)
        return _back(claimed.return_to, "unavailable")
    except kick.KickNotConfigured:
        return _back(claimed.return_to, "off")
    try:
        with session_scope() as s:
            user = signed_in_user(s, request)
            if user is None:
                return _back(routes.LOGIN, "signed_out")
            kick_link.link(s, user, account, now=now)
    except UserError as exc:
        log.info("Kick link refused for Kick id %s: %s", account.user_id, exc)
        return _back(claimed.return_to, "conflict")
    return _back(claimed.return_to, "linked")

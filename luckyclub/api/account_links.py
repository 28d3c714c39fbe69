"""The two ends of linking a viewer's Kick or Discord account (community/oauth_links.py): GET
…/link/start sends the signed-in viewer to the provider, GET …/link/callback is where the provider
sends them back. Every ending redirects to the viewer's page with an outcome in a query parameter
named after the provider (`kick=linked`, `discord=denied`; the flow's messages), never an error
page. Plain `def` handlers: Starlette runs them in a thread, off the event loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from luckyclub.api.members import signed_in_user
from luckyclub.api.responses import UNAVAILABLE, json_errors
from luckyclub.community import discord_link, kick_link, oauth_links
from luckyclub.community.oauth_links import LinkFlow
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.models import utcnow

log = logging.getLogger(__name__)


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, 303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(flow: LinkFlow[Any], path: str, outcome: str) -> RedirectResponse:
    separator = "&" if "?" in path else "?"
    return _redirect(f"{path}{separator}{urlencode({flow.provider.value: outcome})}")


def link_start(request: Request, flow: LinkFlow[Any]) -> Response:
    """GET …/link/start?return_to=/community/x/me: the signed-in viewer goes to the provider."""
    return_to = oauth_links.safe_return(request.query_params.get("return_to"))
    with session_scope() as s:
        user = signed_in_user(s, request)
        if user is None:
            return _back(flow, routes.LOGIN, "signed_out")
        try:
            url = oauth_links.start(s, flow, user, return_to=return_to, now=utcnow())
        except UserError:
            return _back(flow, return_to, "off")
    return _redirect(url)


def link_callback(request: Request, flow: LinkFlow[Any]) -> Response:
    """GET …/link/callback?code=&state= (or ?error=): the provider sends the viewer back here."""
    query = request.query_params
    now = utcnow()
    try:
        with session_scope() as s:
            user = signed_in_user(s, request)
            if user is None:
                return _back(flow, routes.LOGIN, "signed_out")
            claimed = oauth_links.claim(s, flow.provider, user, query.get("state", ""), now=now)
    except UNAVAILABLE:
        return _back(flow, oauth_links.DEFAULT_RETURN, "unavailable")
    if claimed is None:
        return _back(flow, oauth_links.DEFAULT_RETURN, "expired")
    if query.get("error") or not query.get("code"):
        return _back(flow, claimed.return_to, "denied")
    try:
        account = flow.account(query["code"], claimed.verifier, flow.redirect_uri())
    except tuple(flow.errors) as exc:
        outcome = flow.outcome_of(exc)
        log.info("%s link ended %s: %s", flow.provider.value, outcome, exc)
        return _back(flow, claimed.return_to, outcome)
    try:
        with session_scope() as s:
            user = signed_in_user(s, request)
            if user is None:
                return _back(flow, routes.LOGIN, "signed_out")
            flow.link(s, user, account, now)
    except UserError as exc:
        log.info("%s link of %r refused: %s", flow.provider.value, account, exc)
        return _back(flow, claimed.return_to, "conflict")
    return _back(flow, claimed.return_to, "linked")


def _endpoints(flow: LinkFlow[Any]) -> tuple[Callable[[Request], Response], ...]:
    """The flow's start and callback routes."""

    @json_errors
    def start(request: Request) -> Response:
        return link_start(request, flow)

    @json_errors
    def callback(request: Request) -> Response:
        return link_callback(request, flow)

    return start, callback


kick_link_start, kick_link_callback = _endpoints(kick_link.FLOW)
discord_link_start, discord_link_callback = _endpoints(discord_link.FLOW)

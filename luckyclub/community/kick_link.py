"""Linking a viewer's Kick account by OAuth 2.1 with PKCE (the shared steps: oauth_links.py): the
Kick id Kick names is linked by identities.link_kick."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from luckyclub.community import identities, oauth_links
from luckyclub.core import routes
from luckyclub.integrations import kick
from luckyclub.models import User
from luckyclub.models.community import LinkProvider

MESSAGES = oauth_links.messages(
    "Kick", linked="Your Kick account is linked: tickets it earns now count for you."
)


def kick_account(code: str, verifier: str, redirect_uri: str) -> kick.KickUser:
    """Exchange the code with the verifier and ask Kick whose it is (network; no session open)."""
    token = kick.exchange_code(code, verifier=verifier, redirect_uri=redirect_uri)
    return kick.current_user(token)


def link(session: Session, user: User, account: kick.KickUser, now: datetime) -> None:
    identities.link_kick(session, user, account.user_id, account.name, now)


FLOW = oauth_links.LinkFlow(
    provider=LinkProvider.KICK,
    callback_path=routes.KICK_LINK_CALLBACK,
    messages=MESSAGES,
    enabled=lambda settings: settings.kick_enabled,
    authorize_url=kick.authorize_url,
    account=kick_account,
    link=link,
    errors={
        kick.KickRefused: "refused",
        kick.KickUnavailable: "unavailable",
        kick.KickNotConfigured: "off",
    },
)

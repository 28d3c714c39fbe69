"""Linking a viewer's Kick account by OAuth 2.1 with PKCE: an attempt (state + verifier, kept here,
bound to the signed-in account) is started, Kick sends the viewer back with a code and the state,
the state is used once, the code is exchanged with the verifier, and the Kick id Kick names is
linked by identities.link_kick. The routes (api/kick.py) only carry cookies and redirects.

Every way it can end has a short code the viewer's page turns into a sentence (MESSAGES)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from luckyclub.community import identities
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import kick
from luckyclub.models import User
from luckyclub.models.community import LinkAttempt, LinkProvider

ATTEMPT_LIFETIME = timedelta(minutes=10)
DEFAULT_RETURN = routes.DASHBOARD

# What the viewer's page says after the callback, by the `kick` query parameter it comes back with.
MESSAGES = {
    "linked": "Your Kick account is linked: tickets it earns now count for you.",
    "denied": "Kick linking was cancelled at Kick: nothing was linked. Try again when you like.",
    "expired": "That Kick link request has expired or was already used. Start again from here.",
    "unavailable": "Kick could not be reached just now: nothing was linked. Try again in a minute.",
    "refused": "Kick did not accept that sign-in: nothing was linked. Start again from here.",
    "off": "Linking Kick is not set up on this site yet. Ask the community's moderators.",
    "conflict": (
        "That Kick account is linked to another LuckyClub account, or yours to another Kick "
        "account: nothing changed. Ask the community's moderators if this is wrong."
    ),
    "signed_out": "Sign in first, then link Kick from your community page.",
}


@dataclass(frozen=True)
class Claimed:
    """A link attempt whose state was just used: what finishing it needs."""

    verifier: str
    return_to: str


def redirect_uri() -> str:
    """Where Kick sends the viewer back; registered with the Kick app exactly like this."""
    return f"{get_settings().app_url}{routes.KICK_LINK_CALLBACK}"


def safe_return(path: str | None) -> str:
    """Only a path on this site (no scheme, host or `//`): the link flow is no open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return DEFAULT_RETURN
    if len(path) > 200 or any(ord(c) < 32 for c in path):
        return DEFAULT_RETURN
    return path


def start(session: Session, user: User, *, return_to: str | None, now: datetime) -> str:
    """Keep a new attempt for this account and return Kick's authorize URL to send the viewer to.
    The PKCE verifier stays in the database; Kick sees only its S256 challenge."""
    if not get_settings().kick_enabled:
        raise UserError(MESSAGES["off"])
    assert user.id is not None
    attempt = LinkAttempt(
        provider=LinkProvider.KICK,
        state=kick.new_state(),
        code_verifier=kick.new_code_verifier(),
        user_id=user.id,
        return_to=safe_return(return_to),
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    return kick.authorize_url(
        state=attempt.state, verifier=attempt.code_verifier, redirect_uri=redirect_uri()
    )


def claim(session: Session, user: User, state: str, *, now: datetime) -> Claimed | None:
    """Use the attempt with this state once, if it is this account's and still fresh; None when it
    is unknown, someone else's, expired or already used. One conditional update: two callbacks
    with the same state cannot both get it."""
    if not state or len(state) > 64:
        return None
    row = session.execute(
        update(LinkAttempt)
        .where(
            col(LinkAttempt.state) == state,
            col(LinkAttempt.provider) == LinkProvider.KICK,
            col(LinkAttempt.user_id) == user.id,
            col(LinkAttempt.used_at).is_(None),
            col(LinkAttempt.created_at) > now - ATTEMPT_LIFETIME,
        )
        .values(used_at=now)
        .returning(col(LinkAttempt.code_verifier), col(LinkAttempt.return_to))
    ).first()
    if row is None:
        return None
    return Claimed(verifier=row[0], return_to=safe_return(row[1]))


def kick_account(code: str, verifier: str) -> kick.KickUser:
    """Exchange the code with the verifier and ask Kick whose it is (network; no session open)."""
    token = kick.exchange_code(code, verifier=verifier, redirect_uri=redirect_uri())
    return kick.current_user(token)


def link(session: Session, user: User, account: kick.KickUser, *, now: datetime) -> None:
    identities.link_kick(session, user, account.user_id, account.name, now)

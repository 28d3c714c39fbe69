"""Linking a viewer's outside account (Kick, Discord) by OAuth with PKCE, the parts every provider
shares: an attempt (state + verifier, kept here, bound to the signed-in account) is started, the
provider sends the viewer back with a code and the state, the state is used once, and the code is
exchanged with the verifier. What differs per provider is a LinkFlow (kick_link.FLOW,
discord_link.FLOW); the routes (api/account_links.py) only carry cookies and redirects.

Every way it can end has a short code the viewer's page turns into a sentence (messages())."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import delete, update
from sqlmodel import Session, col

from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import Settings, get_settings
from luckyclub.integrations import oauth
from luckyclub.models import User, id_of
from luckyclub.models.community import LinkAttempt, LinkProvider

ATTEMPT_LIFETIME = timedelta(minutes=10)
KEEP_ATTEMPTS_FOR = timedelta(days=1)  # then prune() deletes them, used or not
DEFAULT_RETURN = routes.DASHBOARD
Account = TypeVar("Account")


def messages(site: str, linked: str) -> dict[str, str]:
    """What the viewer's page says after the callback, by the outcome it comes back with."""
    nothing = "nothing was linked"
    return {
        "linked": linked,
        "denied": f"{site} linking was cancelled at {site}: {nothing}. Try again when you like.",
        "expired": f"That {site} link request has expired or was already used. Start again here.",
        "unavailable": f"{site} could not be reached just now: {nothing}. Try again in a minute.",
        "refused": f"{site} did not accept that sign-in: {nothing}. Start again from here.",
        "off": f"Linking {site} is not set up on this site yet. Ask the community's moderators.",
        "conflict": (
            f"That {site} account is linked to another LuckyClub account, or yours to another "
            f"{site} account: nothing changed. Ask the community's moderators if this is wrong."
        ),
        "signed_out": f"Sign in first, then link {site} from your community page.",
    }


@dataclass(frozen=True)
class LinkFlow(Generic[Account]):
    """What linking one provider's accounts needs: its adapter's calls and the domain's link."""

    provider: LinkProvider  # also the query parameter the outcome comes back in
    callback_path: str  # registered with the provider's app as APP_URL + this, exactly
    messages: Mapping[str, str]
    enabled: Callable[[Settings], bool]
    # (state=, verifier=, redirect_uri=) → the provider's authorize URL with the S256 challenge
    authorize_url: Callable[..., str]
    # (code, verifier, redirect_uri) → the provider's account (network; no session open)
    account: Callable[[str, str, str], Account]
    link: Callable[[Session, User, Account, datetime], object]  # UserError: a conflict
    # The adapter's exceptions, each to the outcome it means ("refused", "unavailable", "off").
    errors: Mapping[type[Exception], str]

    def redirect_uri(self) -> str:
        return f"{get_settings().app_url}{self.callback_path}"

    def outcome_of(self, exc: Exception) -> str:
        return next(outcome for kind, outcome in self.errors.items() if isinstance(exc, kind))


@dataclass(frozen=True)
class Claimed:
    """A link attempt whose state was just used: what finishing it needs."""

    verifier: str
    return_to: str


def safe_return(path: str | None) -> str:
    """Only a path on this site (no scheme, host or `//`): the link flow is no open redirect."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return DEFAULT_RETURN
    if len(path) > 200 or any(ord(c) < 32 for c in path):
        return DEFAULT_RETURN
    return path


def start(
    session: Session, flow: LinkFlow[Account], user: User, *, return_to: str | None, now: datetime
) -> str:
    """Keep a new attempt for this account and return the provider's authorize URL to send the
    viewer to. The PKCE verifier stays in the database; the provider sees only its challenge."""
    if not flow.enabled(get_settings()):
        raise UserError(flow.messages["off"])
    attempt = LinkAttempt(
        provider=flow.provider,
        state=oauth.new_state(),
        code_verifier=oauth.new_code_verifier(),
        user_id=id_of(user),
        return_to=safe_return(return_to),
        created_at=now,
    )
    session.add(attempt)
    session.flush()
    return flow.authorize_url(
        state=attempt.state, verifier=attempt.code_verifier, redirect_uri=flow.redirect_uri()
    )


def claim(
    session: Session, provider: LinkProvider, user: User, state: str, *, now: datetime
) -> Claimed | None:
    """Use the provider's attempt with this state once, if it is this account's and still fresh;
    None when it is unknown, another provider's or account's, expired or already used. One
    conditional update: two callbacks with the same state cannot both get it."""
    if not state or len(state) > 64:
        return None
    row = session.execute(
        update(LinkAttempt)
        .where(
            col(LinkAttempt.state) == state,
            col(LinkAttempt.provider) == provider,
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


def prune(session: Session, now: datetime) -> int:
    """Delete every provider's attempts older than a day (long expired, used or not); how many."""
    statement = delete(LinkAttempt).where(col(LinkAttempt.created_at) < now - KEEP_ATTEMPTS_FOR)
    return session.exec(statement).rowcount

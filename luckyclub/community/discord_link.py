"""Which LuckyClub account a Discord user is: one Discord id per account, one account per id.
A viewer links from their community page through Discord's OAuth2 with PKCE (scope identify; the
shared steps: oauth_links.py, FLOW below) and may unlink there; the identity row stays, unlinked,
as Kick's do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.community import oauth_links
from luckyclub.core import routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.integrations import discord
from luckyclub.models import DiscordIdentity, User, id_of, utcnow
from luckyclub.models.community import LinkProvider
from luckyclub.platform import changes

MESSAGES = oauth_links.messages(
    "Discord",
    linked="Your Discord account is linked: the raffle's Discord commands now know it is you.",
)


def link_discord(
    session: Session,
    user: User,
    discord_user_id: int,
    username: str,
    now: datetime | None = None,
) -> DiscordIdentity:
    """Link the account to this Discord id. Linking the same pair again refreshes the name;
    another account's id, or a second id for this account, is refused as a sentence."""
    if user.banned_at is not None:
        raise NotAllowed("This account is suspended, so it cannot link Discord.")
    if discord_user_id <= 0:
        raise ValueError("Discord user ids are positive")
    now = now or utcnow()
    identity = identity_of(session, discord_user_id)
    if identity is not None and identity.user_id not in (None, user.id):
        raise UserError(
            "That Discord account is linked to another LuckyClub account. If it is yours, ask a "
            "moderator to move it."
        )
    mine = discord_of(session, id_of(user))
    if mine is not None and mine.discord_user_id != discord_user_id:
        raise UserError(
            f"Your account is linked to the Discord account {mine.username or mine.discord_user_id}"
            " already: one Discord account per LuckyClub account."
        )
    if identity is None:
        identity = DiscordIdentity(discord_user_id=discord_user_id)
    identity.username = username[:80]
    if identity.user_id is None:
        identity.user_id, identity.linked_at = user.id, now
    session.add(identity)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same id or account was linked a moment ago
        raise UserError("That Discord account was linked a moment ago; try again.") from None
    changes.announce(session, changes.member(id_of(user)))
    return identity


def identity_of(session: Session, discord_user_id: int) -> DiscordIdentity | None:
    return session.exec(
        select(DiscordIdentity).where(DiscordIdentity.discord_user_id == discord_user_id)
    ).first()


def discord_of(session: Session, user_id: int) -> DiscordIdentity | None:
    return session.exec(select(DiscordIdentity).where(DiscordIdentity.user_id == user_id)).first()


def account_of(session: Session, discord_user_id: int) -> User | None:
    """The LuckyClub account linked to this Discord id, if any."""
    identity = identity_of(session, discord_user_id)
    if identity is None or identity.user_id is None:
        return None
    return session.get(User, identity.user_id)


def unlink_discord(session: Session, user: User) -> None:
    """The viewer unlinks their Discord account: Discord commands no longer know them (a Discord
    moderator role stops acting as them too) until an account links it again. The row stays."""
    unlinked = session.exec(
        update(DiscordIdentity)
        .where(col(DiscordIdentity.user_id) == id_of(user))
        .values(user_id=None, linked_at=None)
    ).rowcount
    if not unlinked:
        raise UserError("Your account is not linked to Discord.")
    changes.announce(session, changes.member(id_of(user)))


def discord_account(code: str, verifier: str, redirect_uri: str) -> discord.DiscordUser:
    """Exchange the code with the verifier and ask Discord whose it is (network; no session)."""
    token = discord.exchange_code(code, verifier=verifier, redirect_uri=redirect_uri)
    return discord.current_user(token)


def link(session: Session, user: User, account: discord.DiscordUser, now: datetime) -> None:
    link_discord(session, user, account.user_id, account.username, now)


FLOW = oauth_links.LinkFlow(
    provider=LinkProvider.DISCORD,
    callback_path=routes.DISCORD_LINK_CALLBACK,
    messages=MESSAGES,
    enabled=lambda settings: settings.discord_link_enabled,
    authorize_url=discord.authorize_url,
    account=discord_account,
    link=link,
    errors={
        discord.DiscordRefused: "refused",
        discord.DiscordUnavailable: "unavailable",
        discord.DiscordNotConfigured: "off",
    },
)

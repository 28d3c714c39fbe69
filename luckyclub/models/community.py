"""Community raffles: a streamer's community (a program), its viewers' Kick identities, the events
Kick sends (kept in an inbox before they are processed), chat time, gifted subs, affiliate
usernames and wager polls (docs/community.md).

A community's monthly period is a Raffle of its program, and its tickets are rows of the entry
ledger (models/club.py) like the club's entries; what is here is what earns them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import created_at_field, one_of, timestamp_field


def _kick_id(*, unique: bool = False, nullable: bool = False, index: bool = False):
    """Kick's user ids are integers that may outgrow 32 bits: stored as BIGINT."""
    return Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger, nullable=nullable, unique=unique, index=index),
    )


class Community(SQLModel, table=True):
    """A streamer's community: its program (periods are the program's monthly raffles), its Kick
    channel and how its viewers earn tickets."""

    __tablename__ = "community"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", sa_column_kwargs={"unique": True})
    kick_broadcaster_id: int | None = _kick_id(unique=True, nullable=True)
    # The name of the environment variable holding the affiliate stats URL (the URL is a secret:
    # its UUID is the only credential), "" for none.
    affiliate_source: str = Field(default="", max_length=80)
    prize: str = Field(default="", max_length=200)
    chat_minutes: int = 60  # chat-active minutes ...
    chat_tickets: int = 10  # ... earn this many tickets
    gift_tickets: int = 15  # per gifted sub, to the gifter
    wager_unit: int = 1000  # dollars wagered ...
    wager_tickets: int = 20  # ... earn this many tickets
    auto_draw: bool = False  # draw each period at the reset, without a moderator
    is_live: bool = False  # the channel's stream, as livestream.status.updated last said
    live_since: datetime | None = timestamp_field(nullable=True)
    # The Discord server whose slash commands act on this community, and the name of its role
    # whose holders may use the moderators' commands ("" for none).
    discord_guild_id: int | None = _kick_id(unique=True, nullable=True)
    discord_moderator_role: str = Field(default="", max_length=100)
    # The Discord channel webhook announcements are posted to (a secret: anyone holding it can
    # post there; set by an admin, never shown back), and the least tickets one gift or wager
    # poll must earn to be announced.
    discord_webhook_url: str | None = Field(default=None, max_length=500, repr=False)
    discord_announce_threshold: int = 20
    created_at: datetime = created_at_field()


class DiscordIdentity(SQLModel, table=True):
    """A Discord account (its snowflake id, which never changes) linked to one LuckyClub account."""

    __tablename__ = "discord_identity"

    id: int | None = Field(default=None, primary_key=True)
    discord_user_id: int = _kick_id(unique=True)
    username: str = Field(default="", max_length=80)
    user_id: int | None = Field(
        default=None, foreign_key="app_user.id", sa_column_kwargs={"unique": True}, nullable=True
    )
    linked_at: datetime | None = timestamp_field(nullable=True)


class KickIdentity(SQLModel, table=True):
    """A Kick account, keyed by Kick's immutable user id (a rename follows the id), and the
    LuckyClub account it is linked to, if any."""

    __tablename__ = "kick_identity"

    id: int | None = Field(default=None, primary_key=True)
    kick_user_id: int = _kick_id(unique=True)
    username: str = Field(default="", max_length=80)
    user_id: int | None = Field(
        default=None, foreign_key="app_user.id", sa_column_kwargs={"unique": True}, nullable=True
    )
    linked_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = created_at_field()


class LinkProvider(StrEnum):
    KICK = "kick"
    DISCORD = "discord"


class LinkAttempt(SQLModel, table=True):
    """An OAuth sign-in under way to link a Kick or Discord account: its `state` (used once) and
    PKCE verifier, kept server side and bound to the signed-in account."""

    __tablename__ = "link_attempt"
    __table_args__ = (one_of("provider", LinkProvider),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(default=LinkProvider.KICK, max_length=16)
    state: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    code_verifier: str = Field(max_length=128)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    return_to: str = Field(default="", max_length=200)
    created_at: datetime = created_at_field()
    used_at: datetime | None = timestamp_field(nullable=True)


class HeldTicket(SQLModel, table=True):
    """Tickets earned by a Kick id that no account has linked yet: moved into the ledger when it is
    linked within the period (`released_at`)."""

    __tablename__ = "held_ticket"

    id: int | None = Field(default=None, primary_key=True)
    raffle_id: int = Field(foreign_key="raffle.id", index=True)
    kick_user_id: int = _kick_id(index=True)
    source: str = Field(max_length=16)  # a LedgerSource
    amount: int
    idempotency_key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = created_at_field()
    released_at: datetime | None = timestamp_field(nullable=True)


class KickEvent(SQLModel, table=True):
    """A verified Kick webhook delivery, stored before it is answered and processed after: a crash
    between the two loses nothing, and a replay (the same message id) is refused by the index."""

    __tablename__ = "kick_event"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    subscription_id: str = Field(default="", max_length=64)
    event_type: str = Field(max_length=64)
    event_version: str = Field(default="1", max_length=8)
    sent_at: datetime = timestamp_field()  # Kick-Event-Message-Timestamp
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    received_at: datetime = created_at_field()
    processed_at: datetime | None = timestamp_field(nullable=True, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class ChatPresence(SQLModel, table=True):
    """When a viewer last chatted in a community's channel: who counts as chat-active."""

    __tablename__ = "chat_presence"
    __table_args__ = (sa.UniqueConstraint("community_id", "kick_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    kick_user_id: int = _kick_id()
    last_chat_at: datetime = timestamp_field(index=True)


class ChatMinute(SQLModel, table=True):
    """One chat-active minute a viewer earned (at most one per viewer per minute)."""

    __tablename__ = "chat_minute"
    __table_args__ = (sa.UniqueConstraint("community_id", "kick_user_id", "minute"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    kick_user_id: int = _kick_id()
    minute: datetime = timestamp_field(index=True)  # the minute's start, UTC
    converted: bool = False  # counted in an hour's conversion to tickets


class ChatCarry(SQLModel, table=True):
    """A viewer's chat-active minutes not yet worth a whole block of tickets, in one period."""

    __tablename__ = "chat_carry"
    __table_args__ = (sa.UniqueConstraint("raffle_id", "kick_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    raffle_id: int = Field(foreign_key="raffle.id", index=True)
    kick_user_id: int = _kick_id()
    minutes: int = 0


class ExcludedViewer(SQLModel, table=True):
    """A Kick account a moderator excluded from earning (a bot), with the reason."""

    __tablename__ = "excluded_viewer"
    __table_args__ = (sa.UniqueConstraint("community_id", "kick_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    kick_user_id: int = _kick_id()
    reason: str = Field(max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()


class KickGift(SQLModel, table=True):
    """A gifted-subs event, once: unique by Kick's message id and by its content (gifter, time,
    sorted giftees), since Kick redelivers one gift under new ids. A moderator may reverse it (a
    failed payment) with a reason."""

    __tablename__ = "kick_gift"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    raffle_id: int = Field(foreign_key="raffle.id", index=True)
    message_id: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    content_key: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    gifter_kick_id: int | None = _kick_id(nullable=True, index=True)
    gifter_name: str = Field(default="", max_length=80)
    giftees: int = 0
    tickets: int = 0
    gifted_at: datetime = timestamp_field()
    reversed_at: datetime | None = timestamp_field(nullable=True)
    reversed_reason: str | None = Field(default=None, max_length=500)
    reversed_by: int | None = Field(default=None, foreign_key="app_user.id")


class ClaimStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class AffiliateClaim(SQLModel, table=True):
    """A viewer's claim to an affiliate username (the stats have no ids), for a moderator to
    verify."""

    __tablename__ = "affiliate_claim"
    __table_args__ = (one_of("status", ClaimStatus),)

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    username: str = Field(max_length=80, index=True)  # as the viewer typed it
    username_key: str = Field(max_length=80, index=True)  # lower-cased, for one viewer per name
    status: str = Field(default=ClaimStatus.PENDING, max_length=16)
    reason: str = Field(default="", max_length=500)
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = created_at_field()


class WagerPoll(SQLModel, table=True):
    """One poll of a community's affiliate stats, and what came of it."""

    __tablename__ = "wager_poll"

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    raffle_id: int = Field(foreign_key="raffle.id", index=True)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    ok: bool = False
    rows: int = 0  # usernames in the answer
    credited: int = 0  # tickets this poll credited
    detail: str = Field(default="", max_length=500)  # the error, in words, when not ok

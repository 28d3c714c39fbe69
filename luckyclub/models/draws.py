"""Verifiable draws of every mode: a draw per pool, its frozen snapshot, its winners."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import created_at_field, one_of, timestamp_field


class DrawStatus(StrEnum):
    SCHEDULED = "scheduled"  # entries open; only the commitment is public
    CLOSED = "closed"  # snapshot frozen and published; waiting for the bound beacon round
    WAITING_FOR_BEACON = "waiting_for_beacon"  # the round is due but no relay gave it yet
    DRAWN = "drawn"  # winners chosen; the seed is public
    VOID = "void"  # cancelled (with a reason) or nobody to draw; the seed is public


POOL_KINDS = ("weighted", "tickets", "lottery")  # the engine's snapshot kinds (draws/snapshot.py)


class DrawTrigger(StrEnum):
    SCHEDULED = "scheduled"
    ADMIN = "admin"
    OVERRIDE = "manual_override"


class Draw(SQLModel, table=True):
    """One pool's draw, from commitment to winners: everything its public proof is built from.

    A pool is named by (mode, source id): the raffle, competition, … whose entries it draws from.
    Which table the source id points into is the mode's business (its registered Pool), so a new
    mode needs no new column here."""

    __tablename__ = "draw"
    __table_args__ = (
        sa.UniqueConstraint("mode", "source_id"),
        one_of("status", DrawStatus),
        one_of("trigger", DrawTrigger),
        one_of("kind", POOL_KINDS),
    )

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(max_length=16)  # raffle, competition (later: lottery, community)
    source_id: int  # the raffle's, competition's, … id within its mode
    pool_id: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    kind: str = Field(max_length=16)  # the engine's pool kind: weighted, tickets, lottery
    distinct_winners: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    title: str = Field(max_length=160)
    prize: str = Field(max_length=200)
    winners_wanted: int = 1
    status: str = Field(default=DrawStatus.SCHEDULED, max_length=24, index=True)
    draw_at: datetime = timestamp_field(index=True)  # when entries close and the draw falls due
    seed: str = Field(max_length=64)  # hex; secret until the draw is drawn or void
    commitment: str = Field(max_length=64)  # SHA-256 of the seed, public from the start
    use_beacon: bool = True
    beacon_margin_seconds: int = 10
    closed_at: datetime | None = timestamp_field(nullable=True)  # whole seconds
    snapshot_digest: str | None = Field(default=None, max_length=64)
    merkle_root: str | None = Field(default=None, max_length=64)
    entrant_count: int = 0
    entry_count: int = Field(default=0, sa_type=sa.BigInteger)
    beacon_round: int | None = Field(default=None, sa_type=sa.BigInteger)
    beacon_randomness: str | None = Field(default=None, max_length=64)
    beacon_signature: str | None = Field(default=None, max_length=96)
    no_beacon_reason: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    attempts: int = 0
    last_problem: str | None = Field(default=None, max_length=500)
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = timestamp_field(nullable=True)
    trigger: str | None = Field(default=None, max_length=24)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    reason: str | None = Field(default=None, max_length=500)  # override or void reason
    result: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))  # JSON
    # The engine's parameters as frozen at close, for pools whose terms live in their source and
    # may change until then (a signup lottery's elements, spots and groups); JSON, else None.
    parameters: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    drawn_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = created_at_field()


class DrawSnapshot(SQLModel, table=True):
    """The frozen snapshot bytes of a closed draw (tens of MB for a million entrants)."""

    __tablename__ = "draw_snapshot"

    draw_id: int = Field(foreign_key="draw.id", primary_key=True)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class WinnerStatus(StrEnum):
    NOTIFIED = "notified"  # drawn and emailed
    CONTACTED = "contacted"  # an admin reached them
    DELIVERED = "delivered"  # the prize has arrived
    REPLACED = "replaced"  # unreachable or disqualified: a reroll drew someone else


class DrawWinner(SQLModel, table=True):
    """A winner of a draw: place `position`, from the draw itself (reroll 0) or its N-th reroll."""

    __tablename__ = "draw_winner"
    __table_args__ = (
        sa.UniqueConstraint("draw_id", "reroll", "position"),
        one_of("status", WinnerStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draw.id", index=True)
    position: int = 1
    reroll: int = 0
    # ticket index (weighted) or number (tickets); None when an admin chose the winner
    ticket: int | None = Field(default=None, sa_type=sa.BigInteger)
    entrant_ref: str = Field(max_length=64)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    element: str | None = Field(default=None, max_length=200)  # a lottery's: the spot's element
    status: str = Field(default=WinnerStatus.NOTIFIED, max_length=16)
    replaced_reason: str | None = Field(default=None, max_length=500)
    contacted_at: datetime | None = timestamp_field(nullable=True)
    delivered_at: datetime | None = timestamp_field(nullable=True)
    published_at: datetime | None = timestamp_field(nullable=True, index=True)
    # Competitions: what the admin adds for the champions page (a manual winner's name, a quote),
    # and a photo or video of the winner, stored privately like proofs until published.
    details: str = Field(default="", max_length=1000, sa_column_kwargs={"server_default": ""})
    # The winner's own consent, given on their dashboard, to be named on Champions and the draw's
    # pages; without it they are "Member #<id>" there.
    show_name: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    media_name: str | None = Field(default=None, max_length=80)
    media_type: str | None = Field(default=None, max_length=40)
    created_at: datetime = created_at_field()

"""The members' raffle club: raffles, the entry ledger and its sums, memberships, proofs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import UTCDateTime, created_at_field, one_of, timestamp_field, utcnow


class RaffleStatus(StrEnum):
    DRAFT = "draft"  # being prepared; members do not see it
    OPEN = "open"  # members earn entries until closes_at
    CLOSED = "closed"  # no more entries; waiting for its draw


class Raffle(SQLModel, table=True):
    """One month's prize draw of a program. One raffle per month in each program."""

    __tablename__ = "raffle"
    __table_args__ = (
        sa.UniqueConstraint("program_id", "month"),
        one_of("status", RaffleStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    month: str = Field(max_length=7)  # "2026-11"
    title: str = Field(max_length=120)
    prize: str = Field(max_length=200)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    image_name: str | None = Field(default=None, max_length=80)  # in data_dir/raffle-images
    base_entries: int = 15
    carry_over_percent: int = 0  # 0 = entries do not carry over to the next month
    winners: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # drawn at close
    closes_at: datetime = timestamp_field()
    status: str = Field(default=RaffleStatus.DRAFT, max_length=16, index=True)
    created_at: datetime = created_at_field()


class LedgerSource(StrEnum):
    BASE = "base"
    PROOF = "proof"
    BONUS = "bonus"
    ADMIN = "admin"
    WATCHTIME = "watchtime"
    GIFTED_SUB = "gifted_sub"
    WAGER = "wager"
    CARRY_OVER = "carry_over"
    CORRECTION = "correction"
    REMOVAL = "removal"  # a moderator took tickets away (negative, with a reason)
    REVERSAL = "reversal"  # a credit undone, e.g. a gift whose payment failed (negative)


class EntryLedger(SQLModel, table=True):
    """One change to a member's entries in one raffle. Append-only: balances are sums of rows."""

    __tablename__ = "entry_ledger"
    __table_args__ = (
        sa.Index("ix_entry_ledger_raffle_user", "raffle_id", "user_id"),
        one_of("source", LedgerSource),
    )

    id: int | None = Field(default=None, primary_key=True)
    raffle_id: int = Field(foreign_key="raffle.id")
    user_id: int = Field(foreign_key="app_user.id", index=True)
    source: str = Field(max_length=16)
    amount: int
    # What the credit answers to (invoice, proof, grant…): a replay finds it taken, credits nothing.
    idempotency_key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    reason: str = Field(default="", max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )


class EntryBalance(SQLModel, table=True):
    """A member's entries in a raffle: the sum of their ledger rows, kept in the same transaction
    as each row (and rebuildable from the ledger), so odds and leaderboards need no full scan."""

    __tablename__ = "entry_balance"
    __table_args__ = (
        sa.CheckConstraint("held >= 0", name="held_not_negative"),
        # Read backwards for the leaderboard (most entries first; ties by an incremental sort).
        sa.Index("ix_entry_balance_raffle_held", "raffle_id", "held", "user_id"),
    )

    raffle_id: int = Field(foreign_key="raffle.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    held: int = 0


class RaffleTotal(SQLModel, table=True):
    """All entries in a raffle and how many members hold any, kept like EntryBalance."""

    __tablename__ = "raffle_total"

    raffle_id: int = Field(foreign_key="raffle.id", primary_key=True)
    entries: int = 0
    entrants: int = 0


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"  # payment failed or subscription ended; earned entries stay


class Membership(SQLModel, table=True):
    """A member's paid club membership, as Stripe last told us."""

    __tablename__ = "membership"
    __table_args__ = (one_of("status", MembershipStatus),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", sa_column_kwargs={"unique": True})
    status: str = Field(default=MembershipStatus.LAPSED, max_length=16, index=True)
    stripe_customer_id: str | None = Field(default=None, max_length=100, index=True)
    stripe_subscription_id: str | None = Field(default=None, max_length=100, index=True)
    current_period_end: datetime | None = timestamp_field(nullable=True)
    # Stripe's `created` of the last event that set the status: older events arriving late lose.
    status_changed_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = created_at_field()


class ProofKind(SQLModel, table=True):
    """Something a member can prove for bonus entries, e.g. "Shared the raffle on social media"."""

    __tablename__ = "proof_kind"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    entries: int = 1
    monthly_limit: int = 1  # per member, per raffle
    active: bool = True
    created_at: datetime = created_at_field()


class ProofStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProofUpload(SQLModel, table=True):
    """A member's uploaded proof, stored privately under a random name, and its review."""

    __tablename__ = "proof_upload"
    __table_args__ = (one_of("status", ProofStatus),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    raffle_id: int = Field(foreign_key="raffle.id", index=True)
    kind_id: int = Field(foreign_key="proof_kind.id")
    note: str = Field(default="", max_length=1000)
    stored_name: str = Field(max_length=80, sa_column_kwargs={"unique": True}, nullable=False)
    original_name: str = Field(max_length=255)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64, index=True)
    perceptual_hash: str | None = Field(default=None, max_length=32)
    duplicate_note: str = Field(default="", max_length=500)  # shown to the reviewer
    status: str = Field(default=ProofStatus.PENDING, max_length=16, index=True)
    reject_reason: str = Field(default="", max_length=500)
    reviewed_by: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_at: datetime | None = timestamp_field(nullable=True)
    created_at: datetime = created_at_field()

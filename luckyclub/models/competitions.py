"""Prize competitions: the competition, its orders and numbered tickets, members' play limits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import UTCDateTime, created_at_field, one_of, timestamp_field, utcnow


class CompetitionStatus(StrEnum):
    DRAFT = "draft"  # being prepared (or deactivated); the public does not see it
    ACTIVE = "active"  # published: upcoming before starts_at, on sale until ends_at, then ended
    DRAWN = "drawn"  # winners chosen; locked
    CANCELLED = "cancelled"  # called off; every paid order refunded


class Competition(SQLModel, table=True):
    """A prize sold as numbered tickets (1..max_tickets), each with an equal chance."""

    __tablename__ = "competition"
    __table_args__ = (
        sa.CheckConstraint("sold + held <= max_tickets", name="never_oversold"),
        sa.CheckConstraint("sold >= 0 AND held >= 0", name="counts_not_negative"),
        one_of("status", CompetitionStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=120)
    prize: str = Field(max_length=200)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    images: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))  # JSON names
    ticket_price_pence: int
    currency: str = Field(default="gbp", max_length=3)
    max_tickets: int
    sold: int = 0  # numbers handed out (paid or postal, refunded ones included): the next is sold+1
    held: int = 0  # tickets reserved by checkouts still open
    per_person_limit: int = 100
    min_tickets: int = 0  # 0: the draw runs whatever is sold
    starts_at: datetime = timestamp_field()
    ends_at: datetime = timestamp_field(index=True)  # sales close
    draw_at: datetime = timestamp_field()  # the draw falls due (at or after ends_at)
    question: str = Field(max_length=300)
    choices: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    answer_hash: str = Field(max_length=64)  # keyed hash of the right choice; never shown
    winners: int = 1
    distinct_winners: bool = False  # one prize per person when several are drawn
    featured: bool = False
    status: str = Field(default=CompetitionStatus.DRAFT, max_length=16, index=True)
    below_minimum_at: datetime | None = timestamp_field(nullable=True)  # ended short of min_tickets
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class OrderStatus(StrEnum):
    PENDING = "pending"  # checkout open; its tickets are held until expires_at
    PAID = "paid"  # tickets numbered
    EXPIRED = "expired"  # abandoned or timed out; the hold was released
    REFUND_DUE = "refund_due"  # paid, but it cannot (or can no longer) have tickets: refunding
    REFUNDED = "refunded"  # money returned; its tickets, if any, are void
    POSTAL = "postal"  # a free postal entry recorded by an admin


class TicketOrder(SQLModel, table=True):
    """One checkout (or postal entry) for some tickets in one competition."""

    __tablename__ = "ticket_order"
    __table_args__ = (
        sa.Index("ix_ticket_order_competition_user", "competition_id", "user_id"),
        one_of("status", OrderStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    quantity: int
    amount_pence: int
    status: str = Field(default=OrderStatus.PENDING, max_length=16, index=True)
    checkout_id: str | None = Field(
        default=None, max_length=200, sa_column_kwargs={"unique": True}, nullable=True
    )  # Stripe's Checkout Session id (or the test checkout's)
    payment_intent_id: str | None = Field(default=None, max_length=100)
    expires_at: datetime = timestamp_field(index=True)  # the hold lasts until then
    paid_at: datetime | None = timestamp_field(nullable=True)
    fulfilled_by: str | None = Field(default=None, max_length=100)  # event id or "success page"
    refund_reason: str | None = Field(default=None, max_length=500)
    refund_id: str | None = Field(default=None, max_length=100)
    refund_attempts: int = 0
    refund_next_at: datetime | None = timestamp_field(nullable=True)
    refunded_at: datetime | None = timestamp_field(nullable=True)
    postal_name: str | None = Field(default=None, max_length=120)
    postal_address: str | None = Field(default=None, max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")  # who recorded a postal
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )


class TicketStatus(StrEnum):
    ACTIVE = "active"
    REFUNDED = "refunded"
    VOID = "void"


class Ticket(SQLModel, table=True):
    """A numbered ticket: one chance in its competition's draw while active."""

    __tablename__ = "ticket"
    __table_args__ = (
        sa.UniqueConstraint("competition_id", "number"),
        one_of("status", TicketStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id")
    number: int
    order_id: int = Field(foreign_key="ticket_order.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    status: str = Field(default=TicketStatus.ACTIVE, max_length=16)
    created_at: datetime = created_at_field()


class PlayLimits(SQLModel, table=True):
    """A member's responsible-play settings: a monthly spend limit and self-exclusion."""

    __tablename__ = "play_limits"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    monthly_limit_pence: int | None = None  # None: no limit of their own
    # A raise waiting for its 24 hours, from pending_from on; None then: the limit is removed.
    pending_limit_pence: int | None = None
    pending_from: datetime | None = timestamp_field(nullable=True)
    excluded_until: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = created_at_field()

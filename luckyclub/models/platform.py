"""What every mode shares: the outbox, job runs, the audit log, Stripe's events, programs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import UTCDateTime, created_at_field, one_of, timestamp_field, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an admin can send it again


class Channel(StrEnum):
    EMAIL = "email"
    KLAVIYO = "klaviyo"  # an event for Klaviyo's flows (`payload` is the event)
    SMS = "sms"  # a text message through a Twilio-compatible API
    DISCORD = "discord"  # a post to a community's Discord channel webhook (`to_address`: its id)


class OutboxMessage(SQLModel, table=True):
    """A notification waiting to go out, or gone. Written in the transaction that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        one_of("status", OutboxStatus),
        one_of("channel", Channel),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(
        default=Channel.EMAIL, max_length=16, sa_column_kwargs={"server_default": Channel.EMAIL}
    )
    to_address: str = Field(max_length=254, index=True)  # an email address or a phone number
    payload: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))  # JSON
    # SHA-256 of (channel, recipient, event, unique id): one notification of an event per channel.
    dedupe_key: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"unique": True}, nullable=True
    )
    subject: str = Field(max_length=200)
    text_body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    html_body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    template: str = Field(max_length=64)
    # "<filler>:<ref>" while the message holds blanks (mail.blank) that are written in when it is
    # sent, e.g. an order's ticket numbers, known only once the order is numbered; None after.
    fill: str | None = Field(default=None, max_length=100)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
    locked_until: datetime | None = timestamp_field(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = timestamp_field(nullable=True)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: which, when, and how it ended."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field(nullable=True)
    outcome: str = Field(default="running", max_length=16)  # running, ok, error
    detail: str = Field(default="", max_length=1000)


class AuditLog(SQLModel, table=True):
    """Every admin action: who did what to which record, and when (UTC)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = created_at_field()


class StripeEvent(SQLModel, table=True):
    """Each Stripe event handled once: its id is claimed in the same transaction as its effects."""

    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=100)
    received_at: datetime = created_at_field()


class Program(SQLModel, table=True):
    """A series of monthly raffles with one organiser: the members' club (made by a migration), and
    later each streamer's community. A month has at most one raffle per program."""

    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, sa_column_kwargs={"unique": True}, nullable=False)
    name: str = Field(max_length=120)
    created_at: datetime = created_at_field()

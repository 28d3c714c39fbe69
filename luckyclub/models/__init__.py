"""LuckyClub's tables (SQLModel). No Reflex here: services and tests use these directly."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False):
    return Field(
        default=None,
        sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index),
    )


def _created_at():
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False))


# Every constraint gets a predictable name, so migrations can refer to it on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: Iterable[str]) -> sa.CheckConstraint:
    """A CHECK keeping a column to an enum's values, named ck_<table>_<column>: a typo in a status
    written by hand, or a value from code of another version, is refused by the database."""
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=column)


class Role(StrEnum):
    MEMBER = "member"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (one_of("role", Role),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=60)
    date_of_birth: date
    timezone: str = Field(max_length=64, default="UTC")
    role: str = Field(max_length=16, default=Role.MEMBER)
    email_verified_at: datetime | None = _ts(nullable=True)
    banned_at: datetime | None = _ts(nullable=True)
    ban_reason: str | None = Field(default=None, max_length=500)
    show_on_leaderboard: bool = False  # otherwise leaderboards show "Member #<id>"
    phone: str | None = Field(default=None, max_length=20)  # E.164; set only to receive SMS
    created_at: datetime = _created_at()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of its random token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = _created_at()
    expires_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)
    user_agent: str = Field(default="", max_length=300)
    client_ip: str = Field(default="", max_length=64)


class TokenPurpose(StrEnum):
    LOGIN = "login"  # a short-lived ticket a browser exchanges for its HttpOnly session cookie
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class OneTimeToken(SQLModel, table=True):
    """A single-use token for an email link or a browser's login ticket; stored hashed."""

    __tablename__ = "one_time_token"
    __table_args__ = (one_of("purpose", TokenPurpose),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = _created_at()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class LoginThrottle(SQLModel, table=True):
    """Recent counted attempts for one key (a keyed hash): see platform/throttle.py."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = _ts(nullable=True)
    last_failure_at: datetime | None = _ts(nullable=True)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an admin can send it again


class Channel(StrEnum):
    EMAIL = "email"
    KLAVIYO = "klaviyo"  # an event for Klaviyo's flows (`payload` is the event)
    SMS = "sms"  # a text message through a Twilio-compatible API


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
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
    locked_until: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created_at()
    sent_at: datetime | None = _ts(nullable=True)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: which, when, and how it ended."""

    __tablename__ = "job_run"

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64, index=True)
    started_at: datetime = _created_at()
    finished_at: datetime | None = _ts(nullable=True)
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
    created_at: datetime = _created_at()


class ScopedRole(StrEnum):
    """Roles over one thing, granted by a platform admin (who holds every role everywhere).
    Signup lists will add an editor role over a list."""

    MODERATOR = "moderator"  # of a program: runs its raffles and grants entries in them


class Scope(StrEnum):
    PROGRAM = "program"


class RoleGrant(SQLModel, table=True):
    """A member's role over one thing (a program's moderator): rights over that thing only,
    checked by the services (platform/roles.py)."""

    __tablename__ = "role_grant"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "role", "scope", "scope_id"),
        one_of("role", ScopedRole),
        one_of("scope", Scope),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    role: str = Field(max_length=24)
    scope: str = Field(max_length=16)
    scope_id: int
    granted_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _created_at()


# ---- the members' raffle club -------------------------------------------------------------------


class RaffleStatus(StrEnum):
    DRAFT = "draft"  # being prepared; members do not see it
    OPEN = "open"  # members earn entries until closes_at
    CLOSED = "closed"  # no more entries; waiting for its draw


class Program(SQLModel, table=True):
    """A series of monthly raffles with one organiser: the members' club (made by a migration), and
    later each streamer's community. A month has at most one raffle per program."""

    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, sa_column_kwargs={"unique": True}, nullable=False)
    name: str = Field(max_length=120)
    created_at: datetime = _created_at()


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
    closes_at: datetime = _ts()
    status: str = Field(default=RaffleStatus.DRAFT, max_length=16, index=True)
    created_at: datetime = _created_at()


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
    current_period_end: datetime | None = _ts(nullable=True)
    # Stripe's `created` of the last event that set the status: older events arriving late lose.
    status_changed_at: datetime | None = _ts(nullable=True)
    updated_at: datetime = _created_at()


class StripeEvent(SQLModel, table=True):
    """Each Stripe event handled once: its id is claimed in the same transaction as its effects."""

    __tablename__ = "stripe_event"

    id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=100)
    received_at: datetime = _created_at()


class ProofKind(SQLModel, table=True):
    """Something a member can prove for bonus entries, e.g. "Shared the raffle on social media"."""

    __tablename__ = "proof_kind"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    entries: int = 1
    monthly_limit: int = 1  # per member, per raffle
    active: bool = True
    created_at: datetime = _created_at()


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
    reviewed_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created_at()


# ---- verifiable draws (every mode) ---------------------------------------------------------------


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
    draw_at: datetime = _ts(index=True)  # when entries close and the draw falls due
    seed: str = Field(max_length=64)  # hex; secret until the draw is drawn or void
    commitment: str = Field(max_length=64)  # SHA-256 of the seed, public from the start
    use_beacon: bool = True
    beacon_margin_seconds: int = 10
    closed_at: datetime | None = _ts(nullable=True)  # whole seconds
    snapshot_digest: str | None = Field(default=None, max_length=64)
    merkle_root: str | None = Field(default=None, max_length=64)
    entrant_count: int = 0
    entry_count: int = Field(default=0, sa_type=sa.BigInteger)
    beacon_round: int | None = Field(default=None, sa_type=sa.BigInteger)
    beacon_randomness: str | None = Field(default=None, max_length=64)
    beacon_signature: str | None = Field(default=None, max_length=96)
    no_beacon_reason: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    last_problem: str | None = Field(default=None, max_length=500)
    claim_token: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = _ts(nullable=True)
    trigger: str | None = Field(default=None, max_length=24)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    reason: str | None = Field(default=None, max_length=500)  # override or void reason
    result: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))  # JSON
    drawn_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _created_at()


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
    status: str = Field(default=WinnerStatus.NOTIFIED, max_length=16)
    replaced_reason: str | None = Field(default=None, max_length=500)
    contacted_at: datetime | None = _ts(nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)
    published_at: datetime | None = _ts(nullable=True, index=True)
    # Competitions: what the admin adds for the champions page (a manual winner's name, a quote),
    # and a photo or video of the winner, stored privately like proofs until published.
    details: str = Field(default="", max_length=1000, sa_column_kwargs={"server_default": ""})
    # The winner's own consent, given on their dashboard, to be named on Champions and the draw's
    # pages; without it they are "Member #<id>" there.
    show_name: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    media_name: str | None = Field(default=None, max_length=80)
    media_type: str | None = Field(default=None, max_length=40)
    created_at: datetime = _created_at()


# ---- prize competitions ------------------------------------------------------------------------


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
    starts_at: datetime = _ts()
    ends_at: datetime = _ts(index=True)  # sales close
    draw_at: datetime = _ts()  # the draw falls due (at or after ends_at)
    question: str = Field(max_length=300)
    choices: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    answer_hash: str = Field(max_length=64)  # keyed hash of the right choice; never shown
    winners: int = 1
    distinct_winners: bool = False  # one prize per person when several are drawn
    featured: bool = False
    status: str = Field(default=CompetitionStatus.DRAFT, max_length=16, index=True)
    below_minimum_at: datetime | None = _ts(nullable=True)  # ended short of min_tickets
    cancel_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = _created_at()
    updated_at: datetime = _created_at()


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
    expires_at: datetime = _ts(index=True)  # the hold lasts until then
    paid_at: datetime | None = _ts(nullable=True)
    fulfilled_by: str | None = Field(default=None, max_length=100)  # event id or "success page"
    refund_reason: str | None = Field(default=None, max_length=500)
    refund_id: str | None = Field(default=None, max_length=100)
    refund_attempts: int = 0
    refund_next_at: datetime | None = _ts(nullable=True)
    refunded_at: datetime | None = _ts(nullable=True)
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
    created_at: datetime = _created_at()


class PlayLimits(SQLModel, table=True):
    """A member's responsible-play settings: a monthly spend limit and self-exclusion."""

    __tablename__ = "play_limits"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    monthly_limit_pence: int | None = None  # None: no limit of their own
    # A raise waiting for its 24 hours, from pending_from on; None then: the limit is removed.
    pending_limit_pence: int | None = None
    pending_from: datetime | None = _ts(nullable=True)
    excluded_until: datetime | None = _ts(nullable=True)
    updated_at: datetime = _created_at()

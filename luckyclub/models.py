"""LuckyClub's tables (SQLModel). No Reflex here: services and tests use these directly."""

from __future__ import annotations

from datetime import UTC, date, datetime

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


class Role:
    MEMBER = "member"
    ADMIN = "admin"


class User(SQLModel, table=True):
    __tablename__ = "app_user"

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


class TokenPurpose:
    LOGIN = "login"  # a short-lived ticket a browser exchanges for its HttpOnly session cookie
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class OneTimeToken(SQLModel, table=True):
    """A single-use token for an email link or a browser's login ticket; stored hashed."""

    __tablename__ = "one_time_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = _created_at()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins for one account or one client address (the key is a keyed hash)."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = _ts(nullable=True)
    last_failure_at: datetime | None = _ts(nullable=True)


class OutboxStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry; an admin can send it again


class OutboxMessage(SQLModel, table=True):
    """An email waiting to go out, or gone. Written in the transaction that caused it."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254, index=True)
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

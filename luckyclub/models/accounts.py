"""Accounts: members and admins, their sessions, one-time links, sign-in throttles, scoped roles."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import created_at_field, one_of, timestamp_field


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
    email_verified_at: datetime | None = timestamp_field(nullable=True)
    banned_at: datetime | None = timestamp_field(nullable=True)
    ban_reason: str | None = Field(default=None, max_length=500)
    show_on_leaderboard: bool = False  # otherwise leaderboards show "Member #<id>"
    phone: str | None = Field(default=None, max_length=20)  # E.164; set only to receive SMS
    created_at: datetime = created_at_field()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class AuthSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of its random token is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = created_at_field()
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)
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
    created_at: datetime = created_at_field()
    expires_at: datetime = timestamp_field()
    used_at: datetime | None = timestamp_field(nullable=True)


class LoginThrottle(SQLModel, table=True):
    """Recent counted attempts for one key (a keyed hash): see platform/throttle.py."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: datetime | None = timestamp_field(nullable=True)
    last_failure_at: datetime | None = timestamp_field(nullable=True)


class ScopedRole(StrEnum):
    """Roles over one thing, granted by a platform admin (who holds every role everywhere), or
    by a list's creator (its editors)."""

    MODERATOR = "moderator"  # of a program: runs its raffles and grants entries in them
    EDITOR = "editor"  # of a signup list: edits it, sees its signups, runs it as its creator does


class Scope(StrEnum):
    PROGRAM = "program"
    LIST = "list"  # a signup list


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
    created_at: datetime = created_at_field()

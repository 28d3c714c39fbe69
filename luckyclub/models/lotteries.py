"""Signup lists and their lotteries: lists of events or items with spots, the family members an
account signs up, signups, waitlists and lottery entries (docs/lotteries.md).

Everything a person did on a list hangs off the list, its elements and the family member, with
ON DELETE CASCADE: deleting a family member, an element or a list removes their signups, waitlist
places and entries with it (no emails: services delete quietly)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from luckyclub.models.base import created_at_field, one_of, timestamp_field


class ListKind(StrEnum):
    EVENTS = "events"  # each element is a dated event (a date or a date and time, a place)
    ITEMS = "items"  # each element is a thing to bring or do: a name


class ListStatus(StrEnum):
    OPEN = "open"  # people sign up (or enter its lottery)
    CLOSED = "closed"  # its creator closed it: what is held stays, nothing new
    STOPPED = "stopped"  # a platform admin stopped it (with a reason)


class SignupSource(StrEnum):
    DIRECT = "direct"  # signed up while spots remained
    LOTTERY = "lottery"  # won in the list's lottery
    WAITLIST = "waitlist"  # offered from the waitlist when a spot freed


class SignupStatus(StrEnum):
    PENDING = "pending"  # an offer (a lottery win or a waitlist offer) to accept by `expires_at`
    CONFIRMED = "confirmed"


def _cascade(target: str, *, index: bool = True):
    return Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False, index=index
        )
    )


class FamilyMember(SQLModel, table=True):
    """A person an account signs up: the account holder (`is_self`) or someone in their care."""

    __tablename__ = "family_member"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _cascade("app_user.id")
    name: str = Field(max_length=80)
    is_self: bool = False
    created_at: datetime = created_at_field()


class SignupList(SQLModel, table=True):
    """A list people sign up on, first come first served, or by its lottery (chosen at creation,
    for good). Times of its events and its lottery are in `timezone`, the creator's at creation."""

    __tablename__ = "signup_list"
    __table_args__ = (one_of("kind", ListKind), one_of("status", ListStatus))

    id: int | None = Field(default=None, primary_key=True)
    creator_id: int = _cascade("app_user.id")
    title: str = Field(max_length=160)
    description: str = Field(default="", max_length=4000)
    kind: str = Field(max_length=16)
    per_member_limit: int | None = None  # spots one family member may hold on the whole list
    waitlist: bool = False
    families_together: bool = False  # a lottery draws an account's entries to an element as one
    is_lottery: bool = False
    lottery_at: datetime | None = timestamp_field(nullable=True, index=True)  # UTC
    timezone: str = Field(default="UTC", max_length=64)
    status: str = Field(default=ListStatus.OPEN, max_length=16)
    stopped_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ListElement(SQLModel, table=True):
    """An event (a date, maybe a time, maybe a place) or an item (a name) of a list, with spots.
    An event's date and time are wall-clock times in the list's timezone."""

    __tablename__ = "list_element"

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = _cascade("signup_list.id")
    name: str = Field(max_length=160)
    event_date: date | None = None
    event_time: time | None = None
    place: str = Field(default="", max_length=160)
    spots: int = 1
    created_at: datetime = created_at_field()


class Signup(SQLModel, table=True):
    """A family member's spot on an element: confirmed, or pending until accepted by its deadline
    (through `accept_token`, the link in the offer's email)."""

    __tablename__ = "signup"
    __table_args__ = (
        sa.UniqueConstraint("element_id", "family_member_id"),
        one_of("source", SignupSource),
        one_of("status", SignupStatus),
    )

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = _cascade("signup_list.id")
    element_id: int = _cascade("list_element.id")
    family_member_id: int = _cascade("family_member.id")
    user_id: int = _cascade("app_user.id")
    source: str = Field(default=SignupSource.DIRECT, max_length=16)
    status: str = Field(default=SignupStatus.CONFIRMED, max_length=16)
    expires_at: datetime | None = timestamp_field(nullable=True, index=True)  # pending only
    accept_token: str | None = Field(
        default=None, max_length=64, sa_column_kwargs={"unique": True}, nullable=True
    )
    created_at: datetime = created_at_field()
    confirmed_at: datetime | None = timestamp_field(nullable=True)


class WaitlistEntry(SQLModel, table=True):
    """A family member's place in an element's waitlist: the lowest `position` is offered first."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (sa.UniqueConstraint("element_id", "family_member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = _cascade("signup_list.id")
    element_id: int = _cascade("list_element.id")
    family_member_id: int = _cascade("family_member.id")
    user_id: int = _cascade("app_user.id")
    position: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = created_at_field()


class LotteryEntry(SQLModel, table=True):
    """A family member entered in a lottery list's draw for one element."""

    __tablename__ = "lottery_entry"
    __table_args__ = (sa.UniqueConstraint("element_id", "family_member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = _cascade("signup_list.id")
    element_id: int = _cascade("list_element.id")
    family_member_id: int = _cascade("family_member.id")
    user_id: int = _cascade("app_user.id")
    created_at: datetime = created_at_field()

"""What the signup-list tests share: members with a timezone, lists made through the service, the
lottery's draw moved on by hand, and the emails in the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from luckyclub.lotteries import family, lists, phase
from luckyclub.models import (
    Draw,
    DrawStatus,
    FamilyMember,
    ListElement,
    OutboxMessage,
    SignupList,
    User,
    utcnow,
)
from luckyclub.platform import changes, draws
from tests.db.factories import add_user


class _StandInLotteryPool:
    """Only until the lottery's own pool is registered (lotteries/pool.py): enough for a list's
    draw to be scheduled and announced; these tests move its status by hand, and it never
    closes."""

    kind = "lottery"
    title = "Signup lottery"

    def schedule_missing(self, session) -> int:
        return 0

    def blocked(self, session, draw: Draw, now: datetime) -> str | None:
        return "A stand-in pool never closes."

    def topics(self, session, draw: Draw) -> tuple[str, ...]:
        return (changes.signup_list(draw.source_id),)


@pytest.fixture(autouse=True)
def lottery_pool() -> Iterator[None]:
    """The lottery's pool while a test runs (a stand-in until the real one exists); a module
    uses it with `from tests.db.signup_lists import lottery_pool`."""
    if phase.MODE in draws._pools:
        yield
        return
    draws.register_pool(phase.MODE, _StandInLotteryPool())  # type: ignore[arg-type]
    try:
        yield
    finally:
        draws._pools.pop(phase.MODE, None)


def add_person(
    session: Session, email: str, timezone: str = "Europe/London", role: str = "member", **fields
) -> User:
    """A committed account in `timezone`; `fields` set on it (display_name, banned_at, …)."""
    user = add_user(session, email, role)
    user.timezone = timezone
    for name, value in fields.items():
        setattr(user, name, value)
    session.add(user)
    session.commit()
    return user


def self_of(session: Session, user: User) -> FamilyMember:
    member = family.members_of(session, user)[0]
    session.commit()
    return member


def make_list(
    session: Session,
    creator: User,
    *,
    items: tuple[tuple[str, int], ...] = (("Cake", 1),),
    **options,
) -> SignupList:
    """A committed list of items (name, spots), first come first served unless told otherwise."""
    new = lists.NewList(
        title=options.pop("title", "Bake sale"),
        kind="items",
        elements=[lists.NewElement(name=name, spots=spots) for name, spots in items],
        **options,
    )
    made = lists.create(session, creator, new)
    session.commit()
    return made


def elements_of(session: Session, signup_list: SignupList) -> list[ListElement]:
    return lists.ordered_elements(session, signup_list.id)


def local_text(moment: datetime, zone: str = "Europe/London") -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def in_two_days() -> str:
    return local_text(utcnow() + timedelta(days=2))


def set_phase(session: Session, signup_list: SignupList, status: str) -> None:
    """Move the list's lottery on by hand: closed (running) or drawn (done)."""
    draw = phase.draw_of(session, signup_list)
    assert draw is not None
    draw.status = status
    if status == DrawStatus.CLOSED:
        draw.draw_at = utcnow() - timedelta(minutes=1)
    session.add(draw)
    session.commit()


def emails_to(session: Session, address: str, template: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.to_address == address)
    if template:
        query = query.where(OutboxMessage.template == template)
    return list(session.exec(query.order_by(col(OutboxMessage.id))).all())

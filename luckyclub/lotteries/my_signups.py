"""What a member's own pages show: My Signups (their signups, their entries in lotteries not run
yet, their waitlist places) and an offer's page, as frozen plain values. Deadlines are written in
the member's own timezone, lottery times in the list's.

(`signups.my_signups` and `signups.offer_view` are these, under the names the pages call.)"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from luckyclub.core import routes
from luckyclub.core.words import when_in_full
from luckyclub.lotteries import lists, phase
from luckyclub.lotteries.phase import LotteryPhase
from luckyclub.models import (
    FamilyMember,
    ListElement,
    LotteryEntry,
    Signup,
    SignupList,
    SignupStatus,
    User,
    WaitlistEntry,
    id_of,
    utcnow,
)


@dataclass(frozen=True)
class MySignup:
    id: int
    list_id: int
    list_title: str
    element: str
    member_name: str
    status: str  # confirmed | pending
    source: str
    deadline: str  # a pending offer's, in the member's own timezone
    expires_at: datetime | None  # UTC, for a countdown
    accept_token: str  # pending only
    can_cancel: bool
    path: str


@dataclass(frozen=True)
class MyEntry:
    id: int
    element: str
    member_name: str


@dataclass(frozen=True)
class MyLottery:
    list_id: int
    list_title: str
    lottery_when: str  # in the list's zone
    lottery_at: datetime | None
    entries: tuple[MyEntry, ...]
    can_remove: bool  # false while it runs
    path: str


@dataclass(frozen=True)
class MyPlace:
    id: int
    list_id: int
    list_title: str
    element: str
    member_name: str
    position: int
    can_leave: bool
    path: str


@dataclass(frozen=True)
class MySignups:
    signups: tuple[MySignup, ...]  # pending first (they have a deadline), then confirmed
    lotteries: tuple[MyLottery, ...]  # entries in lotteries not run yet, by list
    places: tuple[MyPlace, ...]


@dataclass(frozen=True)
class OfferView:
    """/offers/<token>: a pending spot the viewer may accept or decline."""

    list_id: int
    list_title: str
    element: str
    member_name: str
    deadline: str
    expires_at: datetime | None
    source: str
    is_yours: bool  # the signed-in viewer's own offer
    expired: bool
    path: str


# ---- /my-signups -------------------------------------------------------------------------------


def my_signups(session: Session, user: User, now: datetime | None = None) -> MySignups:
    """A member's signups (offers first, with their deadline), then their entries in lotteries
    not run yet grouped by list, then their waitlist places with their position."""
    now = now or utcnow()
    uid = id_of(user)
    zone = user.timezone
    lists_by_id: dict[int, SignupList] = {}
    labels: dict[int, str] = {}

    def label(signup_list: SignupList, element: ListElement) -> str:
        if id_of(element) not in labels:
            labels[id_of(element)] = lists.element_label(signup_list, element)
        return labels[id_of(element)]

    phases: dict[int, LotteryPhase] = {}

    def phase_of(signup_list: SignupList) -> LotteryPhase:
        list_id = id_of(signup_list)
        if list_id not in phases:
            phases[list_id] = phase.phase_of(session, signup_list, now)
        return phases[list_id]

    rows = session.exec(
        select(Signup, ListElement, SignupList, FamilyMember)
        .join(ListElement, col(ListElement.id) == col(Signup.element_id))
        .join(SignupList, col(SignupList.id) == col(Signup.list_id))
        .join(FamilyMember, col(FamilyMember.id) == col(Signup.family_member_id))
        .where(Signup.user_id == uid)
        .order_by(col(Signup.id))
    ).all()
    my = [
        MySignup(
            id=id_of(s),
            list_id=id_of(lst),
            list_title=lst.title,
            element=label(lst, element),
            member_name=member.name,
            status=s.status,
            source=s.source,
            deadline=when_in_full(s.expires_at, zone) if s.expires_at else "",
            expires_at=s.expires_at,
            accept_token=s.accept_token or "",
            can_cancel=phase_of(lst) != LotteryPhase.RUNNING,
            path=routes.list_page(id_of(lst)),
        )
        for s, element, lst, member in rows
    ]
    my.sort(key=lambda s: (s.status != SignupStatus.PENDING, s.expires_at or now, s.id))

    entry_rows = session.exec(
        select(LotteryEntry, ListElement, SignupList, FamilyMember)
        .join(ListElement, col(ListElement.id) == col(LotteryEntry.element_id))
        .join(SignupList, col(SignupList.id) == col(LotteryEntry.list_id))
        .join(FamilyMember, col(FamilyMember.id) == col(LotteryEntry.family_member_id))
        .where(LotteryEntry.user_id == uid)
        .order_by(col(LotteryEntry.id))
    ).all()
    grouped: dict[int, list[MyEntry]] = defaultdict(list)
    for entry, element, lst, member in entry_rows:
        if phase_of(lst) in (LotteryPhase.OPEN, LotteryPhase.RUNNING):
            lists_by_id[id_of(lst)] = lst
            grouped[id_of(lst)].append(MyEntry(id_of(entry), label(lst, element), member.name))
    lotteries = [
        MyLottery(
            list_id=list_id,
            list_title=lists_by_id[list_id].title,
            lottery_when=when_in_full(
                lists_by_id[list_id].lottery_at, lists_by_id[list_id].timezone
            ),
            lottery_at=lists_by_id[list_id].lottery_at,
            entries=tuple(entries),
            can_remove=phase_of(lists_by_id[list_id]) == LotteryPhase.OPEN,
            path=routes.list_page(list_id),
        )
        for list_id, entries in grouped.items()
    ]
    lotteries.sort(key=lambda lot: (lot.lottery_at or now, lot.list_id))

    place_rows = session.exec(
        select(WaitlistEntry, ListElement, SignupList, FamilyMember)
        .join(ListElement, col(ListElement.id) == col(WaitlistEntry.element_id))
        .join(SignupList, col(SignupList.id) == col(WaitlistEntry.list_id))
        .join(FamilyMember, col(FamilyMember.id) == col(WaitlistEntry.family_member_id))
        .where(WaitlistEntry.user_id == uid)
        .order_by(col(WaitlistEntry.id))
    ).all()
    places = [
        MyPlace(
            id=id_of(place),
            list_id=id_of(lst),
            list_title=lst.title,
            element=label(lst, element),
            member_name=member.name,
            position=_position(session, place),
            can_leave=phase_of(lst) != LotteryPhase.RUNNING,
            path=routes.list_page(id_of(lst)),
        )
        for place, element, lst, member in place_rows
    ]
    return MySignups(tuple(my), tuple(lotteries), tuple(places))


def _position(session: Session, place: WaitlistEntry) -> int:
    ahead = session.exec(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.element_id == place.element_id,
            col(WaitlistEntry.position) < place.position,
        )
    ).one()
    return ahead + 1


# ---- /offers/<token> ---------------------------------------------------------------------------


def offer_view(
    session: Session, token: str, viewer: User | None, now: datetime | None = None
) -> OfferView | None:
    """The pending spot behind an offer's link, or None when it has ended (accepted, declined,
    expired and withdrawn). Only its own account sees whose it is."""
    now = now or utcnow()
    signup = (
        session.exec(select(Signup).where(Signup.accept_token == token)).first() if token else None
    )
    if signup is None or signup.status != SignupStatus.PENDING:
        return None
    signup_list = session.get(SignupList, signup.list_id)
    element = session.get(ListElement, signup.element_id)
    member = session.get(FamilyMember, signup.family_member_id)
    if signup_list is None or element is None or member is None:
        return None
    yours = viewer is not None and viewer.id == signup.user_id
    zone = viewer.timezone if viewer is not None and yours else signup_list.timezone
    return OfferView(
        list_id=id_of(signup_list),
        list_title=signup_list.title,
        element=lists.element_label(signup_list, element),
        member_name=member.name if yours else "",
        deadline=when_in_full(signup.expires_at, zone),
        expires_at=signup.expires_at,
        source=signup.source,
        is_yours=yours,
        expired=signup.expires_at is not None and signup.expires_at <= now,
        path=routes.list_page(id_of(signup_list)),
    )

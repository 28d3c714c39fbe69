"""/my-signups: everything the account's family holds on every list — signups (confirmed, and
pending offers with their deadline to Accept or Decline), lottery entries grouped by list with a
countdown to the lottery, and waitlist places with their position. Live: it follows the member's
own topic, which every change to their signups, entries and places announces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import reflex as rx

from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import UserError
from luckyclub.lotteries import entries, signups
from luckyclub.lotteries.my_signups import MySignups
from luckyclub.models import User
from luckyclub.state import live
from luckyclub.state.admin import record_id
from luckyclub.state.events import event
from luckyclub.state.lists.views import unix
from luckyclub.state.session import SessionState


@dataclass
class SignupRow:
    id: int = 0
    list_title: str = ""
    list_url: str = ""
    element: str = ""
    member: str = ""
    pending: bool = False
    deadline: str = ""  # "16 March 2027 at 15:00 GMT", in the member's zone
    deadline_ts: int = 0
    source: str = ""
    token: str = ""  # the offer's Accept/Decline secret (pending only)
    can_cancel: bool = False


@dataclass
class EntryRow:
    id: int = 0
    element: str = ""
    member: str = ""
    # Its list's can_remove, on each entry: a nested foreach cannot read its outer item.
    can_remove: bool = False


@dataclass
class EntryGroup:
    list_title: str = ""
    list_url: str = ""
    lottery_at: str = ""  # in the list's zone
    lottery_ts: int = 0
    can_remove: bool = False  # not while the lottery runs
    entered: list[EntryRow] = field(default_factory=list)  # not `entries`: a Var method


@dataclass
class PlaceRow:
    id: int = 0
    list_title: str = ""
    list_url: str = ""
    element: str = ""
    member: str = ""
    position: int = 0
    can_leave: bool = False


def signup_rows(mine: MySignups) -> list[SignupRow]:
    return [
        SignupRow(
            id=row.id,
            list_title=row.list_title,
            list_url=row.path,
            element=row.element,
            member=row.member_name,
            pending=row.status == "pending",
            deadline=row.deadline,
            deadline_ts=unix(row.expires_at),
            source=row.source,
            token=row.accept_token,
            can_cancel=row.can_cancel,
        )
        for row in mine.signups
    ]


class MySignupsState(SessionState):
    loaded: bool = False
    signups: rx.Field[list[SignupRow]] = rx.field(default_factory=list)
    groups: rx.Field[list[EntryGroup]] = rx.field(default_factory=list)
    places: rx.Field[list[PlaceRow]] = rx.field(default_factory=list)
    error: str = ""
    notice: str = ""

    def _fill(self, s: Session, user: User) -> None:
        mine = signups.my_signups(s, user)
        self.signups = signup_rows(mine)
        self.groups = [
            EntryGroup(
                list_title=g.list_title,
                list_url=g.path,
                lottery_at=g.lottery_when,
                lottery_ts=unix(g.lottery_at),
                can_remove=g.can_remove,
                entered=[
                    EntryRow(
                        id=e.id, element=e.element, member=e.member_name, can_remove=g.can_remove
                    )
                    for e in g.entries
                ],
            )
            for g in mine.lotteries
        ]
        self.places = [
            PlaceRow(
                id=w.id,
                list_title=w.list_title,
                list_url=w.path,
                element=w.element,
                member=w.member_name,
                position=w.position,
                can_leave=w.can_leave,
            )
            for w in mine.places
        ]
        self.loaded = True

    def _refill(self) -> None:
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)

    @event
    def load(self):
        self.error = self.notice = ""
        self._refill()

    @event
    async def follow(self):
        """After load: hear of changes to the member's signups, entries and places."""
        await live.follow_member(self)

    @event
    def changed(self, version: str):
        if self._session_state()._saw(version):
            self._refill()

    @event
    def ask(self):
        """A countdown reached zero (a lottery ran, an offer expired): show where things stand."""
        self._refill()

    def _act(self, change: Callable[[Session, User], object], done: str) -> None:
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                change(s, user)
                s.flush()
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message
            self._refill()
            return
        self.notice = done

    @event
    def accept(self, token: str):
        self._act(
            lambda s, user: signups.accept(s, user, str(token)[:64]), "Accepted: the spot is yours."
        )

    @event
    def decline(self, token: str):
        self._act(
            lambda s, user: signups.decline(s, user, str(token)[:64]),
            "Declined: the spot goes to the next person.",
        )

    @event
    def cancel(self, signup_id: int):
        self._act(lambda s, user: signups.cancel(s, user, record_id(signup_id)), "Cancelled.")

    @event
    def remove_entry(self, entry_id: int):
        self._act(lambda s, user: entries.remove(s, user, record_id(entry_id)), "Entry removed.")

    @event
    def leave_waitlist(self, place_id: int):
        self._act(
            lambda s, user: signups.leave_waitlist(s, user, record_id(place_id)),
            "Left the waitlist.",
        )

"""One signup list (/lists/<id>, its share link): what the page shows and does.

Anyone with the link sees it; a signed-in member signs up family members, joins waitlists, enters
the lottery and takes any of that back. Every handler acts as the session's account, never one the
browser names, and the services refuse what the list's phase or limits do not allow. It stays live:
the page follows the list's topic and the member's own (state/live.py), so counts, "in progress"
and the lottery's result appear without a reload; the countdown ticks in the browser.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.words import when_in_full
from luckyclub.lotteries import entries, lists, signups
from luckyclub.models import User
from luckyclub.platform import changes, draws
from luckyclub.state import live
from luckyclub.state.admin import record_id
from luckyclub.state.events import event
from luckyclub.state.lists.views import ElementRow, RefRow, element_row, unix
from luckyclub.state.session import SessionState


def chosen_members(form_data: dict) -> list[int]:
    """The family members ticked in an Enter lottery form (`member_<id>` boxes)."""
    chosen = []
    for name, value in form_data.items():
        if str(name).startswith("member_") and value:
            member_id = routes.whole_id(str(name).removeprefix("member_"))
            if member_id is not None:
                chosen.append(member_id)
    return chosen


class ListPageState(SessionState):
    loaded: bool = False
    missing: bool = False
    list_id: rx.Field[int] = rx.field(0)
    title: str = ""
    description: str = ""
    creator: str = ""
    kind: str = ""
    status: str = ""  # open, closed, stopped
    banner: str = ""  # the service's sentence: the lottery's time, in progress, closed, stopped
    options: str = ""  # "Up to 2 spots per person on this list"
    is_lottery: bool = False
    phase: str = ""  # LotteryPhase: first_come, open, running, done
    lottery_at: str = ""  # "15 March 2027 at 15:00 GMT", in the list's zone
    lottery_ts: int = 0
    completed_at: str = ""  # when the lottery's result was recorded, in the list's zone
    draw_url: str = ""
    live_url: str = ""
    can_edit: bool = False
    url: str = ""
    editor_url: str = ""
    elements: rx.Field[list[ElementRow]] = rx.field(default_factory=list)
    refs: rx.Field[list[RefRow]] = rx.field(default_factory=list)  # the viewer's, in the lottery
    error: str = ""
    notice: str = ""

    # ---- reading --------------------------------------------------------------------------

    def _fill(self, s: Session, user: User | None) -> None:
        list_id = routes.id_from_path(self.router.url.path)
        try:
            if list_id is None:
                raise UserError(lists.GONE)
            view = lists.list_view(s, list_id, user)
        except UserError:
            self.loaded, self.missing = True, True
            return
        self.loaded, self.missing = True, False
        self.list_id = view.id
        self.title, self.description, self.creator = view.title, view.description, view.creator_name
        self.kind, self.status, self.banner = view.kind, view.status, view.banner
        self.options = ". ".join(
            words
            for words in (
                view.limit_words,
                "Waitlist when full" if view.waitlist else "",
                "Families enter together" if view.families_together else "",
            )
            if words
        )
        self.is_lottery, self.phase = view.is_lottery, str(view.phase)
        self.lottery_at, self.lottery_ts = view.lottery_when, unix(view.lottery_at)
        draw_id = routes.id_from_path(view.draw_path)
        self.draw_url, self.live_url = view.draw_path, view.live_path
        self.refs = [RefRow(member=r.member_name, ref=r.ref) for r in view.my_refs]
        # The draw's row alone: its public view would read every winner of a big lottery.
        drawn = draws.get(s, draw_id).drawn_at if draw_id and self.phase == "done" else None
        self.completed_at = when_in_full(drawn, view.timezone)
        self.can_edit = view.can_edit
        self.url, self.editor_url = view.share_path, view.editor_path
        self.elements = [element_row(e) for e in view.elements]

    def _refill(self) -> None:
        with session_scope() as s:
            self._fill(s, self._current_user(s))

    @event
    def load(self):
        self.error = self.notice = ""
        self.loaded = False
        self._refill()

    @event
    async def follow(self):
        """After load: hear of changes to the list and to the member's own signups."""
        if self.loaded and not self.missing:
            await live.follow(self, changes.signup_list(self.list_id))
            await live.follow_member(self)

    @event
    def changed(self, version: str):
        """The server says the list changed (a signup, an entry, the lottery): show it anew."""
        if self._session_state()._saw(version) and self.loaded and not self.missing:
            self._refill()  # messages stay: the change may be this tab's own action

    @event
    def ask(self):
        """The countdown reached the lottery time: the lottery is in progress now."""
        if self.loaded and not self.missing:
            self._refill()

    # ---- acting ---------------------------------------------------------------------------

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
            self._refill()  # the list may have moved on (full, in progress): show where it is
            return
        self.notice = done

    @event
    def sign_up(self, form_data: dict):
        element_id, member_id = form_data.get("element_id"), form_data.get("member_id")
        self._act(
            lambda s, user: signups.sign_up(s, user, record_id(element_id), record_id(member_id)),
            "Signed up.",
        )

    @event
    def join_waitlist(self, form_data: dict):
        element_id, member_id = form_data.get("element_id"), form_data.get("member_id")
        self._act(
            lambda s, user: signups.join_waitlist(
                s, user, record_id(element_id), record_id(member_id)
            ),
            "On the waitlist: you get an email when a spot is offered.",
        )

    @event
    def enter(self, form_data: dict):
        element_id, chosen = form_data.get("element_id"), chosen_members(form_data)
        self._act(
            lambda s, user: entries.enter(s, user, record_id(element_id), chosen),
            "Entered in the lottery.",
        )

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
    def leave_waitlist(self, place_id: int):
        self._act(
            lambda s, user: signups.leave_waitlist(s, user, record_id(place_id)),
            "Left the waitlist.",
        )

    @event
    def remove_entry(self, entry_id: int):
        self._act(
            lambda s, user: entries.remove(s, user, record_id(entry_id)),
            "Entry removed.",
        )

"""The account's family members (/family): the people it signs up to lists and enters in lotteries.
Removing one removes their signups, waitlist places and lottery entries too (services say so)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.lotteries import family
from luckyclub.state.admin import record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class FamilyMemberView:
    id: int = 0
    name: str = ""
    is_self: bool = False


class FamilyState(SessionState):
    members: rx.Field[list[FamilyMemberView]] = rx.field(default_factory=list)
    editing: int = 0  # the member being renamed (0: none)
    error: str = ""
    notice: str = ""
    added: rx.Field[int] = rx.field(0)  # keys the Add form, so its field empties after each add

    def _fill(self, s, user) -> None:
        self.members = [
            FamilyMemberView(id=m.id or 0, name=m.name, is_self=m.is_self)
            for m in family.members_of(s, user)
        ]

    def _act(self, change, done: str) -> bool:
        """One change as the signed-in account, then the list anew; refusals become the sentence."""
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                change(s, user)
                s.flush()
                self._fill(s, user)
        except UserError as exc:
            self.error = exc.message
            return False
        self.notice = done
        return True

    @event
    def load(self):
        self.error = self.notice = ""
        self.editing = 0
        with session_scope() as s:
            user = self._current_user(s)
            if user is not None:
                self._fill(s, user)

    @event
    def add(self, form_data: dict):
        name = str(form_data.get("name") or "").strip()[:80]
        if self._act(lambda s, user: family.add(s, user, name), f"{name} is in your family now."):
            self.added += 1

    @event
    def start_rename(self, member_id: int):
        self.editing = routes.whole_id(member_id) or 0

    @event
    def stop_rename(self):
        self.editing = 0

    @event
    def rename(self, form_data: dict):
        member_id = form_data.get("member_id")
        name = str(form_data.get("name") or "").strip()[:80]
        if self._act(
            lambda s, user: family.rename(s, user, record_id(member_id), name), "Name changed."
        ):
            self.editing = 0

    @event
    def remove(self, member_id: int):
        self._act(
            lambda s, user: family.remove(s, user, record_id(member_id)),
            "Removed, with their signups, waitlist places and lottery entries.",
        )

"""/lists/<id>/edit: a list's creator, its editors and platform admins manage it — details,
elements, the lottery's time, close/reopen/delete, editors, every signup and waitlist place (Remove,
with a reason the person is emailed), the CSV export, the lottery's status.

Every handler asks the service as the session's account, and the services check the editor's role
themselves (lists.require_editor); the page loads nothing for anyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.lotteries import lists, signups, views
from luckyclub.models import User
from luckyclub.platform import changes
from luckyclub.state import live
from luckyclub.state.admin import record_id
from luckyclub.state.events import event
from luckyclub.state.lists.views import (
    PersonRow,
    percent,
    person_rows,
    read_elements,
    spots_words,
)
from luckyclub.state.session import SessionState


@dataclass
class EditorRow:
    id: int = 0  # the editor's user id
    email: str = ""
    name: str = ""


@dataclass
class ElementForm:
    """An element as its edit form shows it."""

    id: int = 0
    label: str = ""
    name: str = ""
    event_date: str = ""  # "2027-03-15"
    event_time: str = ""  # "10:00"
    place: str = ""
    spots: str = ""  # as the form's input holds it
    spots_words: str = ""
    percent: int = 0
    entries_words: str = ""
    signups: list[PersonRow] = field(default_factory=list)
    waitlist: list[PersonRow] = field(default_factory=list)


class ListEditorState(SessionState):
    _asks_reasons: ClassVar[bool] = True  # Remove takes a reason (state/reason_dialog.py)

    allowed: bool = False
    loaded: bool = False
    list_id: rx.Field[int] = rx.field(0)
    title: str = ""
    description: str = ""
    kind: str = ""
    limit_text: str = ""
    waitlist: bool = False
    families_together: bool = False
    status: str = ""
    is_lottery: bool = False
    phase: str = ""
    lottery_local: str = ""  # the datetime-local value, in the list's zone
    timezone: str = ""
    lottery_words: str = ""
    can_move_lottery: bool = False  # "Lottery scheduled for 15 March 2027 at 15:00 GMT"
    forms: rx.Field[list[ElementForm]] = rx.field(default_factory=list)
    editors: rx.Field[list[EditorRow]] = rx.field(default_factory=list)
    is_creator: bool = False
    url: str = ""
    export_url: str = ""
    error: str = ""
    notice: str = ""
    # Keys the forms, so they show the saved values after each change.
    saved: rx.Field[int] = rx.field(0)

    def _list_id(self) -> int | None:
        return routes.id_from_path(self.router.url.path.rstrip("/").removesuffix("/edit"))

    def _fill(self, s: Session, user: User) -> None:
        list_id = self._list_id()
        if list_id is None:
            raise UserError(lists.GONE)
        edited = lists.editor_view(s, user, list_id)  # refuses anyone but its editors
        view = edited.list
        self.allowed, self.loaded = True, True
        self.list_id = view.id
        self.title, self.description, self.kind = view.title, view.description, view.kind
        self.limit_text = str(view.per_member_limit or "")
        self.waitlist, self.families_together = view.waitlist, view.families_together
        self.status, self.is_lottery, self.phase = view.status, view.is_lottery, str(view.phase)
        self.timezone, self.lottery_local = view.timezone, edited.lottery_local
        self.can_move_lottery = edited.can_move_lottery
        self.lottery_words = {
            "open": f"Lottery scheduled for {view.lottery_when} in {view.timezone}.",
            "running": "Lottery in progress…",
            "done": f"Lottery completed: it ran on {view.lottery_when}.",
        }.get(self.phase, "")
        self.is_creator = view.can_manage
        self.url, self.export_url = view.share_path, view.export_path
        shown = {e.id: e for e in view.elements}
        self.forms = [self._form(f, shown[f.id]) for f in edited.elements if f.id in shown]
        self.editors = [EditorRow(id=e.user_id, email=e.email, name=e.name) for e in edited.editors]

    def _form(self, form: views.ElementForm, element: views.ElementView) -> ElementForm:
        signed, waiting = person_rows(element)
        return ElementForm(
            id=form.id,
            label=element.label,
            name=form.name,
            event_date=form.event_date,
            event_time=form.event_time,
            place=form.place,
            spots=str(form.spots),
            spots_words=spots_words(element.taken, element.spots),
            percent=percent(element.taken, element.spots),
            entries_words=f" · {element.entries_words}" if self.is_lottery else "",
            signups=signed,
            waitlist=waiting,
        )

    def _forget(self) -> None:
        self.reset()  # nothing of a list stays in the tab of someone who may not edit it
        self.loaded = True

    @event
    def load(self):
        self.error = self.notice = ""
        with session_scope() as s:
            user = self._current_user(s)
            try:
                if user is None:
                    raise NotAllowed("Sign in first.")
                self._fill(s, user)
            except UserError as exc:  # NotAllowed is one
                self._forget()
                self.error = exc.message

    @event
    async def follow(self):
        if self.allowed:
            await live.follow(self, changes.signup_list(self.list_id))

    @event
    def changed(self, version: str):
        if self.allowed and self._session_state()._saw(version):
            self._reload()

    def _reload(self) -> None:
        with session_scope() as s:
            user = self._current_user(s)
            try:
                if user is None:
                    raise NotAllowed("Sign in first.")
                self._fill(s, user)
            except UserError as exc:
                self._forget()
                self.error = exc.message

    def _act(self, change: Callable[[Session, User, int], object], done: str) -> bool:
        """One change as the signed-in account (the service checks the role), then reload."""
        self.error = self.notice = ""
        list_id = self._list_id()
        try:
            with session_scope() as s:
                user = self._require_user(s)
                if list_id is None:
                    raise UserError("That list does not exist.")
                change(s, user, list_id)
                s.flush()
                self._fill(s, user)
        except NotAllowed as exc:
            self._forget()
            self.error = exc.message
            return False
        except UserError as exc:
            self.error = exc.message
            return False
        self.notice = done
        self.saved += 1
        return True

    # ---- details ------------------------------------------------------------------------

    @event
    def save_details(self, form_data: dict):
        title = str(form_data.get("title") or "").strip()[:160]
        description = str(form_data.get("description") or "").strip()[:4000]
        limit_text = str(form_data.get("per_member_limit") or "").strip()[:7]
        waitlist = bool(form_data.get("waitlist"))

        families_together = bool(form_data.get("families_together"))
        edit = lists.ListEdit(
            title=title,
            description=description,
            per_member_limit=limit_text or None,
            waitlist=waitlist,
            families_together=families_together,
        )
        self._act(lambda s, user, list_id: lists.update(s, user, list_id, edit), "Saved.")

    @event
    def set_lottery_time(self, form_data: dict):
        local = str(form_data.get("lottery_at") or "").strip()[: len("2027-03-15T15:00")]
        self._act(
            lambda s, user, list_id: lists.set_lottery_time(s, user, list_id, local),
            "The lottery's time is changed.",
        )

    @event
    def close(self):
        self._act(lambda s, user, list_id: lists.close(s, user, list_id), "Closed: nothing new.")

    @event
    def reopen(self):
        self._act(lambda s, user, list_id: lists.reopen(s, user, list_id), "Open again.")

    @event
    def delete(self):
        if self._act(lambda s, user, list_id: lists.delete(s, user, list_id), "Deleted."):
            return rx.redirect(routes.LISTS)

    # ---- elements -----------------------------------------------------------------------

    @event
    def add_element(self, form_data: dict):
        [new] = read_elements(form_data, [0]) or [lists.NewElement()]
        self._act(lambda s, user, list_id: lists.add_element(s, user, list_id, new), "Added.")

    @event
    def update_element(self, form_data: dict):
        element_id = form_data.get("element_id")
        [new] = read_elements(form_data, [0]) or [lists.NewElement()]
        edit = lists.ElementEdit(**vars(new))
        self._act(
            lambda s, user, _list_id: lists.update_element(s, user, record_id(element_id), edit),
            "Saved.",
        )

    @event
    def delete_element(self, element_id: int):
        self._act(
            lambda s, user, _list_id: lists.delete_element(s, user, record_id(element_id)),
            "Deleted, with its signups, waitlist and entries.",
        )

    # ---- editors ------------------------------------------------------------------------

    @event
    def add_editor(self, form_data: dict):
        email = str(form_data.get("editor_email") or "").strip()[:254]
        self._act(
            lambda s, user, list_id: lists.add_editor(s, user, list_id, email),
            f"{email} can edit this list now.",
        )

    @event
    def remove_editor(self, user_id: int):
        self._act(
            lambda s, user, list_id: lists.remove_editor(s, user, list_id, record_id(user_id)),
            "Editor removed.",
        )

    # ---- people -------------------------------------------------------------------------

    @event
    def remove_signup(self, form_data: dict):
        signup_id, reason = form_data.get("signup_id"), str(form_data.get("reason") or "")
        self._act(
            lambda s, user, _list_id: signups.remove_by_editor(
                s, user, record_id(signup_id), reason
            ),
            "Removed; they are emailed your reason.",
        )

    @event
    def remove_place(self, form_data: dict):
        place_id, reason = form_data.get("place_id"), str(form_data.get("reason") or "")
        self._act(
            lambda s, user, _list_id: signups.remove_place_by_editor(
                s, user, record_id(place_id), reason
            ),
            "Taken off the waitlist; they are emailed your reason.",
        )

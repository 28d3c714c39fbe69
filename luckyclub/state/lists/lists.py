"""/lists: the lists a member can see (theirs, those they edit, those they are on) and the New list
form. The form's element rows are plain inputs named by row (`name_3`, `spots_3`…), so typing
sends nothing to the server; the state keeps only which rows exist, the kind and the lottery box.
The service checks everything again (lotteries/lists.py), the lottery time first of all."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.lotteries import lists
from luckyclub.models import utcnow
from luckyclub.state.busy import shows_busy
from luckyclub.state.events import event
from luckyclub.state.lists.views import KIND_WORDS, ListCard, form_text, list_cards, read_elements
from luckyclub.state.session import SessionState

MAX_ROWS = 200  # element rows one form may hold
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # a datetime-local input's value


def earliest_lottery(zone: str) -> str:
    """The soonest lottery time the form offers (1 hour and a minute from now), as the
    datetime-local value in the member's zone: the browser's own check; the service checks again."""
    return (
        (utcnow() + timedelta(hours=1, minutes=1)).astimezone(ZoneInfo(zone)).strftime(LOCAL_MINUTE)
    )


def read_editors(text: str) -> list[str]:
    return [e.strip() for e in text.replace(",", "\n").splitlines() if e.strip()][:20]


class ListsState(SessionState):
    cards: rx.Field[list[ListCard]] = rx.field(default_factory=list)
    kind: str = "events"
    # The element rows of the New list form, each by a number of its own.
    rows: rx.Field[list[int]] = rx.field(default_factory=lambda: [1])
    next_row: int = 2
    lottery: bool = False
    earliest: str = ""  # the lottery input's min, in the member's zone
    error: str = ""
    busy: bool = False

    @event
    def load(self):
        # A fresh form each time the page opens: its inputs start empty and the lottery box
        # unticked, so what the state follows must start so too.
        self.error, self.kind, self.lottery = "", "events", False
        self.rows, self.next_row = [1], 2
        with session_scope() as s:
            user = self._current_user(s)
            if user is None:
                return
            self.cards = list_cards(lists.visible_lists(s, user))
            self.earliest = earliest_lottery(user.timezone)

    @event
    def set_kind(self, value: str):
        self.kind = value if value in KIND_WORDS else "events"

    @event
    def toggle_lottery(self):
        self.lottery = not self.lottery

    @event
    def add_row(self):
        if len(self.rows) < MAX_ROWS:
            self.rows = [*self.rows, self.next_row]
            self.next_row += 1

    @event
    def remove_row(self, row: int):
        if len(self.rows) > 1:
            self.rows = [r for r in self.rows if r != row]

    @event
    @shows_busy()
    def create(self, form_data: dict):
        self.error = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
                is_lottery = bool(form_data.get("is_lottery"))
                new = lists.NewList(
                    title=form_text(form_data, "title", 160),
                    description=form_text(form_data, "description", 4000),
                    kind=self.kind,
                    elements=read_elements(form_data, self.rows),
                    per_member_limit=form_text(form_data, "per_member_limit", 7) or None,
                    waitlist=bool(form_data.get("waitlist")),
                    families_together=is_lottery and bool(form_data.get("families_together")),
                    is_lottery=is_lottery,
                    lottery_local=form_text(form_data, "lottery_at", 16) if is_lottery else "",
                    editors=read_editors(str(form_data.get("editors") or "")),
                )
                created = lists.create(s, user, new)
                s.flush()
                list_id = created.id or 0
        except UserError as exc:
            self.error = exc.message
            return None
        self.rows, self.next_row, self.lottery = [1], 2, False
        return rx.redirect(routes.list_page(list_id))

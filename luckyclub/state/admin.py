"""What every admin page's state shares: the role check before any read, one way to act, and one
way to run a draw ("Perform draw now", "Draw without beacon") off the event loop.

Only plain methods live here. Each page's state declares its own `allowed`, `error` and `notice`
vars (a Reflex parent's vars would be shared by all its child states) and calls these helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

import reflex as rx

from luckyclub.core import routes
from luckyclub.core.db import Session, session_scope
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.words import when
from luckyclub.models import DrawTrigger, User, id_of
from luckyclub.platform import accounts, audit, draw_actions, draws
from luckyclub.platform.permissions import require_admin
from luckyclub.state import live
from luckyclub.state.events import run_in_thread
from luckyclub.state.session import SessionState, ancestor_state

# A draw action's outcomes shown as a notice: it drew, or it closed sales and the draw follows by
# itself. Every other outcome (blocked, taken, waiting, void) means the click did not draw, so it is
# shown as an error, in the service's own words.
DRAW_GOES_ON = ("drawn", "not_due")
DRAW_FAILED = "The draw could not be run just now. Reload the page to see where it stands."
# Who started a draw, as the draws' and a competition's admin pages say it.
TRIGGER_WORDS: dict[str, str] = {
    DrawTrigger.SCHEDULED: "by the scheduler",
    DrawTrigger.ADMIN: "by an admin (Draw now)",
    DrawTrigger.OVERRIDE: "manual override by an admin",
}


def record_id(value) -> int:
    """An id sent by the browser; anything but an id a database row can have (routes.whole_id) is
    refused as a sentence, before the database sees it."""
    number = routes.whole_id(value)
    if number is None:
        raise UserError("That record could not be found. Reload the page and try again.")
    return number


def parse_local_time(value: str, timezone: str) -> datetime | None:
    """A datetime-local value typed in the admin's timezone, as an aware datetime."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone))
    except (TypeError, ValueError):
        return None


@dataclass
class AuditRow:
    when: str
    actor: str
    action: str
    target: str
    detail: str


def audit_rows(s: Session, *, limit: int) -> list[AuditRow]:
    """The latest admin actions as the members' page and the audit log show them (UTC)."""
    return [
        AuditRow(
            when=when(a.created_at),
            actor=a.actor_email or "system",
            action=a.action,
            target=f"{a.target_type} #{a.target_id}",
            detail=a.detail,
        )
        for a in audit.recent_entries(s, limit=limit)
    ]


def admin_id_for(token: str | None) -> int:
    """The signed-in admin's id, checked in a session of its own (for work run off the loop)."""
    with session_scope() as s:
        return id_of(require_admin(accounts.user_for_session(s, token)))


def draw_now_as(token: str | None, draw_id: int, reason: str = "") -> draws.Outcome:
    """The admin's Draw now, run off the event loop: the service claims the draw exactly once
    (an open pool ends early only with the admin's `reason`)."""
    return draw_actions.draw_now(admin_id_for(token), draw_id, reason=reason)


def draw_without_beacon_as(token: str | None, draw_id: int, reason: str) -> draws.Outcome:
    """Switch a frozen draw to no beacon (with the reason its proof shows), then draw it."""
    return draw_actions.draw_without_beacon(admin_id_for(token), draw_id, reason)


class AdminPageState(SessionState):
    # Said once by the next admin page this tab loads: what an action that moved the admin to
    # another page (Duplicate, Delete) did. Declared here so every admin page shares it.
    _next_notice: str = ""
    # Vars a page holds only while they are on screen (an opened message, reset link and all):
    # they go back to their defaults when the admin loads another admin page.
    _shown_only: ClassVar[tuple[str, ...]] = ()
    if TYPE_CHECKING:
        # The draws this tab waits on, for _run_draw: declared (as a var the page shows) only by
        # the pages that run draws, so only announced here, to the type checker.
        running: rx.Field[list[int]]

    def _fill(self, s: Session) -> None:
        """Load what the page shows (the admin check has passed)."""

    def _admin_pages(self) -> AdminPageState:
        return ancestor_state(self, AdminPageState)

    def _forget_admin_pages(self) -> None:
        """Every admin page's state back to its defaults, for someone who is not (or no longer)
        an admin: nothing any admin page loaded stays in this tab."""
        self._admin_pages().reset()

    def _forget_other_pages_shown_only(self) -> None:
        for page in self._admin_pages().substates.values():
            if isinstance(page, AdminPageState) and page.get_full_name() != self.get_full_name():
                for name in type(page)._shown_only:
                    setattr(page, name, type(page).__fields__[name].default_value())

    def _admin_load(self) -> None:
        self._forget_other_pages_shown_only()
        self.error = self.notice = ""
        with session_scope() as s:
            try:
                self._require_admin(s)
            except NotAllowed:
                self._forget_admin_pages()
                return
            self.allowed = True
            self._fill(s)
        self.notice, self._next_notice = self._next_notice, ""

    async def _follow(self, topic: str) -> None:
        """After load: hear of changes to what the page shows (an admin topic, state/live.py)."""
        if self.allowed:
            await live.follow(self, topic)

    def _changed(self, version: str) -> None:
        """The server says the page's topic changed: reload, keeping the messages shown."""
        if not self.allowed or not self._session_state()._saw(version):
            return
        error, notice = self.error, self.notice
        self._admin_load()
        if self.allowed:
            self.error, self.notice = error, notice

    def _admin_act(self, change: Callable[[Session, User], object], done: str) -> bool:
        """Re-check the role, make one change in one transaction, reload; errors become text."""
        self.error = self.notice = ""
        try:
            with session_scope() as s:
                admin = self._require_admin(s)
                change(s, admin)
                s.flush()
                self._fill(s)
        except UserError as exc:
            self.error = exc.message
            return False
        self.notice = done
        return True

    async def _admin_act_off_loop(
        self, change: Callable[[Session, User], object], done: str
    ) -> bool:
        """`_admin_act` for an async handler (an upload's, which reads its files first), whose
        change decodes an uploaded picture: decoding takes a while and may wait for a decoding
        slot (proof_files). The change runs and commits in a handler thread, with the role checked
        there, then the page reloads in another."""
        self.error = self.notice = ""
        token = self._session_token()

        def act() -> None:
            with session_scope() as s:
                change(s, require_admin(accounts.user_for_session(s, token)))

        try:
            await run_in_thread(act)
        except UserError as exc:
            self.error = exc.message
            return False
        await run_in_thread(self._refill)
        self.notice = done
        return True

    def _refill(self) -> None:
        with session_scope() as s:
            self._fill(s)

    async def _run_draw(self, draw_id, work: Callable[[str | None, int], draws.Outcome]) -> None:
        """Run `work(token, draw_id)` in a thread; a second click on the same draw meanwhile does
        nothing. The page state declares `running: list[int]` (the draws this tab waits on)."""
        async with self:
            self.error = self.notice = ""
            try:
                number = record_id(draw_id)
            except UserError as exc:
                self.error = exc.message
                return
            if number in self.running:
                return
            self.running = [*self.running, number]
            token = self._session_token()
        error, notice = DRAW_FAILED, ""  # kept if the work fails unexpectedly (and is logged)
        try:
            outcome = await run_in_thread(lambda: work(token, number))
            if outcome.status in DRAW_GOES_ON:
                error, notice = "", outcome.message
            else:
                error = outcome.message
        except UserError as exc:
            error = exc.message
        finally:
            async with self:
                self.running = [n for n in self.running if n != number]
                await run_in_thread(self._admin_load)  # the page's queries, under the state's lock
                self.error, self.notice = error, notice

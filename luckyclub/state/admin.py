"""What every admin page's state shares: the role check before any read, one way to act, and one
way to run a draw ("Perform draw now", "Draw without beacon") off the event loop.

Only plain methods live here. Each page's state declares its own `allowed`, `error` and `notice`
vars (a Reflex parent's vars would be shared by all its child states) and calls these helpers.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from sqlmodel import Session

from luckyclub.db import session_scope
from luckyclub.models import User
from luckyclub.services import accounts, draws
from luckyclub.services.errors import NotAllowed, UserError
from luckyclub.services.permissions import require_admin
from luckyclub.state.session import SessionState

# A draw action's outcomes shown as a notice: it drew, or it closed sales and the draw follows by
# itself. Every other outcome (blocked, taken, waiting, void) means the click did not draw, so it is
# shown as an error, in the service's own words.
DRAW_GOES_ON = ("drawn", "not_due")
DRAW_FAILED = "The draw could not be run just now. Reload the page to see where it stands."


def record_id(value) -> int:
    """An id sent by the browser; anything but a positive whole number a database id can be (below
    2**63) is refused as a sentence."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 0 < number < 2**63:
        raise UserError("That record could not be found. Reload the page and try again.")
    return number


def admin_id_for(token: str | None) -> int:
    """The signed-in admin's id, checked in a session of its own (for work run off the loop)."""
    with session_scope() as s:
        return require_admin(accounts.user_for_session(s, token)).id


def draw_now_as(token: str | None, draw_id: int, reason: str = "") -> draws.Outcome:
    """The admin's Draw now, run off the event loop: the service claims the draw exactly once
    (an open pool ends early only with the admin's `reason`)."""
    return draws.draw_now(admin_id_for(token), draw_id, reason=reason)


def draw_without_beacon_as(token: str | None, draw_id: int, reason: str) -> draws.Outcome:
    """Switch a frozen draw to no beacon (with the reason its proof shows), then draw it."""
    return draws.draw_without_beacon(admin_id_for(token), draw_id, reason)


class AdminPageState(SessionState):
    # Said once by the next admin page this tab loads: what an action that moved the admin to
    # another page (Duplicate, Delete) did. Declared here so every admin page shares it.
    _next_notice: str = ""

    def _fill(self, s: Session) -> None:
        """Load what the page shows (the admin check has passed)."""

    def _forget(self) -> None:
        """Drop whatever the page holds, for a visitor who is not (or no longer) an admin."""

    def _admin_load(self) -> None:
        self.error = self.notice = ""
        with session_scope() as s:
            try:
                self._require_admin(s)
            except NotAllowed:
                self.allowed = False
                self._forget()
                return
            self.allowed = True
            self._fill(s)
        self.notice, self._next_notice = self._next_notice, ""

    def _reload_if_changed(self, version: Callable[[Session], str], current: str) -> None:
        """The heartbeat's work: reload when `version` moved past `current`, keeping messages."""
        if not self.allowed:
            return
        with session_scope() as s:
            changed = version(s) != current
        if changed:
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
            outcome = await rx.run_in_thread(lambda: work(token, number))
            if outcome.status in DRAW_GOES_ON:
                error, notice = "", outcome.message
            else:
                error = outcome.message
        except UserError as exc:
            error = exc.message
        finally:
            async with self:
                self.running = [n for n in self.running if n != number]
                self._admin_load()
                self.error, self.notice = error, notice

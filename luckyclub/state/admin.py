"""What every admin page's state shares: the role check before any read, and one way to act.

Only plain methods live here. Each page's state declares its own `allowed`, `error` and `notice`
vars (a Reflex parent's vars would be shared by all its child states) and calls these helpers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from luckyclub.db import session_scope
from luckyclub.models import User
from luckyclub.services.errors import NotAllowed, UserError
from luckyclub.state.session import SessionState


class AdminPageState(SessionState):
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

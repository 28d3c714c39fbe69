"""The reason dialogs' one state: which dialog of the tab is open, and what its reason lacks.

Every action that must be explained (refund, reject, ban, void, reroll, override, cancel…) asks
for its reason in the same dialog. The dialog stays open until the reason is written, then hands
the form to the page's own handler, which re-checks the role and does the work.
"""

from __future__ import annotations

import reflex as rx
from reflex.event import EventHandler

from luckyclub.core.errors import UserError
from luckyclub.platform import audit
from luckyclub.state.admin import AdminPageState
from luckyclub.state.events import event

REASON_MISSING = "Write a reason first (at least 5 characters): it is recorded with what you do."


def action_name(handler: EventHandler) -> str:
    """The name a dialog's form sends for the page handler it hands the form to."""
    if handler.state is None:
        raise ValueError(f"{handler.fn.__name__} is not a page state's event handler")
    return f"{handler.state.get_full_name()}.{handler.fn.__name__}"


def _admin_action(name: str) -> EventHandler | None:
    """The handler `name` names of an admin page, or of another page state that says it takes
    reasons (`_asks_reasons = True`: a list's editor removing a signup); handlers authorise
    themselves. None for any other."""
    path, _, handler_name = name.rpartition(".")
    try:
        state = rx.State.get_class_substate(path)
    except ValueError:
        return None
    if not (issubclass(state, AdminPageState) or getattr(state, "_asks_reasons", False)):
        return None
    return state.event_handlers.get(handler_name)


class ReasonDialogState(rx.State):
    open_key: str = ""  # the open dialog's key ("" when none is open)
    missing: str = ""

    @event
    def toggle(self, key: str, is_open: bool):
        self.open_key = key if is_open else ""
        self.missing = ""

    @event
    def submit(self, form_data: dict):
        """Keep the dialog open while the reason is missing or too short to be kept (the audit
        log's own check); otherwise close it and act."""
        try:
            audit.checked_reason(str(form_data.get("reason") or ""))
        except UserError:
            self.missing = REASON_MISSING
            return None
        handler = _admin_action(str(form_data.get("reason_action") or ""))
        self.open_key, self.missing = "", ""
        if handler is None:
            return None
        return handler(form_data)

"""Kick events that failed for good (the inbox tried each MAX_ATTEMPTS times), for platform admins:
what each was, whose channel, when it came, its last error; Retry (back to the inbox, which does it
once) or Dismiss with a reason. The service checks the admin and audits both
(community/failed_events.py)."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.community import failed_events, inbox
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, reason_dialog
from luckyclub.components.live import reload_on
from luckyclub.core import routes
from luckyclub.core.words import when
from luckyclub.platform import changes
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

# What each event type is, in an admin's words (an unknown type is shown as it came).
EVENT_WORDS = {
    inbox.CHAT_MESSAGE: "Chat message",
    inbox.GIFTED_SUBS: "Gifted subs",
    inbox.LIVESTREAM_STATUS: "Live / offline",
}


@dataclass
class FailedEventRow:
    id: int = 0
    kind: str = ""
    message_id: str = ""
    community: str = ""
    received: str = ""
    attempts: int = 0
    last_error: str = ""


class KickEventsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    rows: rx.Field[list[FailedEventRow]] = rx.field(default_factory=list)
    count: int = 0  # in all; the table shows the newest failed_events.SHOWN
    count_words: str = ""

    def _fill(self, s) -> None:
        admin = self._require_admin(s)
        self.count = failed_events.count_failed(s, admin)
        self.rows = [
            FailedEventRow(
                id=e.id,
                kind=EVENT_WORDS.get(e.event_type, e.event_type),
                message_id=e.message_id,
                community=e.community,
                received=when(e.received_at),
                attempts=e.attempts,
                last_error=e.last_error,
            )
            for e in failed_events.list_failed(s, admin)
        ]
        self.count_words = count_words(self.count, len(self.rows))

    @event
    def load(self):
        self._admin_load()

    @event
    async def follow(self):
        await self._follow(changes.ADMIN_KICK_EVENTS)

    @event
    def changed(self, version: str):
        self._changed(version)

    @event
    def retry(self, event_id: int):
        self._admin_act(
            lambda s, admin: failed_events.retry(s, admin, record_id(event_id)),
            "The event is back in the inbox: it is processed within a few seconds. If it fails "
            "again it comes back here.",
        )

    @event
    def dismiss(self, form_data: dict):
        self._admin_act(
            lambda s, admin: failed_events.dismiss(
                s, admin, record_id(form_data.get("event_id")), str(form_data.get("reason") or "")
            ),
            "Dismissed: the event will not be processed, and your reason is in the audit log.",
        )


def count_words(count: int, shown: int) -> str:
    if count == 0:
        return ""
    words = (
        f"{count} Kick events failed for good." if count != 1 else "1 Kick event failed for good."
    )
    return words + (f" The newest {shown} are shown." if count > shown else "")


K = KickEventsAdminState


def _actions(row: FailedEventRow) -> rx.Component:
    return rx.hstack(
        rx.button(
            "Retry",
            size="1",
            variant="soft",
            on_click=K.retry(row.id),
            aria_label="Retry Kick event " + row.message_id,
        ),
        reason_dialog(
            button="Dismiss",
            title="Dismiss Kick event " + row.message_id + "?",
            explanation=(
                "It will never be processed: no tickets, presence or live status come from it. "
                "Use this when retrying cannot help (a body Kick got wrong, a refunded gift). "
                "Your reason is kept with the event and in the audit log."
            ),
            record_field="event_id",
            record_id=row.id,
            confirm="Dismiss the event",
            on_submit=K.dismiss,
            trigger=rx.button(
                "Dismiss",
                size="1",
                color_scheme="red",
                variant="soft",
                aria_label="Dismiss Kick event " + row.message_id,
            ),
        ),
        spacing="2",
        wrap="wrap",
    )


def _row(row: FailedEventRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(row.kind, size="2"),
                rx.text(row.message_id, size="1", color_scheme="gray", word_break="break-all"),
                spacing="1",
            )
        ),
        rx.table.cell(row.community),
        rx.table.cell(row.received, white_space="nowrap"),
        rx.table.cell(row.attempts),
        rx.table.cell(rx.text(row.last_error, size="2", word_break="break-word")),
        rx.table.cell(_actions(row)),
    )


@rx.page(
    route=routes.ADMIN_KICK_EVENTS,
    title="Kick events · LuckyClub admin",
    on_load=[
        SessionState.require_sign_in,
        KickEventsAdminState.load,
        KickEventsAdminState.follow,
    ],
)
def admin_kick_events_page() -> rx.Component:
    return admin_page(
        "Kick events that failed",
        KickEventsAdminState,
        rx.text(
            "Kick's webhook events (chat, gifted subs, live status) are processed a few seconds "
            f"after they come. One that failed {inbox.MAX_ATTEMPTS} times is not tried again "
            "by itself: it waits here. Retry it once the cause is fixed, or dismiss it with a "
            "reason when it cannot be done. Times are UTC.",
            size="2",
        ),
        rx.cond(
            K.count > 0,
            rx.vstack(
                rx.callout(
                    K.count_words,
                    icon="triangle_alert",
                    color_scheme="orange",
                    role="status",
                    width="100%",
                ),
                data_table(
                    ["Event", "Community", "Received", "Attempts", "Last error", ""],
                    K.rows,
                    _row,
                ),
                spacing="3",
                width="100%",
            ),
            rx.text("No Kick event has failed for good: nothing waits for you here.", size="2"),
        ),
        live=reload_on(SessionState.live_version, KickEventsAdminState.changed),
    )

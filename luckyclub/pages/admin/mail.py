"""The outbox as admins see it: every email, Klaviyo event, text and Discord post the platform
wrote, its channel, recipient (a Discord post's: the community) and delivery status, and its links.

Without SMTP_URL no email leaves the machine, so this is where a newcomer follows a reset link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, status_badge
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.core.words import when
from luckyclub.models import Channel, id_of
from luckyclub.platform import mail
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


@dataclass
class MessageRow:
    id: int
    channel: str
    recipient: str
    subject: str
    status: str
    status_words: str  # "held: no SMTP_URL" for a pending message its channel cannot deliver
    attempts: int
    created: str


@dataclass
class MessageView:
    id: int = 0
    channel: str = ""
    recipient: str = ""
    subject: str = ""
    status: str = ""
    created: str = ""
    sent: str = ""
    last_error: str = ""
    text: str = ""
    links: list[str] = field(default_factory=list)


class AdminMailState(AdminPageState):
    allowed: bool = False
    messages: rx.Field[list[MessageRow]] = rx.field(default_factory=list)
    opened: MessageView = MessageView()  # held while open: cleared on close and by any page load
    _shown_only: ClassVar[tuple[str, ...]] = ("opened",)
    smtp_configured: bool = False
    not_ready: str = ""  # the channels other than email that cannot deliver, and why
    error: str = ""
    notice: str = ""

    def _fill(self, s) -> None:
        not_ready = mail.channels_not_ready(get_settings())
        self.messages = [
            MessageRow(
                id=id_of(m),
                channel=mail.channel_label(m.channel),
                recipient=mail.recipient(s, m),
                subject=mail.as_shown(m.subject),
                status=m.status,
                status_words=mail.status_words(m, not_ready),
                attempts=m.attempts,
                created=when(m.created_at),
            )
            for m in mail.list_messages(s, limit=100)
        ]

    @event
    def load(self):
        self.opened = MessageView()
        settings = get_settings()
        self.smtp_configured = settings.smtp_url is not None
        self.not_ready = ", ".join(
            f"{mail.channel_label(channel)} ({reason})"
            for channel, reason in mail.channels_not_ready(settings).items()
            if channel != Channel.EMAIL  # the callout explains email
        )
        self._admin_load()

    @event
    def open_message(self, message_id: int):
        self.error = ""
        try:
            with session_scope() as s:
                self._require_admin(s)
                m = mail.get_message(s, record_id(message_id))
                recipient = mail.recipient(s, m) if m is not None else ""
        except UserError as exc:
            self.error = exc.message
            return
        if m is None:
            self.error = "That message no longer exists."
            return
        self.opened = MessageView(
            id=id_of(m),
            channel=mail.channel_label(m.channel),
            recipient=recipient,
            subject=mail.as_shown(m.subject),
            status=m.status,
            created=when(m.created_at),
            sent=when(m.sent_at),
            last_error=m.last_error or "",
            text=mail.as_shown(m.text_body),
            links=mail.links_in(m.text_body),
        )

    @event
    def close_message(self):
        self.opened = MessageView()

    @event
    def retry(self, message_id: int):
        self._admin_act(
            lambda s, admin: mail.resend(s, admin, record_id(message_id)),
            "The message is back in the queue.",
        )


def _row(m: MessageRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m.created, white_space="nowrap"),
        rx.table.cell(m.channel),
        rx.table.cell(m.recipient),
        rx.table.cell(
            rx.button(
                m.subject,
                variant="ghost",
                size="2",
                on_click=AdminMailState.open_message(m.id),
                style={"textAlign": "left", "height": "auto", "whiteSpace": "normal"},
            ),
        ),
        rx.table.cell(status_badge(m.status, m.status_words)),
        rx.table.cell(
            rx.cond(
                m.status == "failed",
                rx.button("Retry", size="1", variant="soft", on_click=AdminMailState.retry(m.id)),
                rx.text(m.attempts, size="2"),
            )
        ),
    )


def _opened() -> rx.Component:
    o = AdminMailState.opened
    return rx.cond(
        o.id != 0,
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(o.subject, size="5", as_="h2"),
                    rx.spacer(),
                    rx.button(
                        "Close", variant="soft", size="1", on_click=AdminMailState.close_message
                    ),
                    width="100%",
                ),
                rx.text(o.channel, " to ", o.recipient, " · written ", o.created, size="2"),
                rx.cond(
                    o.last_error != "",
                    rx.text("Last error: ", o.last_error, color_scheme="red", size="2"),
                ),
                rx.vstack(
                    rx.text("Links in this message", weight="bold", size="2"),
                    rx.foreach(
                        o.links,
                        lambda href: rx.link(href, href=href, size="2", word_break="break-all"),
                    ),
                ),
                rx.box(
                    rx.el.pre(o.text, style={"whiteSpace": "pre-wrap", "fontFamily": "inherit"}),
                    padding="1rem",
                    border_radius="var(--radius-3)",
                    background_color=rx.color("gray", 2),
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
            role="region",
            aria_label="Opened message",
        ),
    )


@rx.page(
    route=routes.ADMIN_MAIL,
    title="Outbox · LuckyClub admin",
    on_load=[SessionState.require_sign_in, AdminMailState.load],
)
def admin_mail_page() -> rx.Component:
    return admin_page(
        "Outbox",
        AdminMailState,
        rx.cond(
            AdminMailState.smtp_configured,
            rx.text("Emails are delivered by SMTP; failures are retried with back-off."),
            rx.callout(
                "SMTP_URL is not set, so no email leaves this machine: every email is held "
                'here ("held: no SMTP_URL") until it is set. Open one to read it and follow '
                "its links.",
                icon="info",
            ),
        ),
        rx.cond(
            AdminMailState.not_ready != "",
            rx.text(
                "Channels not set up: ",
                AdminMailState.not_ready,
                ". Nothing is sent through them; see docs/notifications.md.",
                size="2",
                color_scheme="gray",
            ),
        ),
        _opened(),
        data_table(
            ["Written", "Channel", "To", "Subject", "Status", "Attempts"],
            AdminMailState.messages,
            _row,
        ),
        rx.cond(AdminMailState.messages.length() == 0, rx.text("No messages yet.")),
    )

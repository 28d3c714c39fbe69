"""Every signup list, for platform admins: open one, edit it, or stop it (with a reason, audited;
a stopped list takes nothing new and says why)."""

from __future__ import annotations

import reflex as rx

from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import data_table, reason_dialog, status_badge
from luckyclub.core import routes
from luckyclub.lotteries import lists
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.events import event
from luckyclub.state.lists.views import ListCard, admin_cards
from luckyclub.state.session import SessionState


class ListsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    cards: rx.Field[list[ListCard]] = rx.field(default_factory=list)

    def _fill(self, s) -> None:
        self.cards = admin_cards(lists.admin_lists(s, self._require_admin(s)))

    @event
    def load(self):
        self._admin_load()

    @event
    def stop(self, form_data: dict):
        self._admin_act(
            lambda s, admin: lists.stop(
                s, admin, record_id(form_data.get("list_id")), str(form_data.get("reason") or "")
            ),
            "Stopped: the list takes nothing new and shows your reason.",
        )


def _row(c: ListCard) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(c.title, href=c.url)),
        rx.table.cell(c.creator),
        rx.table.cell(c.kind, " · ", c.elements),
        rx.table.cell(rx.cond(c.lottery != "", c.lottery, "First come")),
        rx.table.cell(status_badge(c.status)),
        rx.table.cell(
            rx.hstack(
                rx.link("Edit", href=c.editor_url, size="2"),
                rx.cond(
                    c.status != "stopped",
                    reason_dialog(
                        button="Stop",
                        title="Stop " + c.title,
                        explanation="The list takes no new signups or entries and shows your "
                        "reason; what people hold stays.",
                        record_field="list_id",
                        record_id=c.id,
                        confirm="Stop the list",
                        on_submit=ListsAdminState.stop,
                    ),
                ),
                spacing="3",
                align="center",
            )
        ),
    )


@rx.page(
    route=routes.ADMIN_LISTS,
    title="Lists · LuckyClub admin",
    on_load=[SessionState.require_sign_in, ListsAdminState.load],
)
def admin_lists_page() -> rx.Component:
    return admin_page(
        "Signup lists",
        ListsAdminState,
        data_table(
            ["List", "Creator", "Elements", "Lottery", "Status", ""], ListsAdminState.cards, _row
        ),
        rx.cond(ListsAdminState.cards.length() == 0, rx.text("No lists yet.")),
    )

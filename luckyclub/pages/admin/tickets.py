"""Admins find competition orders (by member, email, ticket number or order id) and refund them.

A refund takes the order's tickets out of the draw at once; the money goes back through Stripe
shortly after (the `competitions` job asks Stripe, retrying until it says yes).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from luckyclub.competitions import catalogue, orders, refunds
from luckyclub.components.admin_page import admin_page
from luckyclub.components.layout import reason_dialog
from luckyclub.components.orders import orders_table
from luckyclub.core import routes
from luckyclub.core.errors import UserError
from luckyclub.models import id_of
from luckyclub.state.admin import AdminPageState, record_id
from luckyclub.state.competitions.order_views import OrderView, order_views
from luckyclub.state.events import event
from luckyclub.state.session import SessionState

SEARCH_LABEL = "Search orders: member, email, ticket number (42) or order (#17)"


@dataclass
class CompetitionChoice:
    id: int
    title: str


def _competition_id(chosen: str) -> int | None:
    """The competition filter's id; None for "all" or anything no competition id can be."""
    try:
        return routes.whole_id(chosen)
    except UserError:
        return None


class TicketsAdminState(AdminPageState):
    allowed: bool = False
    error: str = ""
    notice: str = ""
    search_text: str = ""
    competition_filter: str = ""  # a competition id, or "" for all
    competition_choices: list[CompetitionChoice] = []
    orders: rx.Field[list[OrderView]] = rx.field(default_factory=list)

    def _fill(self, s) -> None:
        self.competition_choices = [
            CompetitionChoice(id=id_of(c), title=c.title) for c in catalogue.list_all(s)
        ]
        chosen = _competition_id(self.competition_filter)
        rows = orders.find(s, competition_id=chosen, query=self.search_text)
        self.orders = order_views(rows, self.user_timezone)

    @event
    def load(self):
        self._admin_load()

    @event
    def search(self, form_data: dict):
        self.search_text = str(form_data.get("query") or "").strip()[:200]
        chosen = str(form_data.get("competition") or "").strip()
        self.competition_filter = chosen if _competition_id(chosen) else ""
        self._admin_act(lambda s, admin: None, "")

    @event
    def refund(self, form_data: dict):
        self._admin_act(
            lambda s, admin: refunds.refund_order(
                s, admin, record_id(form_data.get("order_id")), form_data.get("reason", "")
            ),
            "Refund requested: the tickets left the draw, and the money goes back through "
            "Stripe within a few minutes. The buyer gets an email.",
        )


def _refund_dialog(o: OrderView) -> rx.Component:
    return rx.cond(
        o.can_refund,
        reason_dialog(
            button="Refund",
            title=f"Refund order #{o.order_id}",
            explanation=(
                "Its tickets are void at once and left out of the draw; a paid order's money "
                "goes back through Stripe. The buyer is told, with your reason."
            ),
            record_field="order_id",
            record_id=o.order_id,
            confirm="Refund order",
            on_submit=TicketsAdminState.refund,
        ),
    )


def _search() -> rx.Component:
    S = TicketsAdminState
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(SEARCH_LABEL, html_for="orders_query", style={"fontWeight": "500"}),
                rx.input(
                    id="orders_query",
                    name="query",
                    default_value=S.search_text,
                    placeholder="ann@example.com, 42, #17",
                    width="100%",
                ),
                spacing="1",
                flex="2",
                min_width="14rem",
            ),
            rx.vstack(
                rx.el.label("Competition", html_for="orders_competition"),
                rx.el.select(
                    rx.el.option("All competitions", value=""),
                    rx.foreach(
                        S.competition_choices,
                        lambda c: rx.el.option(c.title, value=c.id.to_string()),
                    ),
                    id="orders_competition",
                    name="competition",
                    style={"padding": "0.5rem", "width": "100%"},
                ),
                spacing="1",
                flex="1",
                min_width="12rem",
            ),
            rx.button("Search", type="submit", size="2"),
            wrap="wrap",
            gap="3",
            align="end",
            width="100%",
        ),
        on_submit=S.search,
        width="100%",
    )


@rx.page(
    route=routes.ADMIN_TICKETS,
    title="Tickets · LuckyClub admin",
    on_load=[SessionState.require_sign_in, TicketsAdminState.load],
)
def admin_tickets_page() -> rx.Component:
    return admin_page(
        "Tickets",
        TicketsAdminState,
        _search(),
        rx.text(
            "The latest 100 orders that match, newest first (abandoned checkouts are left out). "
            "Times are in your timezone (",
            SessionState.user_timezone,
            ").",
            size="2",
            color_scheme="gray",
        ),
        orders_table(TicketsAdminState.orders, action=_refund_dialog),
        rx.cond(TicketsAdminState.orders.length() == 0, rx.text("No orders match.")),
    )

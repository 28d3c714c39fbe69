"""The built-in test checkout for competition tickets, used when no Stripe keys are set.

Pay sends a Stripe-shaped checkout.session.completed event, signed with the test-mode secret,
through the same webhook code real payments go through, then returns to the competition's page as
Stripe's success URL would; Cancel returns as Stripe's cancel URL would. Nothing is charged.
"""

from __future__ import annotations

import reflex as rx

from luckyclub.competitions import catalogue, checkout, fulfilment
from luckyclub.components.layout import error_callout, link_button, narrow_page
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.words import when
from luckyclub.models import OrderStatus, utcnow
from luckyclub.state.busy import shows_busy
from luckyclub.state.competitions.competition_views import HOLD_WORDS
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


class TicketCheckoutState(SessionState):
    loaded: bool = False
    found: bool = False
    open_now: bool = False  # pending and still within its hold
    closed_words: str = ""
    title: str = ""
    quantity: int = 0
    amount: str = ""
    held_until: str = ""
    competition_url: str = ""
    error: str = ""
    busy: bool = False
    _order_id: int = 0
    _competition_id: int = 0

    def _checkout_id(self) -> str:
        return self.router.url.query_parameters.get("session", "")[:200]

    @event
    def load(self):
        self.error, self.loaded, self.found = "", False, False
        try:
            with session_scope() as s:
                user = self._require_user(s)
                order = checkout.test_checkout_order(s, user, self._checkout_id())
                competition = catalogue.get(s, order.competition_id)
                timezone = user.timezone
        except UserError as exc:
            self.error, self.loaded = exc.message, True
            return
        self._order_id, self._competition_id = order.id, competition.id
        self.title, self.quantity = competition.title, order.quantity
        self.amount = catalogue.money(order.amount_pence, competition.currency)
        self.held_until = when(order.expires_at, timezone)
        self.competition_url = routes.competition_page(competition.id)
        self.open_now = order.status == OrderStatus.PENDING and order.expires_at > utcnow()
        self.closed_words = (
            ""
            if self.open_now
            else "This checkout is paid already."
            if order.status in (OrderStatus.PAID, OrderStatus.REFUND_DUE, OrderStatus.REFUNDED)
            else f"This checkout is closed: its {HOLD_WORDS} ran out or it was cancelled, and "
            "its tickets were released. Start again from the competition."
        )
        self.loaded, self.found = True, True

    @event
    @shows_busy()
    def pay(self):
        self.error = ""
        checkout_id = self._checkout_id()
        try:
            with session_scope() as s:
                user = self._require_user(s)
            fulfilment.pay_test_checkout(user, checkout_id)
        except UserError as exc:
            self.error = exc.message
            return
        # Stripe's success URL: the competition's page confirms the order and shows the numbers.
        return rx.redirect(
            f"{routes.competition_page(self._competition_id)}"
            f"?order={self._order_id}&session_id={checkout_id}"
        )

    @event
    def cancel_checkout(self):
        if not self.found:
            return rx.redirect(routes.COMPETITIONS)
        return rx.redirect(
            f"{routes.competition_page(self._competition_id)}?cancelled={self._order_id}"
        )


S = TicketCheckoutState


def _order() -> rx.Component:
    return rx.vstack(
        rx.heading("Pay for your tickets", size="6", as_="h1"),
        rx.callout(
            "Test payment mode: this site has no Stripe keys, so no money changes hands.",
            icon="flask_conical",
            color_scheme="amber",
        ),
        rx.data_list.root(
            rx.data_list.item(rx.data_list.label("Competition"), rx.data_list.value(S.title)),
            rx.data_list.item(rx.data_list.label("Tickets"), rx.data_list.value(S.quantity)),
            rx.data_list.item(rx.data_list.label("Amount"), rx.data_list.value(S.amount)),
            rx.data_list.item(rx.data_list.label("Held until"), rx.data_list.value(S.held_until)),
            orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
        ),
        error_callout(S.error),
        rx.cond(
            S.open_now,
            rx.vstack(
                rx.button(
                    "Pay " + S.amount + " (test)",
                    size="3",
                    width="100%",
                    loading=S.busy,
                    on_click=S.pay,
                ),
                rx.button(
                    "Cancel",
                    size="3",
                    width="100%",
                    variant="soft",
                    color_scheme="gray",
                    on_click=S.cancel_checkout,
                ),
                width="100%",
                spacing="3",
            ),
            rx.vstack(
                rx.text(S.closed_words),
                link_button("Back to the competition", S.competition_url, variant="soft"),
                spacing="3",
            ),
        ),
        spacing="4",
        width="100%",
    )


@rx.page(
    route=routes.COMPETITION_TEST_CHECKOUT,
    title="Test checkout · LuckyClub",
    on_load=[SessionState.require_sign_in, TicketCheckoutState.load],
)
def ticket_test_checkout_page() -> rx.Component:
    return narrow_page(
        rx.card(
            rx.cond(
                S.loaded,
                rx.cond(
                    S.found,
                    _order(),
                    rx.vstack(
                        rx.heading("Pay for your tickets", size="6", as_="h1"),
                        error_callout(S.error),
                        link_button("See the competitions", routes.COMPETITIONS, variant="soft"),
                        spacing="4",
                    ),
                ),
                rx.center(rx.spinner(size="3"), padding="2rem"),
            ),
            padding="1.5rem",
        )
    )

"""The built-in test payment pages, used when no Stripe keys are set.

The Pay and Cancel buttons send Stripe-shaped events, signed with the test-mode secret, through the
same webhook code that real Stripe deliveries go through; nothing is charged.
"""

from __future__ import annotations

import reflex as rx

from luckyclub.club import membership
from luckyclub.components.layout import error_callout, link_button, narrow_page
from luckyclub.core import routes
from luckyclub.core.db import session_scope
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.state.events import event
from luckyclub.state.session import SessionState


class PaymentPageState(SessionState):
    error: str = ""
    price: str = ""

    @event
    def load(self):
        self.error = ""
        self.price = get_settings().membership_price_label

    def _as_member(self, action) -> bool:
        self.error = ""
        try:
            with session_scope() as s:
                user = self._require_user(s)
            action(user)
        except UserError as exc:
            self.error = exc.message
            return False
        return True

    @event
    def pay(self):
        checkout_id = self.router.url.query_parameters.get("session", "")
        if self._as_member(lambda user: membership.complete_test_checkout(None, user, checkout_id)):
            return rx.redirect(f"{routes.DASHBOARD}?joined=1")

    @event
    def cancel_membership(self):
        if self._as_member(membership.cancel_in_test_mode):
            return rx.redirect(routes.DASHBOARD)


def _test_banner() -> rx.Component:
    return rx.callout(
        "Test payment mode: this club has no Stripe keys, so no money changes hands.",
        icon="flask_conical",
        color_scheme="amber",
    )


@rx.page(
    route=routes.TEST_CHECKOUT,
    title="Test checkout · LuckyClub",
    on_load=[SessionState.require_sign_in, PaymentPageState.load],
)
def test_checkout_page() -> rx.Component:
    return narrow_page(
        rx.card(
            rx.vstack(
                rx.heading("Join the LuckyClub raffle club", size="6", as_="h1"),
                _test_banner(),
                rx.text("Monthly membership: ", rx.text.strong(PaymentPageState.price)),
                rx.text(
                    "Every month you get that month's base entries; cancel whenever you like.",
                    size="2",
                ),
                error_callout(PaymentPageState.error),
                rx.button("Pay", size="3", width="100%", on_click=PaymentPageState.pay),
                link_button("Cancel and go back", routes.DASHBOARD, variant="soft"),
                spacing="4",
            ),
            padding="1.5rem",
        )
    )


@rx.page(
    route=routes.TEST_PORTAL,
    title="Manage membership · LuckyClub",
    on_load=[SessionState.require_sign_in, PaymentPageState.load],
)
def test_portal_page() -> rx.Component:
    return narrow_page(
        rx.card(
            rx.vstack(
                rx.heading("Manage your membership", size="6", as_="h1"),
                _test_banner(),
                rx.text(
                    "Cancelling ends your membership now. The entries you have earned stay in "
                    "their raffles.",
                    size="2",
                ),
                error_callout(PaymentPageState.error),
                rx.button(
                    "Cancel membership",
                    color_scheme="red",
                    on_click=PaymentPageState.cancel_membership,
                ),
                link_button("Back to your dashboard", routes.DASHBOARD, variant="soft"),
                spacing="4",
            ),
            padding="1.5rem",
        )
    )

"""The payment provider behind one interface: Stripe, or its local test-payment twin.

Settings choose which, once, here: with STRIPE_SECRET_KEY it is Stripe (stripe_api.py), without it
the twin (local_payments.py), whose checkouts are the app's own pay pages and which signs its events
as Stripe does. Services ask get_payments() and never which one it is.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Protocol

from luckyclub.core.settings import Settings, get_settings
from luckyclub.integrations.local_payments import LocalPayments
from luckyclub.integrations.stripe_api import PAYMENTS_UNAVAILABLE, RefundFailed, StripePayments
from luckyclub.models import User

__all__ = ["PAYMENTS_UNAVAILABLE", "PaymentProvider", "RefundFailed", "get_payments"]


class PaymentProvider(Protocol):
    """What the app asks of whoever takes its payments. Calls that reach the provider raise
    UserError(PAYMENTS_UNAVAILABLE) when it cannot be reached, except refund (RefundFailed)."""

    def describe(self) -> str:
        """How payments are set up, in a few words for /api/health."""
        ...

    def webhook_secret(self) -> str:
        """The secret the provider's events to /api/stripe/webhook are signed with."""
        ...

    def membership_checkout(
        self,
        user: User,
        *,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """Where the join button sends a member: a subscription checkout's URL."""
        ...

    def portal(self, customer_id: str, return_url: str) -> str:
        """Where "Manage membership" sends a member (update card, cancel)."""
        ...

    def ticket_checkout(
        self,
        *,
        order_id: int,
        user: User,
        title: str,
        quantity: int,
        unit_amount: int,
        currency: str,
        expires_at: int,
        success_url: str,
        cancel_url: str,
    ) -> tuple[str, str]:
        """A one-off checkout for a ticket order: (checkout id, URL to send the buyer to)."""
        ...

    def checkout(self, checkout_id: str) -> dict:
        """A checkout as the provider has it now, shaped like Stripe's Checkout Session."""
        ...

    def expire_checkout(self, checkout_id: str) -> bool:
        """Close an open checkout whose hold ran out; False if it could not be (paid already)."""
        ...

    def refund(self, payment_intent_id: str | None, amount: int, *, key: str) -> str:
        """Refund `amount` of a payment, once per idempotency key; returns the refund's id."""
        ...

    def twin(self) -> LocalPayments:
        """The local twin the test pay pages use; real Stripe refuses with NotAllowed (its own
        pages take real money)."""
        ...


def get_payments() -> PaymentProvider:
    """The payment provider the settings choose."""
    return _provider(get_settings())


@lru_cache(maxsize=4)
def _provider(settings: Settings) -> PaymentProvider:
    return LocalPayments(settings) if settings.stripe_test_mode else StripePayments(settings)

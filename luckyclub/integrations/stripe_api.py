"""Stripe behind one thin adapter, the PaymentProvider of real payments (integrations/payments.py):
Checkout for the membership and for tickets, the customer portal, refunds, and the webhook signing
scheme (so the local test-payment twin signs its events exactly as Stripe does)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime
from typing import Any, NoReturn

import stripe
from stripe.params.checkout import SessionCreateParams

from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.security import keyed_hash
from luckyclub.core.settings import Settings
from luckyclub.models import User

PAYMENTS_UNAVAILABLE = (
    "Payments are unavailable right now; nothing was charged. Try again in a few minutes."
)
TEST_PAYMENTS_OFF = "Test payments are switched off: this site takes real payments."
TIMEOUT_SECONDS = 20  # a member is waiting on the page

log = logging.getLogger(__name__)


def _client(settings: Settings) -> stripe.StripeClient:
    # A client per call: the key and base URL come from these settings, never from globals.
    return stripe.StripeClient(
        settings.stripe_secret_key or "",
        base_addresses={"api": settings.stripe_api_base},
        max_network_retries=1,
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
    )


class RefundFailed(Exception):
    """Stripe did not make the refund this time; it is tried again later."""


class StripePayments:
    """Real payments through Stripe, with the keys and API base these settings name."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> str:
        if not self.settings.stripe_webhook_secret:
            return "misconfigured: set STRIPE_WEBHOOK_SECRET, or Stripe's events are refused"
        return "stripe"

    def webhook_secret(self) -> str:
        return webhook_secret(self.settings)

    def twin(self) -> NoReturn:
        raise NotAllowed(TEST_PAYMENTS_OFF)

    def membership_checkout(
        self,
        user: User,
        *,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """A Checkout Session for the monthly membership; returns the URL to send the member to.

        The user id rides on the session and on the subscription's metadata, so every later event
        (invoices included, which may arrive before the session completes) names its member.
        """
        settings = self.settings
        if not settings.stripe_secret_key or not settings.stripe_membership_price_id:
            log.error("Stripe checkout needs STRIPE_SECRET_KEY and STRIPE_MEMBERSHIP_PRICE_ID")
            raise UserError(PAYMENTS_UNAVAILABLE)
        metadata = {"user_id": str(user.id)}
        params: SessionCreateParams = {
            "mode": "subscription",
            "line_items": [{"price": settings.stripe_membership_price_id, "quantity": 1}],
            "client_reference_id": str(user.id),
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
        }
        if customer_id:
            params["customer"] = customer_id  # a returning member keeps one Stripe customer
        else:
            params["customer_email"] = user.email
        try:
            checkout = _client(settings).v1.checkout.sessions.create(params=params)
        except stripe.StripeError as exc:
            log.warning("Stripe checkout failed: %s: %s", type(exc).__name__, exc)
            raise UserError(PAYMENTS_UNAVAILABLE) from exc
        url = getattr(checkout, "url", None)
        if not url:
            log.warning("Stripe checkout %s came back without a url", getattr(checkout, "id", "?"))
            raise UserError(PAYMENTS_UNAVAILABLE)
        return url

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
        """A one-off Checkout Session for competition tickets: returns (session id, URL).

        The order id rides in the metadata and as client_reference_id, so fulfilment can find the
        order from the event alone; Stripe's idempotency key makes a retried create return the same
        session instead of a second one.
        """
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": quantity,
                    "price_data": {
                        "currency": currency,
                        "unit_amount": unit_amount,
                        "product_data": {"name": f"Ticket: {title}"[:250]},
                    },
                }
            ],
            "client_reference_id": str(order_id),
            "customer_email": user.email,
            "metadata": {"kind": "competition", "order_id": str(order_id), "user_id": str(user.id)},
            "payment_intent_data": {"metadata": {"order_id": str(order_id)}},
            "expires_at": expires_at,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            checkout = _client(self.settings).v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"ticket-order-{order_id}"}
            )
        except stripe.StripeError as exc:
            log.warning("Stripe ticket checkout failed: %s: %s", type(exc).__name__, exc)
            raise UserError(PAYMENTS_UNAVAILABLE) from exc
        url = getattr(checkout, "url", None)
        if not url or not getattr(checkout, "id", None):
            raise UserError(PAYMENTS_UNAVAILABLE)
        return checkout.id, url

    def checkout(self, checkout_id: str) -> dict:
        """A Checkout Session as Stripe has it now (the success page asks, not trusting the URL)."""
        try:
            checkout = _client(self.settings).v1.checkout.sessions.retrieve(checkout_id)
        except stripe.StripeError as exc:
            log.warning("Stripe checkout %s lookup failed: %s", checkout_id, exc)
            raise UserError(PAYMENTS_UNAVAILABLE) from exc
        return checkout.to_dict()

    def expire_checkout(self, checkout_id: str) -> bool:
        """Close an open Checkout Session whose hold ran out; False if Stripe refused (paid
        already)."""
        try:
            _client(self.settings).v1.checkout.sessions.expire(checkout_id)
        except stripe.StripeError as exc:
            log.info("Stripe checkout %s not expired: %s", checkout_id, exc)
            return False
        return True

    def refund(self, payment_intent_id: str | None, amount: int, *, key: str) -> str:
        """Refund a payment (all of `amount`); returns Stripe's refund id. The idempotency key makes
        a retry after a lost answer return the same refund, never a second one.

        Stripe keeps the first answer to a key for 24 hours, errors included, so the caller gives
        each attempt after a failed one a fresh key. That cannot refund twice: Stripe never refunds
        more than was paid, and answers "charge_already_refunded" instead, when the refund made by
        an earlier attempt (whose answer was lost) is looked up and returned.
        """
        if not payment_intent_id:
            raise RefundFailed("the order has no payment to refund")
        client = _client(self.settings)
        try:
            made = client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount},
                options={"idempotency_key": key},
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "charge_already_refunded":
                earlier = self._refund_made(client, payment_intent_id)
                if earlier:
                    return earlier
            raise RefundFailed(f"{type(exc).__name__}: {exc}"[:400]) from exc
        except stripe.StripeError as exc:
            raise RefundFailed(f"{type(exc).__name__}: {exc}"[:400]) from exc
        return made.id

    @staticmethod
    def _refund_made(client: stripe.StripeClient, payment_intent_id: str) -> str | None:
        """The id of a refund already made on this payment (not failed or cancelled), if any."""
        try:
            found = client.v1.refunds.list(
                params={"payment_intent": payment_intent_id, "limit": 10}
            )
        except stripe.StripeError as exc:
            raise RefundFailed(f"{type(exc).__name__}: {exc}"[:400]) from exc
        for made in found.data:
            if made.status not in ("failed", "canceled"):
                return made.id
        return None

    def portal(self, customer_id: str, return_url: str) -> str:
        """A Stripe customer portal session (update card, cancel); returns its URL."""
        try:
            portal = _client(self.settings).v1.billing_portal.sessions.create(
                params={"customer": customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            log.warning("Stripe portal failed: %s: %s", type(exc).__name__, exc)
            raise UserError(PAYMENTS_UNAVAILABLE) from exc
        url = getattr(portal, "url", None)
        if not url:
            raise UserError(PAYMENTS_UNAVAILABLE)
        return url


def object_id(value: Any) -> str | None:
    """A Stripe id, whether the field holds the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# ---- webhook signatures ----------------------------------------------------------------------


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """A Stripe-Signature header: t=<timestamp>,v1=HMAC-SHA256(secret, "<timestamp>.<payload>")."""
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def webhook_secret(settings: Settings) -> str:
    """STRIPE_WEBHOOK_SECRET when set; otherwise the test-payment mode's own secret.

    The fallback is derived from SECRET_KEY, so only this server can sign test events.
    """
    if settings.stripe_webhook_secret:
        return settings.stripe_webhook_secret
    return "whsec_test_" + keyed_hash("stripe-test-mode")[:32]

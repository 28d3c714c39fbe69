"""The local test-payment twin of Stripe, used when no Stripe keys are set: nothing is charged.

Its checkouts are the app's own pay pages (pages/club/membership.py and
pages/competitions/checkout.py). Their Pay and Cancel buttons build the objects Stripe would send,
and the twin signs the events exactly as Stripe does (with the webhook secret), so they go through
the very same webhook code. Checkout ids carry what they are for, signed with SECRET_KEY, so no
table is needed; the ids of the objects an event carries derive from the checkout, so paying twice
replays the same events.
"""

from __future__ import annotations

import calendar
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import stripe

from luckyclub.core import routes, security
from luckyclub.core.settings import Settings
from luckyclub.integrations.stripe_api import sign_payload, webhook_secret
from luckyclub.models import TicketOrder, User, utcnow

MEMBERSHIP_CHECKOUT_TTL = timedelta(hours=1)
MEMBERSHIP_CHECKOUT_PREFIX = "cs_test_local_"
TICKET_CHECKOUT_PREFIX = "cs_test_local_order_"


class LocalPayments:
    """The PaymentProvider (integrations/payments.py) of the test-payment mode."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> str:
        return "test mode (no STRIPE_SECRET_KEY: nothing is charged)"

    def webhook_secret(self) -> str:
        return webhook_secret(self.settings)

    # ---- the provider's side: where checkouts go ----------------------------------------------

    def membership_checkout(
        self,
        user: User,
        *,
        success_url: str,
        cancel_url: str,
        customer_id: str | None = None,
        now: datetime | None = None,
    ) -> str:
        """The test checkout page, with an id that carries its member and expiry, signed."""
        expires = int(((now or utcnow()) + MEMBERSHIP_CHECKOUT_TTL).timestamp())
        nonce = secrets.token_hex(6)
        signature = security.keyed_hash("stripe-test-checkout", str(user.id), str(expires), nonce)
        checkout_id = f"{MEMBERSHIP_CHECKOUT_PREFIX}{user.id}_{expires}_{nonce}_{signature[:32]}"
        return f"{routes.TEST_CHECKOUT}?session={checkout_id}"

    def portal(self, customer_id: str, return_url: str) -> str:
        return routes.TEST_PORTAL

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
        """The test checkout page for an order: (checkout id, URL). The order keeps its own hold
        time, so the id carries only the order and its buyer."""
        nonce = secrets.token_hex(4)
        signature = security.keyed_hash("ticket-test-checkout", str(order_id), str(user.id), nonce)
        checkout_id = f"{TICKET_CHECKOUT_PREFIX}{order_id}_{nonce}_{signature[:24]}"
        return checkout_id, f"{routes.COMPETITION_TEST_CHECKOUT}?session={checkout_id}"

    def checkout(self, checkout_id: str) -> dict:
        """A test checkout is paid only by its Pay button, whose events arrive before the buyer
        is back: asked afterwards, it is still waiting for its payment."""
        return {
            "id": checkout_id,
            "object": "checkout.session",
            "status": "open",
            "payment_status": "unpaid",
        }

    def expire_checkout(self, checkout_id: str) -> bool:
        return True  # the test checkout page reads the order's own status

    def refund(self, payment_intent_id: str | None, amount: int, *, key: str) -> str:
        return "re_test_" + security.keyed_hash("stripe-test-refund", key)[:16]

    def twin(self) -> LocalPayments:
        return self

    # ---- the pay pages' side: what Stripe's own pages would do ----------------------------------

    def is_membership_checkout(
        self, user_id: int, checkout_id: str, now: datetime | None = None
    ) -> bool:
        """Is this a membership checkout this server made for this member, not yet expired?"""
        if not isinstance(checkout_id, str) or not checkout_id.startswith(
            MEMBERSHIP_CHECKOUT_PREFIX
        ):
            return False
        parts = checkout_id.removeprefix(MEMBERSHIP_CHECKOUT_PREFIX).split("_")
        if len(parts) != 4:
            return False
        owner, expires, nonce, signature = parts
        expected = security.keyed_hash("stripe-test-checkout", owner, expires, nonce)[:32]
        if not secrets.compare_digest(signature, expected) or owner != str(user_id):
            return False
        return int(expires) >= (now or utcnow()).timestamp()

    def ticket_order_id(self, user_id: int, checkout_id: str) -> int | None:
        """The order a ticket checkout id names, if this server made it for this buyer."""
        parts = (checkout_id or "").removeprefix(TICKET_CHECKOUT_PREFIX).split("_")
        if not (checkout_id or "").startswith(TICKET_CHECKOUT_PREFIX) or len(parts) != 3:
            return None
        order_id, nonce, signature = parts
        expected = security.keyed_hash("ticket-test-checkout", order_id, str(user_id), nonce)
        if not secrets.compare_digest(signature, expected[:24]):
            return None
        return int(order_id)

    def membership_purchase(
        self, user_id: int, email: str, checkout_id: str, customer_id: str | None
    ) -> MembershipPurchase:
        """A paid membership checkout. A member who comes back stays one customer, as Checkout
        with `customer` would do."""
        return MembershipPurchase(
            user_id=user_id,
            email=email,
            checkout_id=checkout_id,
            customer_id=customer_id or "cus_test_" + _test_id("customer", user_id),
            price_id=self.settings.stripe_membership_price_id or "price_test_membership",
            now=int(time.time()),
        )

    def cancelled_subscription(
        self, user_id: int, subscription_id: str, customer_id: str | None, now: int
    ) -> dict:
        """The subscription as customer.subscription.deleted carries it (the portal's Cancel)."""
        return {
            "id": subscription_id,
            "object": "subscription",
            "customer": customer_id,
            "status": "canceled",
            "metadata": {"user_id": str(user_id)},
            "canceled_at": now,
            "ended_at": now,
            "livemode": False,
        }

    def paid_ticket_checkout(self, order: TicketOrder, checkout_id: str, email: str) -> dict:
        """The Checkout Session as checkout.session.completed carries it once the buyer paid."""
        return {
            "id": checkout_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": order.amount_pence,
            "currency": "gbp",
            "client_reference_id": str(order.id),
            "customer_email": email,
            "payment_intent": "pi_test_" + security.keyed_hash("test-intent", checkout_id)[:16],
            "metadata": {
                "kind": "competition",
                "order_id": str(order.id),
                "user_id": str(order.user_id),
            },
            "livemode": False,
        }

    def signed_event(self, event_type: str, obj: dict, *, key: str, now: int) -> tuple[bytes, str]:
        """An event as Stripe would POST it: (body, Stripe-Signature header). Its id derives from
        the type and `key`, so sending it again is a replay."""
        event = {
            "id": "evt_test_" + _test_id(event_type, key),
            "object": "event",
            "api_version": stripe.api_version,
            "created": now,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        }
        payload = json.dumps(event).encode()
        return payload, sign_payload(payload, self.webhook_secret(), now)


@dataclass(frozen=True)
class MembershipPurchase:
    """One test membership checkout, as the Stripe objects its events carry (API 2026-10)."""

    user_id: int
    email: str
    checkout_id: str
    customer_id: str
    price_id: str
    now: int

    def events(self) -> list[tuple[str, dict]]:
        """Stripe's usual order: the invoice is paid before the checkout reports completion."""
        return [
            ("customer.subscription.created", self.subscription()),
            ("invoice.paid", self.invoice()),
            ("checkout.session.completed", self.checkout_session()),
        ]

    @property
    def subscription_id(self) -> str:
        return "sub_test_" + _test_id("subscription", self.checkout_id)

    @property
    def invoice_id(self) -> str:
        return "in_test_" + _test_id("invoice", self.checkout_id)

    @property
    def metadata(self) -> dict[str, str]:
        return {"user_id": str(self.user_id)}

    @property
    def period(self) -> tuple[int, int]:
        end = _one_month_later(datetime.fromtimestamp(self.now, UTC))
        return self.now, int(end.timestamp())

    def subscription(self) -> dict:
        start, end = self.period
        item = {
            "id": "si_test_" + _test_id("item", self.checkout_id),
            "object": "subscription_item",
            "price": {"id": self.price_id, "object": "price", "type": "recurring"},
            "quantity": 1,
            "current_period_start": start,
            "current_period_end": end,
        }
        return {
            "id": self.subscription_id,
            "object": "subscription",
            "customer": self.customer_id,
            "status": "active",
            "metadata": self.metadata,
            "cancel_at_period_end": False,
            "created": self.now,
            "start_date": self.now,
            "livemode": False,
            "items": {"object": "list", "has_more": False, "data": [item]},
        }

    def invoice(self) -> dict:
        start, end = self.period
        line = {
            "id": "il_test_" + _test_id("line", self.checkout_id),
            "object": "line_item",
            "invoice": self.invoice_id,
            "quantity": 1,
            "period": {"start": start, "end": end},
            "pricing": {"type": "price_details", "price_details": {"price": self.price_id}},
        }
        return {
            "id": self.invoice_id,
            "object": "invoice",
            "customer": self.customer_id,
            "customer_email": self.email,
            "billing_reason": "subscription_create",
            "status": "paid",
            "created": self.now,
            "livemode": False,
            "subscription": self.subscription_id,  # API versions before 2025-03
            "subscription_details": {"metadata": self.metadata},
            "parent": {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {
                    "metadata": self.metadata,
                    "subscription": self.subscription_id,
                },
            },
            "lines": {"object": "list", "has_more": False, "data": [line]},
        }

    def checkout_session(self) -> dict:
        return {
            "id": self.checkout_id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "complete",
            "payment_status": "paid",
            "client_reference_id": str(self.user_id),
            "customer": self.customer_id,
            "customer_email": self.email,
            "customer_details": {"email": self.email},
            "subscription": self.subscription_id,
            "metadata": self.metadata,
            "created": self.now,
            "livemode": False,
        }


def _test_id(kind: str, source: object) -> str:
    return security.keyed_hash("stripe-test-id", kind, str(source))[:16]


def _one_month_later(moment: datetime) -> datetime:
    year, month = moment.year + moment.month // 12, moment.month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)

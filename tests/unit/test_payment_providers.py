"""Settings choose the payment provider once: Stripe with a secret key, else the local test twin,
which signs its events as Stripe does. (That adapters import no service: test_engine_layers.py.)"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
import stripe

from luckyclub.core.errors import NotAllowed
from luckyclub.core.settings import get_settings
from luckyclub.integrations import payments
from luckyclub.integrations.local_payments import LocalPayments
from luckyclub.integrations.stripe_api import StripePayments


def settings(**values):
    return dataclasses.replace(get_settings(), **values)


def test_without_a_stripe_key_payments_go_to_the_local_twin(monkeypatch):
    monkeypatch.setattr(payments, "get_settings", lambda: settings(stripe_secret_key=None))

    provider = payments.get_payments()

    assert isinstance(provider, LocalPayments)
    assert provider.twin() is provider
    assert provider.describe().startswith("test mode")


def test_with_a_stripe_key_payments_go_to_stripe_and_test_payments_are_refused(monkeypatch):
    live = settings(stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_live")
    monkeypatch.setattr(payments, "get_settings", lambda: live)

    provider = payments.get_payments()

    assert isinstance(provider, StripePayments)
    assert provider.describe() == "stripe"
    with pytest.raises(NotAllowed):
        provider.twin()


def test_the_twins_events_are_signed_as_stripe_signs_them():
    twin = LocalPayments(settings(stripe_secret_key=None, stripe_webhook_secret=None))
    now = int(time.time())

    payload, header = twin.signed_event("invoice.paid", {"id": "in_1"}, key="k", now=now)
    again, _ = twin.signed_event("invoice.paid", {"id": "in_1"}, key="k", now=now + 5)

    event = stripe.Webhook.construct_event(payload, header, twin.webhook_secret())
    assert event["type"] == "invoice.paid" and event["data"]["object"]["id"] == "in_1"
    assert json.loads(again)["id"] == event["id"]  # the same key is the same event: a replay


def test_a_twin_checkout_id_is_good_only_for_its_own_member():
    twin = LocalPayments(settings(stripe_secret_key=None))

    url = twin.membership_checkout(_User(7), success_url="", cancel_url="")
    checkout_id = url.split("session=", 1)[1]

    assert twin.is_membership_checkout(7, checkout_id)
    assert not twin.is_membership_checkout(8, checkout_id)
    order_checkout, _ = twin.ticket_checkout(
        order_id=12,
        user=_User(7),
        title="",
        quantity=1,
        unit_amount=100,
        currency="gbp",
        expires_at=0,
        success_url="",
        cancel_url="",
    )
    assert twin.ticket_order_id(7, order_checkout) == 12
    assert twin.ticket_order_id(8, order_checkout) is None


@dataclasses.dataclass
class _User:
    id: int
    email: str = "ann@example.com"

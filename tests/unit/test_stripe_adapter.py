"""The Stripe adapter's signing helpers: what test mode signs, Stripe's own library accepts."""

from __future__ import annotations

import dataclasses
import time

import pytest
import stripe

from luckyclub.core.settings import get_settings
from luckyclub.integrations.stripe_api import sign_payload, webhook_secret

PAYLOAD = b'{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}'


def test_the_signature_header_is_the_one_stripes_library_makes():
    ours = sign_payload(PAYLOAD, "whsec_abc", 1_700_000_000)

    theirs = stripe.WebhookSignature.generate_signature_header(
        PAYLOAD.decode(), "whsec_abc", timestamp=1_700_000_000
    )

    assert ours == theirs
    assert ours.startswith("t=1700000000,v1=")


def test_stripes_library_accepts_our_signature_and_refuses_another_secrets():
    header = sign_payload(PAYLOAD, "whsec_abc", int(time.time()))

    assert stripe.Webhook.construct_event(PAYLOAD, header, "whsec_abc")["id"] == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(PAYLOAD, header, "whsec_other")


def test_the_configured_webhook_secret_wins():
    settings = dataclasses.replace(get_settings(), stripe_webhook_secret="whsec_configured")

    assert webhook_secret(settings) == "whsec_configured"


def test_without_a_configured_secret_test_mode_has_a_stable_secret_of_its_own():
    settings = dataclasses.replace(get_settings(), stripe_webhook_secret=None)

    secret = webhook_secret(settings)

    assert secret.startswith("whsec_test_") and len(secret) == len("whsec_test_") + 32
    assert webhook_secret(settings) == secret
    assert get_settings().secret_key not in secret

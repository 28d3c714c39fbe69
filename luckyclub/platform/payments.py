"""Payments: every event the payment provider sends to POST /api/stripe/webhook, applied once.

The signature is checked against the provider's secret (Stripe's, or the local test twin's, which
signs exactly as Stripe does). Each event id is claimed in `stripe_event` in the same transaction as
its effects, so a replay, or the same event delivered twice at once, changes nothing. The event then
goes to the handler a mode registered for its type: the platform knows no mode (modes.py imports
them, and each registers what it takes, as each registers its draw pool).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.integrations.payments import get_payments
from luckyclub.models import StripeEvent

log = logging.getLogger(__name__)

# A handler applies one event inside the transaction that claims it; it returns a short outcome
# for the log and the HTTP answer ("ignored: …" for an event that turns out not to be its).
Handler = Callable[[Session, dict], str]

_handlers: dict[tuple[str, str | None], Handler] = {}


class BadSignature(UserError):
    """The request is not a genuine event for this server; nothing was changed."""


class MalformedEvent(UserError):
    """Correctly signed, but not an event this server can read; nothing was changed."""


def register(event_type: str, handler: Handler, *, checkout_mode: str | None = None) -> Handler:
    """Send events of this type to `handler`. One Checkout Session event type serves several
    modes, so `checkout_mode` narrows it to sessions of that mode ("payment", "subscription")."""
    _handlers[(event_type, checkout_mode)] = handler
    return handler


def handle_webhook(payload: bytes, signature_header: str | None) -> str:
    """Verify one delivery and apply it exactly once.

    Returns a short outcome for the log and the HTTP answer: "duplicate" for an event already
    recorded, "ignored" for one no mode takes (recorded too, so a replay is a duplicate). Raises
    BadSignature or MalformedEvent (both UserErrors) for a request that must be refused.
    """
    event = _verified_event(payload, signature_header)
    with db.session_scope() as session:
        if session.get(StripeEvent, event["id"]) is not None:
            return "duplicate"
        try:
            with session.begin_nested():  # a concurrent delivery of the same event loses here
                session.add(StripeEvent(id=event["id"], type=event["type"][:100]))
        except IntegrityError:
            return "duplicate"
        handler = _handler_for(event)
        outcome = handler(session, event) if handler else "ignored"
    log.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return outcome


def send_test_event(event_type: str, obj: dict, *, key: str, now: int) -> str:
    """What Stripe would send after a test pay page's button, signed by the local twin and
    handled as a delivery. With real Stripe there are no test payments (NotAllowed)."""
    payload, signature = get_payments().twin().signed_event(event_type, obj, key=key, now=now)
    return handle_webhook(payload, signature)


def _handler_for(event: dict) -> Handler | None:
    mode = event["data"]["object"].get("mode")
    if event["type"].startswith("checkout.session.") and isinstance(mode, str):
        return _handlers.get((event["type"], mode))
    return _handlers.get((event["type"], None))


def _verified_event(payload: bytes, signature_header: str | None) -> dict[str, Any]:
    secret = get_payments().webhook_secret()
    try:
        stripe.Webhook.construct_event(payload, signature_header, secret)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature(
            "The Stripe-Signature header does not match this request; nothing was changed."
        ) from exc
    except (ValueError, TypeError, AttributeError) as exc:  # not UTF-8, not JSON, not an event
        raise MalformedEvent("This is not a Stripe event; nothing was changed.") from exc
    event = json.loads(payload)
    data = event.get("data") if isinstance(event, dict) else None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and 0 < len(event["id"]) <= 100
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(data, dict)
        and isinstance(data.get("object"), dict)
    ):
        raise MalformedEvent("This Stripe event lacks an id, type, time or object.")
    return event

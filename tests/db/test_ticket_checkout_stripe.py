"""Ticket checkouts in live mode against a fake Stripe on 127.0.0.1 (tests/fake_stripe.py): real
HTTP both ways, the stripe-python client on our side and signed webhook deliveries to the app's own
endpoint served by uvicorn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import func, select

from luckyclub.competitions import fulfilment, orders, refunds
from luckyclub.competitions.checkout import expire_holds, start_checkout
from luckyclub.core.errors import UserError
from luckyclub.integrations.stripe_api import PAYMENTS_UNAVAILABLE
from luckyclub.models import (
    Channel,
    Competition,
    OrderStatus,
    OutboxMessage,
    Role,
    StripeEvent,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    utcnow,
)
from tests.db.factories import add_buyer, add_competition, add_user
from tests.fake_stripe import CARD_ERROR, SERVER_ERROR, FakeStripe
from tests.served import serve_api


@pytest.fixture()
def stripe(app_db, settings_env) -> Iterator[FakeStripe]:
    """Live mode: the app's Stripe is the fake, and the fake's webhooks reach the served app."""
    with FakeStripe().running() as fake, serve_api() as api:
        settings_env(
            STRIPE_SECRET_KEY=fake.secret_key,
            STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
            STRIPE_API_BASE=fake.url,
        )
        fake.webhook_url = api + "/api/stripe/webhook"
        yield fake


@pytest.fixture()
def admin(session) -> User:
    return add_user(session, "admin@example.com", Role.ADMIN)


@pytest.fixture()
def ann(session) -> User:
    return add_buyer(session, "ann@example.com")


def order_of(session, order_id: int) -> TicketOrder:
    return session.get(TicketOrder, order_id, populate_existing=True)


def counts(session, competition) -> tuple[int, int]:
    row = session.get(Competition, competition.id, populate_existing=True)
    return row.sold, row.held


def emails(session, template: str) -> list[str]:
    query = select(OutboxMessage.to_address).where(OutboxMessage.template == template)
    return list(session.exec(query).all())


def klaviyo_events(session) -> list[tuple[str, str]]:
    """The Klaviyo events queued, as (event, unique id)."""
    query = select(OutboxMessage).where(OutboxMessage.channel == Channel.KLAVIYO)
    events = [json.loads(m.payload)["data"]["attributes"] for m in session.exec(query).all()]
    return [(e["metric"]["data"]["attributes"]["name"], e["unique_id"]) for e in events]


def paid_order(session, stripe, buyer, competition, quantity=2) -> TicketOrder:
    checkout = start_checkout(buyer.id, competition.id, quantity, "Paris")
    status, _ = stripe.pay(order_of(session, checkout.order_id).checkout_id)
    assert status == 200
    return order_of(session, checkout.order_id)


def test_checkout_creates_a_stripe_session_for_the_held_tickets(session, stripe, admin, ann):
    competition = add_competition(session, admin, ticket_price_pence=250)
    before = int(time.time())

    checkout = start_checkout(ann.id, competition.id, 3, "Paris")

    [created] = stripe.requests_to("POST", "/v1/checkout/sessions")
    order = order_of(session, checkout.order_id)
    assert checkout.url == stripe.sessions[order.checkout_id]["url"]
    assert order.checkout_id.startswith("cs_test_") and order.status == OrderStatus.PENDING
    assert created.headers["authorization"] == "Bearer sk_test_x"
    assert created.idempotency_key == f"ticket-order-{order.id}"
    form = created.form
    assert form["mode"] == "payment"
    [item] = form["line_items"]
    assert item["quantity"] == "3"
    assert item["price_data"]["unit_amount"] == "250"
    assert item["price_data"]["currency"] == competition.currency
    assert form["metadata"]["order_id"] == str(order.id)
    assert form["client_reference_id"] == str(order.id)
    assert int(form["expires_at"]) >= before + 30 * 60
    assert f"order={order.id}" in form["success_url"]
    assert counts(session, competition) == (0, 3)


def test_paying_numbers_the_tickets_through_the_signed_webhook(session, stripe, admin, ann):
    competition = add_competition(session, admin)

    order = paid_order(session, stripe, ann, competition, quantity=2)

    assert order.status == OrderStatus.PAID
    assert order.payment_intent_id.startswith("pi_")
    assert order.fulfilled_by.startswith("evt_")
    assert orders.member_numbers(session, ann.id, competition.id) == [1, 2]
    assert counts(session, competition) == (2, 0)
    assert emails(session, "order_placed") == ["ann@example.com"]


def test_the_success_page_fulfils_when_the_webhook_is_late_and_the_webhook_then_changes_nothing(
    session, stripe, admin, ann
):
    competition = add_competition(session, admin)
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = order_of(session, checkout.order_id).checkout_id
    stripe.pay(checkout_id, deliver=False)  # paid, but the event has not arrived

    shown = fulfilment.confirm(ann.id, checkout_id)

    assert shown.outcome == "numbered" and shown.numbers == (1, 2)
    assert [r.path for r in stripe.requests_to("GET", "/v1/checkout/sessions/*")] == [
        f"/v1/checkout/sessions/{checkout_id}"
    ]
    assert order_of(session, checkout.order_id).fulfilled_by == "success page"

    status, answer = stripe.deliver(stripe.event_payload("checkout.session.completed", checkout_id))

    assert status == 200 and answer["outcome"].startswith("duplicate")
    assert session.exec(select(func.count()).select_from(Ticket)).one() == 2
    assert counts(session, competition) == (2, 0)
    assert emails(session, "order_placed") == ["ann@example.com"]
    assert fulfilment.confirm(ann.id, checkout_id).numbers == (1, 2)  # a reload shows the same


def test_an_unpaid_session_on_the_success_page_waits(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    checkout = start_checkout(ann.id, competition.id, 1, "Paris")

    shown = fulfilment.confirm(ann.id, order_of(session, checkout.order_id).checkout_id)

    assert shown.outcome == "waiting"
    assert counts(session, competition) == (0, 1)


def test_a_hold_that_runs_out_expires_the_stripe_session(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = order_of(session, checkout.order_id).checkout_id

    assert expire_holds(utcnow() + timedelta(minutes=16)) == 1

    [expired] = stripe.requests_to("POST", "/v1/checkout/sessions/*")
    assert expired.path == f"/v1/checkout/sessions/{checkout_id}/expire"
    assert stripe.sessions[checkout_id]["status"] == "expired"
    assert order_of(session, checkout.order_id).status == OrderStatus.EXPIRED
    assert counts(session, competition) == (0, 0)


def test_an_admin_refund_asks_stripe_once_with_the_orders_key(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    order = paid_order(session, stripe, ann, competition, quantity=2)

    refunds.refund_order(session, admin, order.id, "Bought by mistake")
    session.commit()
    assert refunds.process_refunds() == {"refunded": 1, "retrying": 0}
    assert refunds.process_refunds() == {"refunded": 0, "retrying": 0}

    [asked] = stripe.requests_to("POST", "/v1/refunds")
    assert asked.idempotency_key == f"refund-order-{order.id}"
    assert asked.form == {"payment_intent": order.payment_intent_id, "amount": "500"}
    [refund] = stripe.refunds.values()
    order = order_of(session, order.id)
    assert order.status == OrderStatus.REFUNDED and order.refund_id == refund["id"]
    assert refund["amount"] == order.amount_pence
    statuses = session.exec(select(Ticket.status).where(Ticket.order_id == order.id)).all()
    assert set(statuses) == {TicketStatus.REFUNDED}
    assert emails(session, "order_refunded") == ["ann@example.com"]


def test_a_refund_stripe_refuses_twice_is_retried_with_back_off_and_made_once(
    session, stripe, admin, ann
):
    competition = add_competition(session, admin)
    order = paid_order(session, stripe, ann, competition)
    refunds.refund_order(session, admin, order.id, "Bought by mistake")
    session.commit()
    stripe.fail("POST /v1/refunds", CARD_ERROR, CARD_ERROR)
    now = utcnow()

    assert refunds.process_refunds(now) == {"refunded": 0, "retrying": 1}
    first_wait = order_of(session, order.id).refund_next_at - now
    assert refunds.process_refunds(now + first_wait - timedelta(seconds=1))["retrying"] == 0
    later = now + first_wait
    assert refunds.process_refunds(later) == {"refunded": 0, "retrying": 1}
    second_wait = order_of(session, order.id).refund_next_at - later
    assert second_wait == 2 * first_wait  # backing off
    assert refunds.process_refunds(later + second_wait) == {"refunded": 1, "retrying": 0}

    asked = stripe.requests_to("POST", "/v1/refunds")
    assert len(asked) == 3
    # Stripe replays its first answer to a key, a refusal too: each attempt brings its own.
    assert [r.idempotency_key for r in asked] == [
        f"refund-order-{order.id}",
        f"refund-order-{order.id}-retry-1",
        f"refund-order-{order.id}-retry-2",
    ]
    assert len(stripe.refunds) == 1
    done = order_of(session, order.id)
    assert done.status == OrderStatus.REFUNDED and done.refund_attempts == 2
    assert done.refund_id in stripe.refunds


def test_a_refund_after_a_stripe_server_error_is_made_once(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    order = paid_order(session, stripe, ann, competition)
    refunds.refund_order(session, admin, order.id, "Bought by mistake")
    session.commit()
    stripe.fail("POST /v1/refunds", SERVER_ERROR)
    now = utcnow()

    assert refunds.process_refunds(now)["retrying"] == 1
    assert refunds.process_refunds(now + timedelta(hours=2))["refunded"] == 1

    assert len(stripe.refunds) == 1
    assert order_of(session, order.id).status == OrderStatus.REFUNDED


def test_a_refund_whose_answers_were_lost_is_found_not_made_again(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    order = paid_order(session, stripe, ann, competition)
    refunds.refund_order(session, admin, order.id, "Bought by mistake")
    session.commit()
    stripe.lose_answers("POST /v1/refunds", 2)  # the client's own retry is lost too
    now = utcnow()

    assert refunds.process_refunds(now)["retrying"] == 1
    assert len(stripe.refunds) == 1  # made, though nobody heard
    assert refunds.process_refunds(now + timedelta(hours=2))["refunded"] == 1

    [refund] = stripe.refunds.values()
    assert order_of(session, order.id).refund_id == refund["id"]
    assert len(stripe.requests_to("GET", "/v1/refunds")) == 1


def test_stripe_unreachable_at_checkout_releases_the_hold(
    session, settings_env, stripe, admin, ann
):
    competition = add_competition(session, admin)
    settings_env(STRIPE_API_BASE="http://127.0.0.1:9")  # nothing listens on the discard port

    with pytest.raises(UserError) as refused:
        start_checkout(ann.id, competition.id, 2, "Paris")

    assert refused.value.message == PAYMENTS_UNAVAILABLE
    assert refused.value.message.startswith("Payments are unavailable")
    assert counts(session, competition) == (0, 0)
    [order] = session.exec(select(TicketOrder)).all()
    assert order.status == OrderStatus.EXPIRED


def test_stripe_failing_at_checkout_releases_the_hold(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    stripe.fail("POST /v1/checkout/sessions", CARD_ERROR)

    with pytest.raises(UserError, match="Payments are unavailable"):
        start_checkout(ann.id, competition.id, 2, "Paris")

    assert counts(session, competition) == (0, 0)


def test_checkout_started_reaches_klaviyo_only_when_the_checkout_really_started(
    session, settings_env, stripe, admin, ann
):
    settings_env(KLAVIYO_API_KEY="pk_test_local")
    competition = add_competition(session, admin)
    stripe.fail("POST /v1/checkout/sessions", CARD_ERROR)

    with pytest.raises(UserError, match="Payments are unavailable"):
        start_checkout(ann.id, competition.id, 2, "Paris")
    assert klaviyo_events(session) == []  # the hold went, and so does the event

    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    assert klaviyo_events(session) == [
        ("Checkout Started", f"checkout-started-{checkout.order_id}")
    ]


def test_a_forged_signature_is_refused_and_changes_nothing(session, stripe, admin, ann):
    competition = add_competition(session, admin)
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = order_of(session, checkout.order_id).checkout_id
    stripe.pay(checkout_id, deliver=False)
    payload = stripe.event_payload("checkout.session.completed", checkout_id)

    status, answer = stripe.deliver(payload, secret="whsec_someone_else")

    assert status == 400 and "Stripe-Signature" in answer["message"]
    assert order_of(session, checkout.order_id).status == OrderStatus.PENDING
    assert session.exec(select(func.count()).select_from(StripeEvent)).one() == 0
    assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    assert counts(session, competition) == (0, 2)

    stale = stripe.deliver(payload, timestamp=int(time.time()) - 3600)  # a replay from long ago
    assert stale[0] == 400
    assert stripe.deliver(payload)[0] == 200  # the genuine delivery still counts
    assert order_of(session, checkout.order_id).status == OrderStatus.PAID

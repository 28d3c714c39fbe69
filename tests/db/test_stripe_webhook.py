"""The Stripe webhook through a real ASGI client, with real signatures: refused forgeries, replays
that change nothing, and events that arrive late or in the wrong order."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from luckyclub.api.routes import build_api
from luckyclub.club import ledger, membership
from luckyclub.club.raffles import month_of
from luckyclub.integrations.stripe_api import sign_payload
from luckyclub.models import EntryLedger, Membership, MembershipStatus, StripeEvent, User, utcnow
from luckyclub.platform import payments
from tests.db.factories import add_open_raffle, add_user

SECRET = "whsec_test_webhook_suite"


@pytest.fixture()
def stripe_settings(settings_env):
    return settings_env(STRIPE_WEBHOOK_SECRET=SECRET)


@pytest.fixture()
def client(app_db, stripe_settings):
    with TestClient(build_api()) as client:
        yield client


@pytest.fixture()
def member(session) -> User:
    return add_user(session, "ann@example.com")


@pytest.fixture()
def raffle(session):
    return add_open_raffle(session, month=month_of(utcnow()), base_entries=15)


# ---- Stripe-shaped events ---------------------------------------------------------------------

_counter = iter(range(1, 1_000_000))


def event(event_type: str, obj: dict, *, created: int | None = None, event_id: str = "") -> dict:
    return {
        "id": event_id or f"evt_{next(_counter)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }


def checkout_completed(user: User, **extra) -> dict:
    return event(
        "checkout.session.completed",
        {
            "id": "cs_1",
            "object": "checkout.session",
            "mode": "subscription",
            "payment_status": "paid",
            "client_reference_id": str(user.id),
            "customer": "cus_1",
            "customer_details": {"email": user.email},
            "subscription": "sub_1",
            "metadata": {"user_id": str(user.id)},
        },
        **extra,
    )


def subscription(user: User, event_type: str, status: str, sub: str = "sub_1", **extra) -> dict:
    return event(
        event_type,
        {
            "id": sub,
            "object": "subscription",
            "customer": "cus_1",
            "status": status,
            "metadata": {"user_id": str(user.id)},
        },
        **extra,
    )


def invoice(
    user: User | None,
    event_type: str = "invoice.paid",
    *,
    invoice_id: str = "in_1",
    sub: str = "sub_1",
    api: str = "new",
    **extra,
) -> dict:
    """An invoice as Stripe sends it: since API 2025-03 the subscription sits under `parent`."""
    now = int(time.time())
    metadata = {"user_id": str(user.id)} if user else {}
    obj = {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_1",
        "customer_email": user.email if user else "nobody@example.com",
        "lines": {
            "object": "list",
            "data": [{"id": "il_1", "period": {"start": now, "end": now + 30 * 86400}}],
        },
    }
    if api == "new":
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"metadata": metadata, "subscription": sub},
        }
    else:
        obj["subscription"] = sub
        obj["subscription_details"] = {"metadata": metadata}
    return event(event_type, obj, **extra)


def post(client, body: dict | bytes, *, secret: str = SECRET, timestamp: int | None = None):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    header = sign_payload(payload, secret, timestamp or int(time.time()))
    return client.post(
        "/api/stripe/webhook",
        content=payload,
        headers={"stripe-signature": header, "content-type": "application/json"},
    )


# ---- reading the outcome in a fresh transaction -----------------------------------------------


def membership_of(app_db, user: User) -> Membership | None:
    with Session(app_db) as s:
        return membership.membership_for(s, user.id)


def entries(app_db, raffle, user: User) -> int:
    with Session(app_db) as s:
        return ledger.balance(s, raffle.id, user.id)


def count(app_db, model) -> int:
    with Session(app_db) as s:
        return s.exec(select(func.count()).select_from(model)).one()


# ---- signatures -------------------------------------------------------------------------------


def test_a_correctly_signed_event_is_accepted(client, member, raffle, app_db):
    response = post(client, invoice(member))

    assert response.status_code == 200
    assert response.json()["received"] is True
    assert response.json()["outcome"].startswith("membership active")
    assert membership_of(app_db, member).status == MembershipStatus.ACTIVE


def _wrong_secret(client, payload):
    header = sign_payload(payload, "whsec_someone_else", int(time.time()))
    return client.post("/api/stripe/webhook", content=payload, headers={"stripe-signature": header})


def _no_header(client, payload):
    return client.post("/api/stripe/webhook", content=payload)


def _tampered_body(client, payload):
    header = sign_payload(payload, SECRET, int(time.time()))
    forged = payload.replace(b'"in_1"', b'"in_2"')
    assert forged != payload
    return client.post("/api/stripe/webhook", content=forged, headers={"stripe-signature": header})


def _old_timestamp(client, payload):
    header = sign_payload(payload, SECRET, int(time.time()) - 600)
    return client.post("/api/stripe/webhook", content=payload, headers={"stripe-signature": header})


def _garbage_header(client, payload):
    return client.post(
        "/api/stripe/webhook", content=payload, headers={"stripe-signature": "t=soon,v1=nope"}
    )


@pytest.mark.parametrize(
    "send", [_wrong_secret, _no_header, _tampered_body, _old_timestamp, _garbage_header]
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, member, raffle, app_db, send):
    payload = json.dumps(invoice(member)).encode()

    response = send(client, payload)

    assert response.status_code == 400
    assert "Stripe-Signature" in response.json()["message"]
    assert count(app_db, StripeEvent) == 0
    assert membership_of(app_db, member) is None
    assert entries(app_db, raffle, member) == 0


@pytest.mark.parametrize(
    "payload", [b"{not json", b'["a list"]', b"\xff\xfe", b'{"object": "event"}', b""]
)
def test_a_signed_body_that_is_not_an_event_is_refused_with_a_sentence(client, app_db, payload):
    response = post(client, payload)

    assert response.status_code == 400
    assert "Stripe event" in response.json()["message"]
    assert count(app_db, StripeEvent) == 0


def test_without_a_configured_secret_stripes_real_signatures_are_refused(
    client, member, settings_env
):
    settings_env(STRIPE_WEBHOOK_SECRET=None)

    response = post(client, invoice(member))

    assert response.status_code == 400


# ---- replays and order ------------------------------------------------------------------------


def test_the_same_invoice_paid_event_five_times_credits_base_entries_once(
    client, member, raffle, app_db
):
    paid = invoice(member)

    outcomes = [post(client, paid).json()["outcome"] for _ in range(5)]

    assert outcomes[0] == f"membership active; 15 base entries in {raffle.month}"
    assert outcomes[1:] == ["duplicate"] * 4
    assert entries(app_db, raffle, member) == 15
    assert count(app_db, StripeEvent) == 1
    assert count(app_db, EntryLedger) == 1


def test_the_same_event_delivered_by_five_threads_at_once_is_applied_once(
    stripe_settings, member, raffle, app_db
):
    payload = json.dumps(invoice(member)).encode()
    header = sign_payload(payload, SECRET, int(time.time()))
    start_together = threading.Barrier(5)
    outcomes: list[str] = []

    def deliver():
        start_together.wait()
        outcomes.append(payments.handle_webhook(payload, header))

    workers = [threading.Thread(target=deliver) for _ in range(5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(outcomes)[:4] == ["duplicate"] * 4 and len(outcomes) == 5
    assert entries(app_db, raffle, member) == 15


def test_invoice_paid_before_checkout_completed_gives_exactly_one_month_of_entries(
    client, member, raffle, app_db
):
    assert post(client, invoice(member)).status_code == 200
    assert post(client, subscription(member, "customer.subscription.created", "active")).is_success
    assert post(client, checkout_completed(member)).status_code == 200

    row = membership_of(app_db, member)
    assert row.status == MembershipStatus.ACTIVE
    assert (row.stripe_customer_id, row.stripe_subscription_id) == ("cus_1", "sub_1")
    assert row.current_period_end is not None
    assert entries(app_db, raffle, member) == 15


def test_an_invoice_in_the_older_api_shape_finds_its_member(client, member, raffle, app_db):
    response = post(client, invoice(member, api="old"))

    assert response.status_code == 200
    assert membership_of(app_db, member).status == MembershipStatus.ACTIVE
    assert entries(app_db, raffle, member) == 15


def test_an_invoice_without_our_metadata_finds_the_member_by_the_stored_customer(
    client, member, raffle, app_db
):
    post(client, checkout_completed(member))

    response = post(client, invoice(None))

    assert response.json()["outcome"].endswith(f"15 base entries in {raffle.month}")
    assert entries(app_db, raffle, member) == 15


def test_two_invoices_in_one_month_credit_the_months_base_entries_once(
    client, member, raffle, app_db
):
    post(client, invoice(member, invoice_id="in_1"))
    post(client, invoice(member, invoice_id="in_2"))

    assert entries(app_db, raffle, member) == 15


def test_without_a_raffle_for_the_month_the_member_is_active_with_no_entries(
    client, member, app_db
):
    response = post(client, invoice(member))

    assert (
        response.json()["outcome"] == f"membership active; no raffle for {month_of(utcnow())} yet"
    )
    assert membership_of(app_db, member).status == MembershipStatus.ACTIVE
    assert count(app_db, EntryLedger) == 0


def test_subscription_deleted_lapses_the_membership_and_earned_entries_stay(
    client, member, raffle, app_db
):
    now = int(time.time())
    post(client, invoice(member, created=now - 60))

    response = post(client, subscription(member, "customer.subscription.deleted", "canceled"))

    assert response.json()["outcome"] == "membership lapsed"
    assert membership_of(app_db, member).status == MembershipStatus.LAPSED
    assert entries(app_db, raffle, member) == 15


def test_a_stale_subscription_update_arriving_after_deletion_does_not_reactivate(
    client, member, raffle, app_db
):
    now = int(time.time())
    post(client, invoice(member, created=now - 120))
    post(client, subscription(member, "customer.subscription.deleted", "canceled", created=now))

    late = subscription(member, "customer.subscription.updated", "active", created=now - 60)
    response = post(client, late)

    assert response.status_code == 200
    assert response.json()["outcome"] == "older event; membership stays lapsed"
    assert membership_of(app_db, member).status == MembershipStatus.LAPSED


def test_a_stale_invoice_paid_still_credits_but_does_not_reactivate(client, member, raffle, app_db):
    now = int(time.time())
    post(client, subscription(member, "customer.subscription.deleted", "canceled", created=now))

    response = post(client, invoice(member, created=now - 60))

    assert response.json()["outcome"].startswith("older event; membership stays lapsed; 15")
    assert membership_of(app_db, member).status == MembershipStatus.LAPSED
    assert entries(app_db, raffle, member) == 15


def test_a_failed_payment_lapses_the_membership(client, member, raffle, app_db):
    now = int(time.time())
    post(client, invoice(member, created=now - 60))

    response = post(client, invoice(member, "invoice.payment_failed", invoice_id="in_2"))

    assert response.json()["outcome"] == "membership lapsed"
    assert membership_of(app_db, member).status == MembershipStatus.LAPSED
    assert entries(app_db, raffle, member) == 15


def test_a_payment_after_a_failure_makes_the_member_active_again(client, member, raffle, app_db):
    now = int(time.time())
    post(client, invoice(member, "invoice.payment_failed", created=now - 60))

    post(client, invoice(member, invoice_id="in_retry", created=now))

    assert membership_of(app_db, member).status == MembershipStatus.ACTIVE


def test_the_end_of_an_old_subscription_does_not_lapse_a_member_who_subscribed_again(
    client, member, raffle, app_db
):
    now = int(time.time())
    post(client, invoice(member, sub="sub_new", created=now - 60))

    old = subscription(member, "customer.subscription.deleted", "canceled", sub="sub_old")
    response = post(client, old)

    assert response.json()["outcome"] == "ignored: the member has another live subscription"
    assert membership_of(app_db, member).status == MembershipStatus.ACTIVE


def test_a_checkout_with_the_payment_still_pending_links_without_activating(client, member, app_db):
    pending = checkout_completed(member)
    pending["data"]["object"]["payment_status"] = "unpaid"

    response = post(client, pending)

    assert response.json()["outcome"] == "linked; waiting for the payment"
    row = membership_of(app_db, member)
    assert (row.status, row.stripe_customer_id) == (MembershipStatus.LAPSED, "cus_1")


def test_unknown_event_types_are_recorded_and_ignored(client, app_db):
    response = post(client, event("customer.created", {"id": "cus_9", "object": "customer"}))

    assert response.json() == {"received": True, "outcome": "ignored"}
    assert count(app_db, StripeEvent) == 1


def test_an_invoice_for_nobody_we_know_is_acknowledged_so_stripe_stops_sending_it(client, app_db):
    stranger = invoice(None)
    stranger["data"]["object"]["parent"]["subscription_details"]["subscription"] = "sub_x"

    response = post(client, stranger)

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: unknown member"
    assert count(app_db, Membership) == 0


# ---- ids no row of ours can have ---------------------------------------------------------------


@pytest.mark.parametrize("too_big", ["3000000000", "9" * 40])
def test_a_signed_ticket_checkout_with_an_oversized_order_id_is_ignored_not_a_500(
    client, app_db, too_big, caplog
):
    paid = event(
        "checkout.session.completed",
        {
            "id": "cs_not_ours",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "amount_total": 500,
            "client_reference_id": too_big,
            "metadata": {"kind": "competition", "order_id": too_big},
        },
    )

    with caplog.at_level("INFO", logger="luckyclub.platform.payments"):
        response = post(client, paid)

    assert response.status_code == 200, response.text
    assert response.json()["outcome"].startswith("ignored")
    assert paid["id"] in caplog.text and "ignored" in caplog.text
    assert count(app_db, StripeEvent) == 1  # answered for good: Stripe does not retry it


@pytest.mark.parametrize("too_big", ["3000000000", "9" * 40])
def test_a_signed_membership_event_with_an_oversized_user_id_is_ignored_not_a_500(
    client, app_db, too_big
):
    stranger = User(id=int(too_big), email="nobody@example.com")

    for body in (checkout_completed(stranger), invoice(stranger)):
        response = post(client, body)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"].startswith("ignored"), response.json()

    assert count(app_db, Membership) == 0


# ---- the handlers each mode registers ----------------------------------------------------------


@pytest.fixture()
def handlers(monkeypatch):
    """The registry as the modes left it, restored after the test."""
    monkeypatch.setattr(payments, "_handlers", dict(payments._handlers))


def test_an_event_of_a_registered_type_reaches_its_handler_once_however_often_it_comes(
    client, app_db, handlers
):
    seen: list[str] = []

    def on_payout(session, event) -> str:
        seen.append(event["id"])
        return "payout noted"

    payments.register("payout.paid", on_payout)
    paid = event("payout.paid", {"id": "po_1", "object": "payout"})

    outcomes = [post(client, paid).json()["outcome"] for _ in range(3)]

    assert outcomes == ["payout noted", "duplicate", "duplicate"]
    assert seen == [paid["id"]]
    assert count(app_db, StripeEvent) == 1


def test_a_handler_that_fails_records_nothing_so_stripes_retry_applies_the_event(
    client, app_db, handlers
):
    attempts: list[int] = []

    def on_payout(session, event) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the database went away")
        return "payout noted"

    payments.register("payout.paid", on_payout)
    paid = event("payout.paid", {"id": "po_1", "object": "payout"})

    first, retry = post(client, paid), post(client, paid)

    assert first.status_code == 500
    assert retry.json()["outcome"] == "payout noted"
    assert count(app_db, StripeEvent) == 1


def test_a_checkout_of_a_mode_no_one_takes_is_recorded_and_ignored_and_its_replay_is_a_duplicate(
    client, app_db
):
    setup = event(
        "checkout.session.completed",
        {"id": "cs_setup", "object": "checkout.session", "mode": "setup", "status": "complete"},
    )

    first, again = post(client, setup), post(client, setup)

    assert (first.status_code, first.json()["outcome"]) == (200, "ignored")
    assert again.json()["outcome"] == "duplicate"
    assert count(app_db, StripeEvent) == 1
    assert count(app_db, Membership) == 0


def test_checkout_events_go_to_the_mode_of_their_session(client, member, app_db):
    ticket_checkout = event(
        "checkout.session.completed",
        {
            "id": "cs_tickets",
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": "paid",
            "metadata": {"kind": "competition", "order_id": "41"},
        },
    )

    membership_outcome = post(client, checkout_completed(member)).json()["outcome"]
    tickets_outcome = post(client, ticket_checkout).json()["outcome"]

    assert membership_outcome == "membership active"
    assert tickets_outcome == "ignored: no order for this checkout"  # fulfilment answered

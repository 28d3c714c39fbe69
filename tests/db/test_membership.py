"""Joining and leaving the club: the built-in test-payment mode end to end, and the Stripe adapter
against a fake Stripe on 127.0.0.1 that records what it is asked."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlmodel import Session, func, select

from luckyclub.club import ledger, membership
from luckyclub.club.raffles import month_of
from luckyclub.core import db
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.integrations.stripe_api import PAYMENTS_UNAVAILABLE
from luckyclub.models import Membership, MembershipStatus, StripeEvent, User, utcnow
from tests.db.factories import add_open_raffle, add_user
from tests.fake_stripe import FakeStripe as HeldStripe


@pytest.fixture()
def test_mode(settings_env):
    """No Stripe keys at all: the club takes test payments."""
    return settings_env(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None)


@pytest.fixture()
def ann(session) -> User:
    return add_user(session, "ann@example.com")


@pytest.fixture()
def raffle(session):
    return add_open_raffle(session, month=month_of(utcnow()), base_entries=15)


def state(app_db, user: User, raffle) -> tuple[str | None, int]:
    """(membership status, entries in the raffle), read in a fresh transaction."""
    with Session(app_db) as s:
        row = membership.membership_for(s, user.id)
        return (row.status if row else None), ledger.balance(s, raffle.id, user.id)


def membership_row(app_db, user: User) -> Membership:
    with Session(app_db) as s:
        return membership.membership_for(s, user.id)


def event_count(app_db) -> int:
    with Session(app_db) as s:
        return s.exec(select(func.count()).select_from(StripeEvent)).one()


def join_in_test_mode(session, user: User) -> str:
    url = membership.start_checkout(user.id)
    checkout_id = url.split("session=", 1)[1]
    membership.complete_test_checkout(session, user, checkout_id)
    return checkout_id


# ---- the test-payment mode --------------------------------------------------------------------


def test_in_test_mode_the_join_button_leads_to_the_local_test_checkout(session, test_mode, ann):
    url = membership.start_checkout(ann.id)

    assert url.startswith("/membership/test-checkout?session=cs_test_local_")


def test_paying_the_test_checkout_makes_an_active_member_with_the_months_base_entries(
    session, test_mode, ann, raffle, app_db
):
    join_in_test_mode(session, ann)

    assert state(app_db, ann, raffle) == (MembershipStatus.ACTIVE, 15)
    row = membership_row(app_db, ann)
    assert row.stripe_customer_id.startswith("cus_test_")
    assert row.stripe_subscription_id.startswith("sub_test_")
    assert row.current_period_end > utcnow() + timedelta(days=27)
    assert event_count(app_db) == 3  # subscription created, invoice paid, checkout completed
    assert membership.is_active(session, ann.id)
    # The member's ledger says why in their words, not Stripe's invoice id.
    with Session(app_db) as s:
        assert [r.reason for r in ledger.member_rows(s, ann.id)] == ["Monthly membership"]


def test_paying_the_same_test_checkout_twice_gives_one_month_of_entries(
    session, test_mode, ann, raffle, app_db
):
    checkout_id = join_in_test_mode(session, ann)

    membership.complete_test_checkout(None, ann, checkout_id)

    assert state(app_db, ann, raffle) == (MembershipStatus.ACTIVE, 15)
    assert event_count(app_db) == 3


def test_cancelling_in_the_test_portal_lapses_the_membership_and_keeps_the_entries(
    session, test_mode, ann, raffle, app_db
):
    join_in_test_mode(session, ann)

    membership.cancel_in_test_mode(ann)

    assert state(app_db, ann, raffle) == (MembershipStatus.LAPSED, 15)
    with pytest.raises(UserError, match="no active membership to cancel"):
        membership.cancel_in_test_mode(ann)


def test_a_member_who_rejoins_keeps_one_customer_and_one_months_entries(
    session, test_mode, ann, raffle, app_db
):
    join_in_test_mode(session, ann)
    first = membership_row(app_db, ann)
    membership.cancel_in_test_mode(ann)

    join_in_test_mode(session, ann)

    again = membership_row(app_db, ann)
    assert again.stripe_customer_id == first.stripe_customer_id
    assert again.stripe_subscription_id != first.stripe_subscription_id
    assert state(app_db, ann, raffle) == (MembershipStatus.ACTIVE, 15)


def test_an_active_member_cannot_start_a_second_checkout(session, test_mode, ann, raffle):
    join_in_test_mode(session, ann)

    with pytest.raises(UserError, match="already a member"):
        membership.start_checkout(ann.id)


def test_a_second_test_checkout_opened_in_another_tab_is_not_charged(
    session, test_mode, ann, raffle, app_db
):
    first_tab = membership.start_checkout(ann.id).split("session=", 1)[1]
    second_tab = membership.start_checkout(ann.id).split("session=", 1)[1]
    membership.complete_test_checkout(session, ann, first_tab)

    with pytest.raises(UserError, match="already a member"):
        membership.complete_test_checkout(session, ann, second_tab)
    assert event_count(app_db) == 3


def test_a_test_checkout_that_is_expired_forged_or_someone_elses_is_refused(
    session, test_mode, ann, raffle, app_db
):
    bob = add_user(session, "bob@example.com")
    anns = membership.start_checkout(ann.id).split("session=", 1)[1]
    stale_url = membership.start_checkout(ann.id, now=utcnow() - timedelta(hours=2))
    stale = stale_url.split("session=", 1)[1]
    prefix, _, _signature = anns.rpartition("_")
    forged = f"{prefix}_{'0' * 32}"

    for user, checkout_id in [(bob, anns), (ann, stale), (ann, forged), (ann, "cs_live_x")]:
        with pytest.raises(UserError, match="test checkout has expired"):
            membership.complete_test_checkout(session, user, checkout_id)
    assert event_count(app_db) == 0


def test_the_test_portal_needs_a_membership(session, test_mode, ann, raffle):
    with pytest.raises(UserError, match="no membership to manage"):
        membership.portal_url(ann.id, "/dashboard")

    join_in_test_mode(session, ann)

    assert membership.portal_url(ann.id, "/dashboard") == "/membership/test-portal"


def test_a_suspended_account_cannot_join(session, test_mode, ann):
    ann.banned_at = utcnow()
    session.commit()

    with pytest.raises(NotAllowed):
        membership.start_checkout(ann.id)


# ---- real Stripe keys, against a fake Stripe ----------------------------------------------------


class FakeStripe:
    """A tiny HTTP server answering Checkout and portal requests as Stripe does, recording each."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                fake.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("authorization"),
                        "form": {k: v[0] for k, v in parse_qs(body).items()},
                    }
                )
                status, answer = fake.answer(self.path)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[int, dict]:
        if self.fail_with:
            error = {"type": "invalid_request_error", "message": "No such price: 'price_123'"}
            return self.fail_with, {"error": error}
        if path == "/v1/checkout/sessions":
            return 200, {
                "id": "cs_test_fake",
                "object": "checkout.session",
                "url": "https://checkout.stripe.test/c/pay/cs_test_fake",
            }
        if path == "/v1/billing_portal/sessions":
            return 200, {
                "id": "bps_fake",
                "object": "billing_portal.session",
                "url": "https://billing.stripe.test/p/session/bps_fake",
            }
        return 404, {"error": {"type": "invalid_request_error", "message": "Unknown URL"}}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture()
def fake_stripe():
    fake = FakeStripe()  # not started: nothing listens until a test starts it
    yield fake
    fake.stop()


@pytest.fixture()
def live_mode(settings_env, fake_stripe):
    return settings_env(
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_live_suite",
        STRIPE_MEMBERSHIP_PRICE_ID="price_123",
        STRIPE_API_BASE=fake_stripe.url,
    )


def test_with_stripe_keys_the_join_button_opens_a_subscription_checkout(
    session, live_mode, fake_stripe, ann
):
    fake_stripe.start()

    url = membership.start_checkout(ann.id)

    assert url == "https://checkout.stripe.test/c/pay/cs_test_fake"
    [request] = fake_stripe.requests
    assert request["path"] == "/v1/checkout/sessions"
    assert request["authorization"] == "Bearer sk_test_x"
    form = request["form"]
    assert form["mode"] == "subscription"
    assert form["line_items[0][price]"] == "price_123"
    assert form["line_items[0][quantity]"] == "1"
    assert form["client_reference_id"] == str(ann.id)
    assert form["metadata[user_id]"] == str(ann.id)
    assert form["subscription_data[metadata][user_id]"] == str(ann.id)
    assert form["customer_email"] == "ann@example.com"
    assert form["success_url"] == f"{live_mode.app_url}/dashboard?joined=1"
    assert form["cancel_url"] == f"{live_mode.app_url}/dashboard"


def test_a_returning_member_checks_out_as_the_same_stripe_customer(
    session, live_mode, fake_stripe, ann
):
    session.add(
        Membership(user_id=ann.id, status=MembershipStatus.LAPSED, stripe_customer_id="cus_1")
    )
    session.commit()
    fake_stripe.start()

    membership.start_checkout(ann.id)

    form = fake_stripe.requests[0]["form"]
    assert form["customer"] == "cus_1" and "customer_email" not in form


def test_manage_membership_opens_the_stripe_portal_for_the_members_customer(
    session, live_mode, fake_stripe, ann
):
    session.add(
        Membership(user_id=ann.id, status=MembershipStatus.ACTIVE, stripe_customer_id="cus_1")
    )
    session.commit()
    fake_stripe.start()

    url = membership.portal_url(ann.id, "/dashboard")

    assert url == "https://billing.stripe.test/p/session/bps_fake"
    [request] = fake_stripe.requests
    assert request["path"] == "/v1/billing_portal/sessions"
    assert request["form"] == {"customer": "cus_1", "return_url": f"{live_mode.app_url}/dashboard"}


def test_with_stripe_down_the_member_is_told_nothing_was_charged(
    session, live_mode, fake_stripe, ann
):
    with pytest.raises(UserError) as refused:
        membership.start_checkout(ann.id)

    assert refused.value.message == PAYMENTS_UNAVAILABLE


def test_when_stripe_refuses_the_request_the_member_is_told_nothing_was_charged(
    session, live_mode, fake_stripe, ann
):
    fake_stripe.fail_with = 400
    fake_stripe.start()

    with pytest.raises(UserError) as refused:
        membership.start_checkout(ann.id)

    assert refused.value.message == PAYMENTS_UNAVAILABLE
    assert len(fake_stripe.requests) == 1


def test_with_stripe_keys_test_payments_are_refused(session, live_mode, ann, raffle, app_db):
    with pytest.raises(NotAllowed):
        membership.complete_test_checkout(session, ann, "cs_test_local_anything")
    with pytest.raises(NotAllowed):
        membership.cancel_in_test_mode(ann)
    assert event_count(app_db) == 0


def test_joining_holds_no_database_lock_while_stripe_thinks(settings_env, app_db, ann):
    """On SQLite a unit of work holds the one write lock: the checkout must be asked for after
    it, or every write of the app would wait on Stripe. Proved by order: a write completes while
    Stripe still holds its answer."""
    if app_db.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database: this is about SQLite's one writer")
    with HeldStripe().running() as stripe:
        settings_env(
            STRIPE_SECRET_KEY="sk_test_x",
            STRIPE_WEBHOOK_SECRET="whsec_x",
            STRIPE_MEMBERSHIP_PRICE_ID="price_123",
            STRIPE_API_BASE=stripe.url,
        )
        held = stripe.hold("POST /v1/checkout/sessions")
        joining = threading.Thread(target=lambda: membership.start_checkout(ann.id))
        joining.start()
        try:
            assert held.arrived.wait(10), "the join never asked Stripe"
            wrote = threading.Event()

            def write() -> None:
                with db.session_scope() as s:
                    s.add(Membership(user_id=ann.id, status=MembershipStatus.LAPSED))
                wrote.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert wrote.wait(10), "a write waited on the join's call to Stripe"
            assert not held.released
        finally:
            held.release()
            joining.join(timeout=30)

"""The real app keeps answering everyone while one person's checkout waits on Stripe and others'
sign-ins are being hashed: proved by order, not by timing. Stripe (a local fake) holds its answer
until the test releases it; every other request must be answered before that release.

The app here takes real payments from the fake Stripe (the session's app runs the test-payment
mode), so it is a second app, served without its frontend (seconds to start): its tabs speak the
websocket themselves (tests/reflex_tab.py), as a browser's page does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from luckyclub.core import db, routes, security
from luckyclub.core.settings import get_settings
from luckyclub.models import TicketOrder
from luckyclub.pages.account.auth import LoginState
from luckyclub.pages.competitions.catalogue import CompetitionListState
from luckyclub.pages.competitions.competition import CompetitionPageState
from luckyclub.platform import accounts
from tests.db.factories import add_buyer, add_competition
from tests.fake_stripe import FakeStripe
from tests.reflex_tab import Tab, Update
from tests.running_app import RunningApp, running_app

pytestmark = pytest.mark.e2e

# How long the test waits for each answer: less than the 20 s the app gives Stripe, so an app whose
# loop the held request blocks fails here rather than after its Stripe client gives up. (What
# proves the point is the order: every answer came while the app still waited for Stripe.)
ANSWER_WITHIN = 15
SIGN_INS = 6
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def stripe() -> Iterator[FakeStripe]:
    with FakeStripe().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def stripe_app(stripe: FakeStripe) -> Iterator[RunningApp]:
    settings = {
        "STRIPE_SECRET_KEY": stripe.secret_key,
        "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
        "STRIPE_API_BASE": stripe.url,
    }
    with running_app(settings, backend_only=True, prefix="luckyclub-stripe-") as app:
        stripe.webhook_url = f"{app.url}/api/stripe/webhook"
        yield app


@pytest.fixture()
def app_database(stripe_app: RunningApp, monkeypatch):
    """This test's services write to the app's database, with its data folder and secret key."""
    monkeypatch.setenv("LUCKYCLUB_DATA_DIR", stripe_app.env["LUCKYCLUB_DATA_DIR"])
    monkeypatch.setenv("DATABASE_URL", stripe_app.database_url)
    get_settings.cache_clear()
    db.use_database(stripe_app.database_url)
    yield
    db.use_database(None)
    monkeypatch.undo()
    get_settings.cache_clear()


def _people(title: str, tag: str) -> tuple[int, str, list[str]]:
    """A competition on sale, a signed-in buyer's session token, and the emails of members who
    sign in with PASSWORD."""
    password_hash = security.hash_password(PASSWORD)
    with db.session_scope() as s:
        competition = add_competition(s, title=title)
        buyer = add_buyer(s, f"buyer-{tag}@example.com")
        token, _ = accounts.start_session(s, buyer)
        emails = [f"member-{tag}-{n}@example.com" for n in range(SIGN_INS)]
        for email in emails:
            add_buyer(s, email, password_hash=password_hash)
        return competition.id, token, emails


def _order_of(checkout_id: str) -> int:
    with db.session_scope() as s:
        order = s.exec(select(TicketOrder).where(TicketOrder.checkout_id == checkout_id)).one()
        return order.id


def _answered(what: str, wait):
    try:
        return wait()
    except (TimeoutError, httpx.TimeoutException):
        pytest.fail(f"{what} was not answered while Stripe held its answer: the loop is blocked")


def test_everyone_is_answered_while_a_checkout_waits_on_stripe(
    stripe: FakeStripe, stripe_app: RunningApp, app_database
):
    url = stripe_app.url
    tag = secrets.token_hex(3)
    title = f"Win a bike {tag}"
    competition_id, buyer_token, emails = _people(title, tag)
    page = routes.competition_page(competition_id)

    # The buyer starts a checkout and pays on Stripe's page; Stripe's webhook is late, so the
    # success page has to ask Stripe how the checkout stands.
    buyer = Tab(url, session_token=buyer_token, client_ip="198.18.7.1")
    buyer.load(page)
    buyer.wait_for(lambda u: u.value(CompetitionPageState, "loaded"))
    buyer.send(CompetitionPageState.choose_answer, path=page, value="Paris")
    buyer.send(CompetitionPageState.buy, path=page)
    checkout_id = buyer.wait_for(Update.redirect).redirect().rsplit("/", 1)[-1]
    stripe.pay(checkout_id, deliver=False)

    held = stripe.hold("GET /v1/checkout/sessions/{id}")
    try:
        back = {"order": str(_order_of(checkout_id)), "session_id": checkout_id}
        buyer.load(page, query=back)  # back on the competition's page from Stripe
        assert held.arrived.wait(ANSWER_WITHIN), "the success page never asked Stripe"

        listed, healthy, signed_in = _everyone_else_meanwhile(url, emails)

        # All of that was answered while the app still waited for Stripe's first answer: a client
        # that had given up would have asked again (the app's Stripe client retries once).
        assert not held.released
        assert stripe.requests_to("GET", f"/v1/checkout/sessions/{checkout_id}") == []
    finally:
        held.release()
    assert title in [card["title"] for card in listed.value(CompetitionListState, "cards", [])]
    assert healthy.status_code == 200 and healthy.json()["payments"] == "stripe"
    assert all("/api/auth/session" in update.script() for update in signed_in)

    done = buyer.wait_for(
        lambda u: str(u.value(CompetitionPageState, "notice", "")).startswith("Payment received"),
        timeout=ANSWER_WITHIN,
    )
    assert "Your tickets: " in done.value(CompetitionPageState, "notice")
    buyer.close()


def _everyone_else_meanwhile(url: str, emails: list[str]) -> tuple[Update, httpx.Response, list]:
    """Members sign in (their passwords are hashed), a visitor opens the competitions and a
    monitor asks /api/health: what each was answered, or a failure if one was not."""

    def tab(client_ip: str) -> Tab:
        return _answered(
            "Opening a tab", lambda: Tab(url, client_ip=client_ip, timeout=ANSWER_WITHIN)
        )

    signing = [tab(f"198.18.8.{n}") for n in range(len(emails))]
    for member, email in zip(signing, emails, strict=True):
        member.load(routes.LOGIN)
        member.send(
            LoginState.sign_in, path=routes.LOGIN, form={"email": email, "password": PASSWORD}
        )
    visitor = tab("198.18.9.1")
    visitor.load(routes.COMPETITIONS)
    with ThreadPoolExecutor(1) as monitor:
        health = monitor.submit(httpx.get, f"{url}/api/health", timeout=ANSWER_WITHIN)
        listed = _answered(
            "The visitor's page load",
            lambda: visitor.wait_for(
                lambda u: u.value(CompetitionListState, "loaded"), timeout=ANSWER_WITHIN
            ),
        )
        healthy = _answered("/api/health", lambda: health.result(timeout=ANSWER_WITHIN + 1))
    signed_in = [
        _answered("A sign-in", lambda m=m: m.wait_for(Update.script, timeout=ANSWER_WITHIN))
        for m in signing
    ]
    for opened in [visitor, *signing]:
        opened.close()
    return listed, healthy, signed_in

"""The money path under real concurrency on PostgreSQL: many buyers racing for the last tickets,
holds running out while buyers pay, and one Stripe event delivered many times at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.competitions import fulfilment, refunds
from luckyclub.competitions.checkout import Checkout, expire_holds, release, start_checkout
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Channel,
    Competition,
    OrderStatus,
    OutboxMessage,
    Role,
    Ticket,
    TicketOrder,
    User,
    utcnow,
)
from luckyclub.platform import notify
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.locks import all_at_once
from tests.fake_stripe import FakeStripe
from tests.served import serve_api

MAX_TICKETS = 120
LEFT = 50
REFUSALS = ("Sold out", "Only ", "Every ticket left is in someone's checkout")


@pytest.fixture()
def postgres(app_db):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL's row locks")
    return app_db


def buyers(session, count: int, prefix: str) -> list[User]:
    users = [
        User(
            email=f"{prefix}{n}@example.com",
            password_hash="not checked here",
            display_name=f"{prefix.title()} {n}",
            date_of_birth=utcnow().date().replace(year=1990),
            email_verified_at=utcnow(),
        )
        for n in range(count)
    ]
    session.add_all(users)
    session.commit()
    return users


def checkout_id_of(checkout: Checkout) -> str:
    return checkout.url.split("session=")[1]


def almost_sold_out(session) -> Competition:
    """A competition of MAX_TICKETS with all but LEFT already sold (numbers 1..MAX-LEFT)."""
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    competition = add_competition(session, admin, max_tickets=MAX_TICKETS, per_person_limit=50)
    early = MAX_TICKETS - LEFT
    for n, quantity in enumerate((50, early - 50)):
        early_bird = add_buyer(session, f"early{n}@example.com")
        checkout = start_checkout(early_bird.id, competition.id, quantity, "Paris")
        assert fulfilment.pay_test_checkout(early_bird, checkout_id_of(checkout)).numbers
    return competition


def assert_consistent(postgres, competition_id: int) -> tuple[Competition, list[TicketOrder]]:
    """Never oversold; numbers 1..sold, each once; counts agree with the orders."""
    with Session(postgres) as s:
        competition = s.get(Competition, competition_id)
        numbers = s.exec(select(Ticket.number).where(Ticket.competition_id == competition_id)).all()
        orders = s.exec(select(TicketOrder).where(TicketOrder.competition_id == competition_id))
        orders = list(orders.all())
    assert competition.sold <= competition.max_tickets
    assert sorted(numbers) == list(range(1, competition.sold + 1))
    paid = [o for o in orders if o.status == OrderStatus.PAID]
    assert sum(o.quantity for o in paid) == competition.sold
    pending = [o for o in orders if o.status == OrderStatus.PENDING]
    assert competition.held == sum(o.quantity for o in pending)
    return competition, orders


def test_two_hundred_buyers_race_for_the_last_fifty_tickets(postgres, session):
    competition = almost_sold_out(session)
    racers = buyers(session, 200, "racer")

    def buy(user: User):
        checkout = start_checkout(user.id, competition.id, 1, "Paris")
        return fulfilment.pay_test_checkout(user, checkout_id_of(checkout))

    results = all_at_once([lambda user=user: buy(user) for user in racers])

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, UserError)]
    assert unexpected == []
    # pay_test_checkout reports the order as it stands after the webhook: numbers, or a refund
    numbered = [r for r in results if isinstance(r, fulfilment.Fulfilment) and r.numbers]
    refused = [r for r in results if isinstance(r, UserError)]
    refunded = [
        r for r in results if isinstance(r, fulfilment.Fulfilment) and r.outcome == "refund_due"
    ]
    assert len(numbered) == LEFT
    assert len(numbered) + len(refused) + len(refunded) == len(racers)
    assert all(r.message.startswith(REFUSALS) for r in refused), {r.message for r in refused}
    assert sorted(n for r in numbered for n in r.numbers) == list(
        range(MAX_TICKETS - LEFT + 1, MAX_TICKETS + 1)
    )
    competition, orders = assert_consistent(postgres, competition.id)
    assert (competition.sold, competition.held) == (MAX_TICKETS, 0)
    assert len([o for o in orders if o.status == OrderStatus.PAID]) == LEFT + 2


def test_holds_running_out_while_buyers_pay_never_oversell(postgres, session):
    competition = almost_sold_out(session)
    late = buyers(session, 40, "late")
    checkouts = [start_checkout(u.id, competition.id, 1, "Paris") for u in late]
    newcomers = buyers(session, 40, "new")
    after_the_hold = utcnow() + timedelta(minutes=16)

    paying = threading.Semaphore(0)  # one release per late payer done

    def pay_late(user: User, checkout: Checkout):
        try:
            return fulfilment.pay_test_checkout(user, checkout_id_of(checkout))
        finally:
            paying.release()

    def buy_new(user: User):
        checkout = start_checkout(user.id, competition.id, 1, "Paris")
        return fulfilment.pay_test_checkout(user, checkout_id_of(checkout))

    def expire_until_paid():
        """The hold job, as if 16 minutes had passed, again and again while late payers pay."""
        released = 0
        while not finished.is_set():
            released += expire_holds(after_the_hold)
        return released

    finished = threading.Event()

    def watch():
        for _ in late:
            paying.acquire(timeout=60)
        finished.set()

    # Each late payer races the release of their own hold (what the hold job does per order), and
    # the hold job itself runs over and over; the newcomers race them all for the room let go.
    jobs: list[tuple[str, Callable[[], object]]] = [("watch", watch)]
    for n in range(40):
        jobs.append(("late", lambda u=late[n], c=checkouts[n]: pay_late(u, c)))
        jobs.append(("expire", lambda c=checkouts[n]: int(release(c.order_id))))
        jobs.append(("new", lambda u=newcomers[n]: buy_new(u)))
    jobs += [("expire", expire_until_paid)] * 2
    results = all_at_once([job for _, job in jobs])

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, UserError)]
    assert unexpected == []
    late_outcomes = [
        "paid" if r.numbers else r.outcome
        for (kind, _), r in zip(jobs, results, strict=True)
        if kind == "late"
    ]
    assert set(late_outcomes) <= {"paid", "refund_due"}
    released = sum(r for (kind, _), r in zip(jobs, results, strict=True) if kind == "expire")
    assert released > 0, "no hold ran out under a buyer: the race was not run"
    new_results = [r for (kind, _), r in zip(jobs, results, strict=True) if kind == "new"]
    refused = [r for r in new_results if isinstance(r, UserError)]
    assert all(r.message.startswith(REFUSALS) for r in refused), {r.message for r in refused}
    competition, orders = assert_consistent(postgres, competition.id)
    assert (competition.sold, competition.held) == (MAX_TICKETS, 0)  # 80 wanted the last 50
    by_id = {o.id: o for o in orders}
    assert {by_id[c.order_id].status for c in checkouts} <= {
        OrderStatus.PAID,
        OrderStatus.REFUND_DUE,
    }
    refund_due = [o for o in orders if o.status == OrderStatus.REFUND_DUE]
    # The hold job runs "16 minutes later", so it may let a newcomer's fresh hold go too: that
    # newcomer then pays late like the others, and may find it sold out.
    new_refunds = [
        r for r in new_results if isinstance(r, fulfilment.Fulfilment) and r.outcome == "refund_due"
    ]
    assert len(refund_due) == late_outcomes.count("refund_due") + len(new_refunds)
    assert all("sold out" in o.refund_reason for o in refund_due)
    assert refunds.process_refunds(batch=100)["refunded"] == len(refund_due)
    assert_consistent(postgres, competition.id)


@pytest.fixture()
def live_stripe(postgres, settings_env) -> Iterator[FakeStripe]:
    with FakeStripe().running() as fake, serve_api() as api:
        settings_env(
            STRIPE_SECRET_KEY=fake.secret_key,
            STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
            STRIPE_API_BASE=fake.url,
        )
        fake.webhook_url = api + "/api/stripe/webhook"
        yield fake


def test_one_event_delivered_ten_times_at_once_numbers_one_set(postgres, session, live_stripe):
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 3, "Paris")
    order = session.get(TicketOrder, checkout.order_id)
    live_stripe.pay(order.checkout_id, deliver=False)
    payload = live_stripe.event_payload("checkout.session.completed", order.checkout_id)

    answers = all_at_once([lambda: live_stripe.deliver(payload)] * 10)

    assert [status for status, _ in answers] == [200] * 10
    outcomes = sorted(body["outcome"] for _, body in answers)
    assert outcomes == ["duplicate"] * 9 + ["numbered: tickets 1–3"]
    with Session(postgres) as s:
        assert s.exec(select(Ticket.number).order_by(Ticket.number)).all() == [1, 2, 3]
        assert s.get(TicketOrder, order.id).status == OrderStatus.PAID
        placed = s.exec(select(OutboxMessage).where(OutboxMessage.template == "order_placed"))
        [email] = placed.all()
        assert email.to_address == "ann@example.com"
        assert email.dedupe_key == notify.dedupe_key(
            Channel.EMAIL, "ann@example.com", notify.ORDER_PLACED, f"order-placed-{order.id}"
        )
        competition = s.get(Competition, competition.id)
        assert (competition.sold, competition.held) == (3, 0)

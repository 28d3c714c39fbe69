"""Refunds and postal entries racing the close of a competition's draw, on PostgreSQL with real
concurrent sessions: whatever the order, the frozen snapshot holds exactly the tickets that are
active once everything has committed, and nobody is told they are in a draw they are not in."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.competitions import catalogue, fulfilment, postal, refunds
from luckyclub.competitions.checkout import start_checkout
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.draws import snapshot_lines
from luckyclub.models import (
    Competition,
    DrawSnapshot,
    DrawStatus,
    Role,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
)
from luckyclub.platform import draws
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.locks import wait_until_blocked

FROZEN_REFUND = "The draw has frozen its tickets and is about to run: refund after it has drawn."
FROZEN_POSTAL = "The draw has frozen its tickets: postal entries can no longer be added."


@pytest.fixture()
def postgres(app_db):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL's row locks")
    return app_db


@pytest.fixture()
def sold(postgres, session, no_beacon):
    """A competition whose sales have closed: Ann holds tickets 1-2, Bob ticket 3."""
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    for buyer, quantity in ((ann, 2), (bob, 1)):
        checkout = start_checkout(buyer.id, competition.id, quantity, "Paris")
        assert fulfilment.pay_test_checkout(buyer, checkout.url.split("session=")[1]).numbers
    ann_order = session.exec(select(TicketOrder).where(TicketOrder.user_id == ann.id)).one()
    draw = catalogue.draw_of(session, competition.id)
    return admin, competition, ann_order, draw.id, competition.ends_at + timedelta(seconds=1)


def in_thread(job: Callable[[], str], outcome: list[str]) -> threading.Thread:
    """A worker that records what `job` returned, or the sentence it was refused with."""

    def run() -> None:
        try:
            outcome.append(job())
        except UserError as refused:
            outcome.append(refused.message)
        except Exception as exc:  # noqa: BLE001 - reported by the test's assertion
            outcome.append(repr(exc))

    worker = threading.Thread(target=run)
    worker.start()
    return worker


def snapshot_numbers(engine, draw_id: int) -> list[int]:
    with Session(engine) as s:
        body = s.get(DrawSnapshot, draw_id).body
    return [int(line.split(b"\t")[0]) for line in snapshot_lines(body)]


def active_numbers(engine, competition_id: int) -> list[int]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(Ticket.number)
                .where(Ticket.competition_id == competition_id)
                .where(Ticket.status == TicketStatus.ACTIVE)
                .order_by(Ticket.number)
            ).all()
        )


def close_in_thread(draw_id: int, now, outcome: list[str]) -> threading.Thread:
    def close() -> str:
        with db.session_scope() as s:
            return "closed" if draws.close(s, draw_id, now) else "not closed"

    return in_thread(close, outcome)


def test_a_refund_during_the_close_waits_for_it_and_is_refused(postgres, sold):
    admin, competition, ann_order, draw_id, after = sold
    outcome: list[str] = []

    def refund() -> str:
        with db.session_scope() as s:
            refunds.refund_order(s, s.get(User, admin.id), ann_order.id, "Asked to withdraw")
        return "refunded"

    with Session(postgres) as closing:
        assert draws.close(closing, draw_id, after)
        worker = in_thread(refund, outcome)
        wait_until_blocked(postgres, worker)  # the close holds the competition row
        closing.commit()
    worker.join(timeout=30)

    assert outcome == [FROZEN_REFUND]
    assert snapshot_numbers(postgres, draw_id) == active_numbers(postgres, competition.id)
    assert snapshot_numbers(postgres, draw_id) == [1, 2, 3]


def test_a_close_during_a_refund_waits_for_it_and_leaves_the_refunded_tickets_out(postgres, sold):
    admin, competition, ann_order, draw_id, after = sold
    outcome: list[str] = []

    with Session(postgres) as refunding:
        refunds.refund_order(
            refunding, refunding.get(User, admin.id), ann_order.id, "Asked to withdraw"
        )
        worker = close_in_thread(draw_id, after, outcome)
        wait_until_blocked(postgres, worker)  # the refund holds the competition row
        refunding.commit()
    worker.join(timeout=30)

    assert outcome == ["closed"]
    assert snapshot_numbers(postgres, draw_id) == active_numbers(postgres, competition.id) == [3]


def test_a_postal_entry_during_the_close_waits_for_it_and_is_refused(postgres, sold):
    admin, competition, _ann_order, draw_id, after = sold
    outcome: list[str] = []

    def enter_by_post() -> str:
        with db.session_scope() as s:
            order = postal.record_postal(
                s,
                s.get(User, admin.id),
                competition.id,
                name="Pat Post",
                address="1 High St, Leeds",
                answer="Paris",
                now=after,
            )
            return f"entered as order {order.id}"

    with Session(postgres) as closing:
        assert draws.close(closing, draw_id, after)
        worker = in_thread(enter_by_post, outcome)
        wait_until_blocked(postgres, worker)
        closing.commit()
    worker.join(timeout=30)

    assert outcome == [FROZEN_POSTAL]
    assert snapshot_numbers(postgres, draw_id) == active_numbers(postgres, competition.id)
    with Session(postgres) as s:
        assert s.get(Competition, competition.id).sold == 3
        assert s.exec(select(DrawSnapshot.draw_id)).all() == [draw_id]
        assert draws.get(s, draw_id).status == DrawStatus.CLOSED


def test_a_close_during_a_postal_entry_waits_for_it_and_includes_the_entry(postgres, sold):
    admin, competition, _ann_order, draw_id, after = sold
    outcome: list[str] = []

    with Session(postgres) as entering:
        postal.record_postal(
            entering,
            entering.get(User, admin.id),
            competition.id,
            name="Pat Post",
            address="1 High St, Leeds",
            answer="Paris",
            now=after,
        )
        worker = close_in_thread(draw_id, after, outcome)
        wait_until_blocked(postgres, worker)
        entering.commit()
    worker.join(timeout=30)

    assert outcome == ["closed"]
    assert snapshot_numbers(postgres, draw_id) == active_numbers(postgres, competition.id)
    assert snapshot_numbers(postgres, draw_id) == [1, 2, 3, 4]

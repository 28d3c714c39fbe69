"""Competitions through the service layer: the lifecycle, checkout holds, fulfilment and numbering,
refunds, postal entries, the minimum, and the draw of numbered tickets."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from luckyclub import jobs
from luckyclub.competitions import catalogue, fulfilment, minimum, orders, postal, public, refunds
from luckyclub.competitions.checkout import expire_holds, start_checkout
from luckyclub.core.errors import UserError
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    DrawStatus,
    DrawWinner,
    OrderStatus,
    OutboxMessage,
    Role,
    Ticket,
    TicketOrder,
    TicketStatus,
    utcnow,
)
from luckyclub.platform import draw_actions, draw_public, draws, mail, payments
from luckyclub.state.competitions import competition_views
from tests import fake_http
from tests.db.factories import add_buyer, add_competition, add_user
from tests.db.test_outbox import SmtpServer

IP = "203.0.113.7"  # a client address, for the per-address limit of entry checks


@pytest.fixture()
def admin(session):
    return add_user(session, "admin@example.com", Role.ADMIN)


def buy(user, competition, quantity=1, answer="Paris"):
    """A checkout in the test-payment mode, paid: the tickets' numbers."""
    checkout = start_checkout(user.id, competition.id, quantity, answer)
    checkout_id = checkout.url.split("session=")[1]
    return fulfilment.pay_test_checkout(user, checkout_id).numbers


def reload(session, competition):
    return session.get(Competition, competition.id, populate_existing=True)


def test_paid_checkouts_get_consecutive_numbers_from_one(session, admin):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")

    assert buy(ann, competition, 3) == (1, 2, 3)
    assert buy(bob, competition, 2) == (4, 5)

    competition = reload(session, competition)
    assert (competition.sold, competition.held) == (5, 0)
    assert orders.member_numbers(session, ann.id, competition.id) == [1, 2, 3]
    placed = session.exec(
        select(OutboxMessage).where(OutboxMessage.template == "order_placed")
    ).all()
    assert sorted(m.to_address for m in placed) == ["ann@example.com", "bob@example.com"]


def test_a_wrong_answer_enters_nothing_and_holds_nothing(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")

    with pytest.raises(UserError, match="not right"):
        start_checkout(ann.id, competition.id, 2, "Lyon")

    competition = reload(session, competition)
    assert (competition.sold, competition.held) == (0, 0)
    assert session.exec(select(func.count()).select_from(TicketOrder)).one() == 0


def test_a_checkout_holds_its_tickets_until_it_expires(session, admin):
    competition = add_competition(session, admin, max_tickets=5)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    start_checkout(ann.id, competition.id, 4, "Paris")

    with pytest.raises(UserError, match="Only 1 ticket is left"):
        start_checkout(bob.id, competition.id, 2, "Paris")
    assert expire_holds(utcnow() + timedelta(minutes=14)) == 0
    assert expire_holds(utcnow() + timedelta(minutes=16)) == 1

    assert buy(bob, competition, 2) == (1, 2)
    assert reload(session, competition).held == 0


def test_a_payment_after_the_hold_ran_out_still_gets_tickets_while_there_is_room(session, admin):
    competition = add_competition(session, admin, max_tickets=5)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    expire_holds(utcnow() + timedelta(minutes=16))

    paid = fulfilment.pay_test_checkout(ann, checkout.url.split("session=")[1])

    assert paid.numbers == (1, 2)


def test_a_payment_after_it_sold_out_is_refunded_and_the_buyer_told(session, admin):
    competition = add_competition(session, admin, max_tickets=3)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    late = start_checkout(ann.id, competition.id, 2, "Paris")
    expire_holds(utcnow() + timedelta(minutes=16))
    buy(bob, competition, 3)

    paid = fulfilment.pay_test_checkout(ann, late.url.split("session=")[1])

    assert paid.outcome == "refund_due" and "sold out" in paid.message
    assert refunds.process_refunds()["refunded"] == 1
    order = session.get(TicketOrder, late.order_id, populate_existing=True)
    assert order.status == OrderStatus.REFUNDED and order.refund_id.startswith("re_test_")
    assert reload(session, competition).sold == 3
    refunded = session.exec(
        select(OutboxMessage).where(OutboxMessage.template == "order_refunded")
    ).one()
    assert refunded.to_address == "ann@example.com"


def test_the_buyers_email_queued_before_numbering_arrives_with_its_numbers(
    session, admin, settings_env
):
    server = SmtpServer(fake_http.free_port())
    server.start()
    try:
        settings_env(SMTP_URL=server.url)
        competition = add_competition(session, admin)
        ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
        buy(ann, competition, 2)
        buy(bob, competition, 3)
        [queued] = session.exec(
            select(OutboxMessage).where(OutboxMessage.to_address == "bob@example.com")
        ).all()
        assert queued.fill == f"order_numbers:{queued_order(session, bob).id}"

        assert mail.deliver_due(utcnow())["sent"] == 2

        sent = {m["To"]: m.get_body(("plain",)).get_content() for m in server.inbox.messages()}
        assert "3\u20135" in sent["bob@example.com"] and "1\u20132" in sent["ann@example.com"]
        session.expire_all()
        assert "3\u20135" in session.get(OutboxMessage, queued.id).text_body
    finally:
        server.stop()


def queued_order(session, user) -> TicketOrder:
    return session.exec(select(TicketOrder).where(TicketOrder.user_id == user.id)).one()


def test_a_payment_that_gets_no_tickets_leaves_no_tickets_message_queued(session, admin):
    competition = add_competition(session, admin, max_tickets=3)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    late = start_checkout(ann.id, competition.id, 2, "Paris")
    expire_holds(utcnow() + timedelta(minutes=16))
    buy(bob, competition, 3)

    assert fulfilment.pay_test_checkout(ann, late.url.split("session=")[1]).outcome == "refund_due"

    to_ann = session.exec(
        select(OutboxMessage).where(OutboxMessage.to_address == "ann@example.com")
    ).all()
    assert to_ann == []  # nothing said "your tickets"; the refund's email comes once it is made


def test_paying_the_same_checkout_twice_numbers_it_once(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = checkout.url.split("session=")[1]

    first = fulfilment.pay_test_checkout(ann, checkout_id)
    again = fulfilment.pay_test_checkout(ann, checkout_id)

    assert first.numbers == again.numbers == (1, 2)
    assert session.exec(select(func.count()).select_from(Ticket)).one() == 2


def test_the_per_person_limit_counts_tickets_held_and_bought(session, admin):
    competition = add_competition(session, admin, per_person_limit=5)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 3)
    start_checkout(ann.id, competition.id, 1, "Paris")

    with pytest.raises(UserError, match="at most 1 more"):
        start_checkout(ann.id, competition.id, 2, "Paris")


def test_nothing_is_sold_before_the_start_or_after_the_end(session, admin):
    now = utcnow()
    upcoming = add_competition(session, admin, starts_at=now + timedelta(days=1))
    ended = add_competition(session, admin, ends_at=now + timedelta(days=2))
    ann = add_buyer(session, "ann@example.com")

    with pytest.raises(UserError, match="go on sale"):
        start_checkout(ann.id, upcoming.id, 1, "Paris")
    with pytest.raises(UserError, match="closed"):
        start_checkout(ann.id, ended.id, 1, "Paris", now=now + timedelta(days=3))


def test_an_unconfirmed_email_cannot_buy(session, admin):
    competition = add_competition(session, admin)
    ann = add_user(session, "ann@example.com")

    with pytest.raises(UserError, match="Confirm your email"):
        start_checkout(ann.id, competition.id, 1, "Paris")


def test_a_postal_entry_gets_the_next_number_and_a_wrong_answer_none(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)

    order = postal.record_postal(
        session, admin, competition.id, name="Pat Post", address="1 High St, Leeds", answer="paris"
    )
    session.commit()
    with pytest.raises(UserError, match="wrong"):
        postal.record_postal(
            session, admin, competition.id, name="Sam", address="2 Low St, York", answer="Nice"
        )

    assert order.status == OrderStatus.POSTAL
    assert session.exec(select(Ticket.number).where(Ticket.order_id == order.id)).one() == 3


def test_a_refunded_order_leaves_the_draw(session, admin, no_beacon):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    buy(ann, competition, 2)
    buy(bob, competition, 1)
    ann_order = session.exec(select(TicketOrder).where(TicketOrder.user_id == ann.id)).one()

    refunds.refund_order(session, admin, ann_order.id, "Asked to withdraw")
    session.commit()
    refunds.process_refunds()
    competition = reload(session, competition)
    draws.run_due(now=competition.draw_at + timedelta(seconds=1))

    draw = catalogue.draw_of(session, competition.id)
    session.refresh(draw)
    assert draw.status == DrawStatus.DRAWN
    assert draw.entry_count == 1
    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()
    assert (winner.ticket, winner.user_id) == (3, bob.id)
    assert reload(session, competition).status == CompetitionStatus.DRAWN
    refunded = session.exec(select(Ticket.status).where(Ticket.number == 1)).one()
    assert refunded == TicketStatus.REFUNDED


def test_the_draw_waits_until_sales_close(session, admin, no_beacon):
    competition = add_competition(session, admin)
    draw = catalogue.draw_of(session, competition.id)

    outcome = draw_actions.draw_now(admin.id, draw.id)

    assert outcome.status == "blocked" and "Sales are open" in outcome.message


def test_below_the_minimum_the_draw_waits_for_an_admin_to_extend_or_cancel(
    session, admin, no_beacon
):
    competition = add_competition(session, admin, min_tickets=3)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)
    after = competition.ends_at + timedelta(seconds=1)

    assert [c.id for c in minimum.flag_below_minimum(session, after)] == [competition.id]
    session.commit()
    told = session.exec(
        select(OutboxMessage).where(OutboxMessage.template == "competition_below_minimum")
    ).one()
    assert told.to_address == "admin@example.com" and "2 tickets sold" in told.text_body
    assert minimum.flag_below_minimum(session, after) == []  # flagged once, emailed once
    draws.run_due(now=after)
    draw = catalogue.draw_of(session, competition.id)
    session.refresh(draw)
    assert draw.status == DrawStatus.SCHEDULED

    catalogue.cancel(session, admin, competition.id, "Not enough entries", now=after)
    session.commit()
    assert reload(session, competition).status == CompetitionStatus.CANCELLED
    assert refunds.process_refunds(after)["refunded"] == 1


def test_a_competition_that_closes_with_no_tickets_is_cancelled_with_its_draw(
    session, admin, no_beacon
):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    start_checkout(ann.id, competition.id, 2, "Paris")  # never paid
    after = competition.ends_at + timedelta(seconds=1)

    draws.run_due(now=after)

    draw = catalogue.draw_of(session, competition.id)
    session.refresh(draw)
    assert draw.status == DrawStatus.VOID and "nobody to draw" in draw.reason
    competition = reload(session, competition)
    assert (competition.status, competition.held) == (CompetitionStatus.CANCELLED, 0)
    assert competition.cancel_reason == draw.reason
    assert session.exec(select(TicketOrder.status)).all() == [OrderStatus.EXPIRED]
    with pytest.raises(UserError, match="This competition is cancelled: it cannot be cancelled."):
        catalogue.cancel(session, admin, competition.id, "Nobody entered", now=after)


def test_cancel_finishes_a_competition_left_active_behind_its_void_draw(session, admin):
    """A competition closed empty by an earlier version stayed active behind its void draw, and
    Cancel answered "Cannot void: this draw is void already"."""
    competition = add_competition(session, admin)
    draw = catalogue.draw_of(session, competition.id)
    draw.status, draw.reason = DrawStatus.VOID, "Nobody held entries when the pool closed."
    session.commit()
    after = competition.ends_at + timedelta(seconds=1)

    catalogue.cancel(session, admin, competition.id, "Nobody entered", now=after)
    session.commit()

    assert reload(session, competition).status == CompetitionStatus.CANCELLED
    session.refresh(draw)
    assert draw.status == DrawStatus.VOID


def test_a_competition_in_euros_shows_and_mails_its_prices_in_euros(session, admin, settings_env):
    settings_env(KLAVIYO_API_KEY="pk_test_local")
    competition = add_competition(session, admin, ticket_price_pence=250)
    competition.currency = "eur"
    session.commit()
    ann = add_buyer(session, "ann@example.com")

    buy(ann, competition, 2)

    [placed] = session.exec(
        select(OutboxMessage).where(OutboxMessage.template == "order_placed")
    ).all()
    assert "€5.00" in placed.text_body and "£" not in placed.text_body
    events = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "klaviyo")).all()
    values = {
        (e["metric"]["data"]["attributes"]["name"], e.get("value"), e.get("value_currency"))
        for e in (json.loads(m.payload)["data"]["attributes"] for m in events)
    }
    assert ("Order Placed", 5.0, "EUR") in values and ("Checkout Started", 5.0, "EUR") in values
    [order] = orders.find(session, competition_id=competition.id)
    assert order.amount == "€5.00"
    card = public.card(session, reload(session, competition), utcnow())
    assert competition_views.card_view(card).price == "€2.50"


def test_a_manual_winner_names_a_ticket_and_is_published_as_an_override(session, admin, no_beacon):
    competition = add_competition(session, admin)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    buy(ann, competition, 2)
    buy(bob, competition, 2)
    draw = catalogue.draw_of(session, competition.id)
    after = competition.ends_at + timedelta(seconds=1)

    draw_actions.override(
        session, admin, draw.id, ticket="#4", reason="Drawn live on stream", now=after
    )
    session.commit()

    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()
    assert (winner.ticket, winner.user_id) == (4, bob.id)
    session.refresh(draw)
    assert draw.trigger == "manual_override"
    assert reload(session, competition).status == CompetitionStatus.DRAWN


def test_the_answer_is_stored_hashed_and_edits_after_sales_are_refused(session, admin):
    competition = add_competition(session, admin)
    assert "Paris" not in competition.answer_hash
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)

    with pytest.raises(UserError, match="can no longer change"):
        catalogue.update(session, admin, competition.id, ticket_price_pence="3.00")
    with pytest.raises(UserError, match="cannot go below"):
        catalogue.update(session, admin, competition.id, max_tickets=1)
    assert reload(session, competition).ticket_price_pence == 250


def ticket_checkout_event(event_type: str, checkout_id: str, order_id: int, **fields) -> str:
    """A Stripe-shaped Checkout Session event, signed, through the real webhook handler."""
    checkout = {
        "id": checkout_id,
        "object": "checkout.session",
        "mode": "payment",
        "metadata": {"kind": "competition", "order_id": str(order_id)},
        **fields,
    }
    return payments.send_test_event(
        event_type, checkout, key=f"{event_type}{checkout_id}", now=int(time.time())
    )


def test_stripe_expiring_a_checkout_gives_its_hold_back(session, admin):
    competition = add_competition(session, admin, max_tickets=5)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 4, "Paris")
    checkout_id = checkout.url.split("session=")[1]

    outcome = ticket_checkout_event("checkout.session.expired", checkout_id, checkout.order_id)
    again = ticket_checkout_event("checkout.session.expired", checkout_id, checkout.order_id)

    assert outcome == "hold released" and again == "duplicate"
    assert reload(session, competition).held == 0
    order = session.get(TicketOrder, checkout.order_id, populate_existing=True)
    assert order.status == OrderStatus.EXPIRED


def test_a_delayed_payment_is_numbered_when_stripe_says_it_succeeded(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = checkout.url.split("session=")[1]

    pending = ticket_checkout_event(
        "checkout.session.completed", checkout_id, checkout.order_id, payment_status="unpaid"
    )
    paid = ticket_checkout_event(
        "checkout.session.async_payment_succeeded",
        checkout_id,
        checkout.order_id,
        payment_status="paid",
        amount_total=500,
    )

    assert pending.startswith("waiting") and paid == "numbered: tickets 1–2"
    assert orders.member_numbers(session, ann.id, competition.id) == [1, 2]


def test_a_payment_of_the_wrong_amount_gets_no_tickets_and_is_refunded(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    checkout = start_checkout(ann.id, competition.id, 2, "Paris")
    checkout_id = checkout.url.split("session=")[1]

    outcome = ticket_checkout_event(
        "checkout.session.completed",
        checkout_id,
        checkout.order_id,
        payment_status="paid",
        amount_total=250,
    )

    assert outcome.startswith("refund_due") and "£2.50, not £5.00" in outcome
    competition = reload(session, competition)
    assert (competition.sold, competition.held) == (0, 0)
    assert refunds.process_refunds()["refunded"] == 1


def test_the_competitions_job_releases_holds_and_sends_refunds(session, admin):
    competition = add_competition(session, admin, max_tickets=3)
    ann, bob = add_buyer(session, "ann@example.com"), add_buyer(session, "bob@example.com")
    start_checkout(ann.id, competition.id, 1, "Paris")
    buy(bob, competition, 1)
    bob_order = session.exec(select(TicketOrder).where(TicketOrder.user_id == bob.id)).one()
    refunds.refund_order(session, admin, bob_order.id, "Asked to withdraw")
    session.commit()
    session.exec(
        update(TicketOrder)
        .where(TicketOrder.user_id == ann.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()

    run = jobs.run_job(jobs.JOBS["competitions"])

    assert run.outcome == "ok", run.detail
    assert run.detail.startswith("released 1 holds") and "refunded 1" in run.detail
    assert reload(session, competition).held == 0


def test_a_manual_winner_of_a_competition_verifies_as_an_override_and_nothing_else(
    session, admin, no_beacon
):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)
    draw = catalogue.draw_of(session, competition.id)
    after = competition.ends_at + timedelta(seconds=1)
    draw_actions.override(
        session, admin, draw.id, ticket="2", reason="Drawn live on stream", now=after
    )
    session.commit()

    report = draw_public.verify_draw(session, draw.id)

    assert len(report.differences) == 1 and "manual override" in report.differences[0]
    assert draw_public.view(session, draw.id).winners[0].ticket.startswith("Ticket 2, named by")


def test_check_my_entry_takes_ticket_numbers_and_refuses_other_digits_with_a_sentence(
    session, admin, no_beacon
):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 2)
    draws.run_due(now=competition.draw_at + timedelta(seconds=1))
    draw = catalogue.draw_of(session, competition.id)

    assert draw_public.check_entry(session, draw.id, "2", client_ip=IP).found
    refused = draw_public.check_entry(session, draw.id, "²", client_ip=IP)
    assert not refused.found and "ticket number" in refused.message


def test_searching_orders_by_a_number_too_big_for_an_id_reads_it_as_text(session, admin):
    competition = add_competition(session, admin)
    ann = add_buyer(session, "ann@example.com")
    buy(ann, competition, 1)

    assert [o.numbers for o in orders.find(session, query="#1")] == ["1"]
    assert orders.find(session, query="99999999999") == []
    assert orders.find(session, query="²") == []

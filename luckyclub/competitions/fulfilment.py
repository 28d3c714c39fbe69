"""Fulfilment: a paid checkout's hold becomes numbered tickets, once, whoever asks.

Paying turns the hold into numbers sold+1..sold+n in the same UPDATE that moves them from `held` to
`sold`, in one transaction with the ticket rows (on PostgreSQL one statement does both);
UNIQUE(competition_id, number) and a CHECK on the counts are the backstop. Fulfilment is one
function, keyed by the Checkout Session (the order row is locked first), so the webhook, its retries
and the success page can all call it: the first one numbers the tickets, the rest find them
numbered. A payment that can no longer have tickets (sold out, closed, cancelled) is marked
`refund_due` in that transaction (see refunds.py).
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Integer, String, bindparam, delete, func, insert, update
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from luckyclub.competitions import catalogue
from luckyclub.competitions.catalogue import money
from luckyclub.competitions.checkout import end_hold, give_back, test_checkout_order
from luckyclub.competitions.orders import describe_numbers, order_numbers
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import stripe_api
from luckyclub.integrations.payments import get_payments
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    OrderStatus,
    OutboxMessage,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    UTCDateTime,
    id_of,
    table_of,
    utcnow,
)
from luckyclub.platform import mail, notify, payments

log = logging.getLogger(__name__)

# The filler of an order's blanks: its buyer's notifications are queued before its numbers exist.
ORDER_NUMBERS = "order_numbers"


def _numbers_of_order(session: Session, ref: str) -> dict[str, str]:
    return {"numbers": describe_numbers(order_numbers(session, int(ref)))}


mail.register_filler(ORDER_NUMBERS, _numbers_of_order)


@dataclass(frozen=True)
class Fulfilment:
    outcome: str  # numbered, duplicate, refund_due, waiting, unknown
    order_id: int | None = None
    numbers: tuple[int, ...] = ()
    message: str = ""


def fulfil(
    session: Session, checkout: dict, *, source: str, now: datetime | None = None
) -> Fulfilment:
    """Number the tickets of a paid Checkout Session, once: called by the webhook
    (checkout.session.completed / async_payment_succeeded) and by the success page."""
    now = now or utcnow()
    found = _locked_order(session, checkout)
    if found is None:
        return Fulfilment("unknown", message="no order for this checkout")
    order, competition, buyer = found
    if checkout.get("payment_status") not in ("paid", "no_payment_required"):
        return Fulfilment("waiting", order.id, message="the payment has not arrived yet")
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        return Fulfilment(
            "duplicate", order.id, order_numbers(session, id_of(order)), "already fulfilled"
        )
    # Paid now: numbered, or due a refund; either way the buyer's order and the counts change.
    catalogue.announce(session, order.competition_id, order.user_id)
    order.checkout_id = order.checkout_id or checkout.get("id")
    order.payment_intent_id = stripe_api.object_id(checkout.get("payment_intent"))
    order.paid_at, order.fulfilled_by = now, source[:100]
    paid = checkout.get("amount_total")
    if isinstance(paid, int) and paid != order.amount_pence:
        if order.status == OrderStatus.PENDING:
            give_back(session, order.competition_id, order.quantity)
        return _refund_due(
            session,
            order,
            f"Stripe took {money(paid, competition.currency)}, "
            f"not {money(order.amount_pence, competition.currency)}.",
        )
    held = order.status == OrderStatus.PENDING
    # Every buyer queues for the competition row's lock, so the less a fulfilment does while it
    # holds it, the more buyers a second it serves: the order and the buyer's notifications (with
    # blanks for the numbers, written in when they are sent) are written first, and the lock is
    # held for the numbering and the commit alone.
    order.status = OrderStatus.PAID
    tell_entered(session, order, None, competition=competition, user=buyer)
    session.flush()
    numbers, why_not = _number(session, order, now, held=held)
    if not numbers:
        session.execute(delete(OutboxMessage).where(col(OutboxMessage.fill) == _fill_of(order)))
        return _refund_due(session, order, why_not)
    return Fulfilment("numbered", order.id, numbers, f"tickets {describe_numbers(numbers)}")


def _fill_of(order: TicketOrder) -> str:
    return mail.fill_of(ORDER_NUMBERS, order.id)


def _order_for(session: Session, checkout: dict) -> TicketOrder | None:
    """The order a Checkout Session pays for, locked, so concurrent deliveries queue here."""
    found = _locked_order(session, checkout)
    return found[0] if found else None


def _locked_order(
    session: Session, checkout: dict
) -> tuple[TicketOrder, Competition, User | None] | None:
    """The order (locked), its competition and its buyer (not locked), in one query: fulfilment
    needs all three, and each round trip saved is time the competition row is not waiting for."""
    checkout_id = checkout.get("id")
    if not isinstance(checkout_id, str) or not checkout_id:
        checkout_id = None
    row = None
    if checkout_id:
        row = session.exec(_order_query("checkout_id"), params={"key": checkout_id}).first()
    if row is not None:
        order, competition, buyer = row
        return order, competition, buyer
    metadata = checkout.get("metadata")
    reference = (metadata if isinstance(metadata, dict) else {}).get("order_id")
    reference = reference or checkout.get("client_reference_id")
    # An id no order can have (not a number, or too big for the column) is no order of ours.
    order_id = routes.whole_id(reference) if isinstance(reference, str) else None
    if order_id is None:
        return None
    row = session.exec(_order_query("id"), params={"key": order_id}).first()
    if row is None or (row[0].checkout_id and row[0].checkout_id != checkout_id):
        return None  # an order paid through another session is not this one
    order, competition, buyer = row
    return order, competition, buyer


@functools.cache
def _order_query(key: str) -> Select[TicketOrder, Competition, User]:
    """The order by `key` (its checkout_id or id, given as :key) locked, its competition and its
    buyer: built once, as building it costs more than running it."""
    column = col(TicketOrder.checkout_id) if key == "checkout_id" else col(TicketOrder.id)
    return (
        select(TicketOrder, Competition, User)
        .join(Competition, col(Competition.id) == col(TicketOrder.competition_id))
        .outerjoin(User, col(User.id) == col(TicketOrder.user_id))
        .where(column == bindparam("key"))
        .with_for_update(of=TicketOrder)
        .execution_options(populate_existing=True)
    )


def _number(
    session: Session, order: TicketOrder, now: datetime, *, held: bool
) -> tuple[tuple[int, ...], str]:
    """The order's numbers, from the capped UPDATE, with its ticket rows; or () and why not.

    A held order turns its hold into numbers (the room is there already). An order whose hold
    ran out before the payment came needs the room again. A hold that cannot become numbers (the
    competition closed) is given back."""
    n = order.quantity
    values = {"n": n, "competition_id": order.competition_id, "now": now}
    if session.get_bind().dialect.name == "postgresql":
        ticket = {
            "order_id": order.id,
            "user_id": order.user_id,
            "ticket_status": TicketStatus.ACTIVE,
        }
        found = session.execute(_numbered_with_tickets(held), values | ticket).scalars()
        numbers = tuple(sorted(found))
    else:  # SQLite has no UPDATE in a WITH; it has one writer anyway, so two statements
        row = session.execute(_numbering(held), values).first()
        numbers = () if row is None else tuple(range(row.sold - n + 1, row.sold + 1))
        if numbers:
            session.execute(insert(Ticket), [_ticket(order, number, now) for number in numbers])
    if numbers:
        return numbers, ""
    if held:
        give_back(session, order.competition_id, n)
    competition = db.get_existing(session, Competition, order.competition_id)
    session.refresh(competition)
    if competition.status == CompetitionStatus.CANCELLED:
        return (), "The competition was cancelled before your payment arrived."
    if catalogue.phase(competition, now) != catalogue.Phase.ON_SALE:
        return (), (
            f"The competition closed at {competition.ends_at:%d %b %Y %H:%M} UTC, "
            "before your payment arrived."
        )
    return (), "The last tickets sold while your payment was on its way: it sold out."


# The numbering statements are built once, with parameters: building a statement this size costs
# more Python than the database takes to run it.


@functools.cache
def _numbering(held: bool) -> ReturningUpdate[tuple[int]]:
    """The capped UPDATE that numbers :n tickets of :competition_id while it is on sale at :now (a
    held order's from its hold, another's from the room nobody holds), returning the new `sold`.
    Core's table, not the model: with parameters, an ORM statement would run as a bulk one."""
    table = table_of(Competition)
    n = bindparam("n", type_=Integer)
    conditions = [
        table.c.id == bindparam("competition_id", type_=Integer),
        table.c.status == CompetitionStatus.ACTIVE,
        table.c.ends_at > bindparam("now", type_=UTCDateTime()),
    ]
    if held:
        counts = {"held": table.c.held - n, "sold": table.c.sold + n}
    else:
        conditions.append(table.c.sold + table.c.held + n <= table.c.max_tickets)
        counts = {"sold": table.c.sold + n}
    return update(table).where(*conditions).values(counts).returning(table.c.sold)


@functools.cache
def _numbered_with_tickets(held: bool) -> ReturningInsert[tuple[int]]:
    """One round trip for the numbers and the ticket rows (PostgreSQL): WITH numbered AS (UPDATE
    competition … RETURNING sold) INSERT INTO ticket … SELECT … generate_series(…) RETURNING
    number. The row lock it takes is held until the commit that follows at once."""
    numbered = _numbering(held).cte("numbered")
    n = bindparam("n", type_=Integer)
    rows = sa.select(  # Core's select: sqlmodel's is typed for at most four columns
        bindparam("competition_id", type_=Integer),
        func.generate_series(numbered.c.sold - n + 1, numbered.c.sold),
        bindparam("order_id", type_=Integer),
        bindparam("user_id", type_=Integer),
        bindparam("ticket_status", type_=String),
        bindparam("now", type_=UTCDateTime()),
    ).select_from(numbered)
    table = table_of(Ticket)
    columns = ["competition_id", "number", "order_id", "user_id", "status", "created_at"]
    return insert(table).from_select(columns, rows).returning(table.c.number).add_cte(numbered)


def _ticket(order: TicketOrder, number: int, now: datetime) -> dict[str, object]:
    return {
        "competition_id": order.competition_id,
        "number": number,
        "order_id": order.id,
        "user_id": order.user_id,
        "status": TicketStatus.ACTIVE,
        "created_at": now,
    }


def take_numbers(session: Session, competition_id: int, quantity: int, *also) -> int | None:
    """The capped UPDATE that hands out numbers from the room nobody holds: the first of
    `quantity` consecutive numbers, or None when there is no room (or `also` does not hold)."""
    row = session.execute(
        update(Competition)
        .where(
            col(Competition.id) == competition_id,
            col(Competition.status) == CompetitionStatus.ACTIVE,
            col(Competition.sold) + col(Competition.held) + quantity
            <= col(Competition.max_tickets),
            *also,
        )
        .values(sold=Competition.sold + quantity)
        .returning(col(Competition.sold))
    ).first()
    if row is None:
        return None
    catalogue.announce(session, competition_id)
    return row.sold - quantity + 1


def _refund_due(session: Session, order: TicketOrder, reason: str) -> Fulfilment:
    order.status, order.refund_reason, order.refund_next_at = OrderStatus.REFUND_DUE, reason, None
    log.info("Order %s paid but refunded: %s", order.id, reason)
    return Fulfilment("refund_due", order.id, message=reason)


def tell_entered(
    session: Session,
    order: TicketOrder,
    numbers: tuple[int, ...] | None,
    *,
    competition: Competition | None = None,
    user: User | None = None,
) -> None:
    """The buyer's notifications (their competition and account are read unless given). Without
    `numbers` (not given out yet) they hold a blank that delivery fills with the order's numbers."""
    if user is None and order.user_id:
        user = session.get(User, order.user_id)
    if user is None:
        return
    competition = competition or db.get_existing(session, Competition, order.competition_id)
    link = get_settings().app_url + routes.competition_page(id_of(competition))
    shown, fill = (
        (mail.blank("numbers"), _fill_of(order))
        if numbers is None
        else (describe_numbers(numbers), None)
    )
    if order.status == OrderStatus.PAID:
        notify.notify(
            session,
            user,
            notify.ORDER_PLACED,
            unique_id=f"order-placed-{order.id}",
            email="order_placed",
            sms=f"LuckyClub: your tickets for {competition.title}: {shown}. Good luck!",
            value_pence=order.amount_pence,
            currency=competition.currency,
            title=competition.title,
            numbers=shown,
            amount=money(order.amount_pence, competition.currency),
            link=link,
            fill=fill,
        )
    notify.notify(
        session,
        user,
        notify.COMPETITION_ENTERED,
        unique_id=f"competition-entered-{order.id}",
        title=competition.title,
        numbers=shown,
        link=link,
        fill=fill,
    )


def on_checkout_event(session: Session, event: dict) -> str:
    """The webhook's part for ticket checkouts (the event id is claimed by the caller)."""
    checkout = event["data"]["object"]
    if event["type"] in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        order = _order_for(session, checkout)
        if order is None or not end_hold(session, order):
            return "ignored: no open order for this checkout"
        return "hold released"
    done = fulfil(session, checkout, source=event["id"])
    if done.outcome == "unknown":
        return f"ignored: {done.message}"  # answered 200: Stripe stops sending what is not ours
    return f"{done.outcome}: {done.message}"


def confirm(user_id: int, checkout_id: str, now: datetime | None = None) -> Fulfilment:
    """The success page: ask Stripe how the checkout stands and fulfil it if it is paid, so the
    buyer sees their numbers even when the webhook is slow."""
    with db.session_scope() as session:
        order = session.exec(
            select(TicketOrder).where(
                TicketOrder.checkout_id == checkout_id, TicketOrder.user_id == user_id
            )
        ).first()
        if order is None:
            raise UserError("That checkout is not one of yours.")
        if order.status != OrderStatus.PENDING and order.status != OrderStatus.EXPIRED:
            return _settled(session, order)
    checkout = get_payments().checkout(checkout_id)
    with db.session_scope() as session:
        return fulfil(session, checkout, source="success page", now=now)


def _settled(session: Session, order: TicketOrder) -> Fulfilment:
    if order.status in (OrderStatus.REFUND_DUE, OrderStatus.REFUNDED):
        return Fulfilment("refund_due", order.id, message=order.refund_reason or "refunded")
    return Fulfilment(
        "duplicate", order.id, order_numbers(session, id_of(order)), "already fulfilled"
    )


# ---- the test pay page -------------------------------------------------------------------------


def pay_test_checkout(user: User, checkout_id: str) -> Fulfilment:
    """The test checkout's Pay button: Stripe's checkout.session.completed, signed by the local
    twin and sent through the real webhook handler. Paying twice replays one event."""
    with db.session_scope() as session:
        order = test_checkout_order(session, user, checkout_id)
        paid = get_payments().twin().paid_ticket_checkout(order, checkout_id, user.email)
    payments.send_test_event(
        "checkout.session.completed", paid, key=checkout_id, now=int(time.time())
    )
    with db.session_scope() as session:
        return _settled(session, db.get_existing(session, TicketOrder, order.id))


# What competitions take from the payment provider's events (platform/payments.py hands them here):
# the Checkout Sessions of ticket orders, which are one-off payments.
payments.register("checkout.session.completed", on_checkout_event, checkout_mode="payment")
payments.register(
    "checkout.session.async_payment_succeeded", on_checkout_event, checkout_mode="payment"
)
payments.register(
    "checkout.session.async_payment_failed", on_checkout_event, checkout_mode="payment"
)
payments.register("checkout.session.expired", on_checkout_event, checkout_mode="payment")

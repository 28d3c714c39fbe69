"""Refunds of competition tickets: an admin's refund, and paying back what fulfilment could not use.

An order to refund is marked `refund_due` in the transaction that takes its tickets out of the draw;
Stripe is asked afterwards, outside it, with an idempotency key, until it says yes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue
from luckyclub.competitions.catalogue import money
from luckyclub.competitions.orders import PAID_STATUSES
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations.payments import RefundFailed, get_payments
from luckyclub.models import (
    Competition,
    DrawStatus,
    OrderStatus,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, notify
from luckyclub.platform.permissions import require_admin

log = logging.getLogger(__name__)

REFUND_CLAIM_FOR = timedelta(minutes=5)
REFUND_RETRY_AFTER = timedelta(seconds=30)
REFUND_RETRY_AT_MOST = timedelta(hours=1)


def refund_order(
    session: Session, admin: User, order_id: int, reason: str, now: datetime | None = None
) -> TicketOrder:
    """An admin refunds an order: its tickets leave the draw at once, the money follows."""
    require_admin(admin)
    reason = audit.checked_reason(reason, shown="the buyer is told")
    found = session.exec(
        select(TicketOrder.competition_id, TicketOrder.status).where(TicketOrder.id == order_id)
    ).first()
    if found is None:
        raise UserError("That order does not exist.")
    competition_id, status = found
    _check_refundable(status)  # an order still being paid is refused before any lock
    # The competition before the order, as a cancellation takes them; shared, so refunds of
    # different orders do not queue behind one another.
    draw_status = catalogue.draw_status_after_close(session, competition_id, shared=True)
    order = session.get(TicketOrder, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise UserError("That order does not exist.")
    _check_refundable(order.status)
    if draw_status in (DrawStatus.CLOSED, DrawStatus.WAITING_FOR_BEACON):
        raise UserError(
            "The draw has frozen its tickets and is about to run: refund after it has drawn."
        )
    void_order(session, order, reason)
    audit.record(session, admin, "order.refund", "ticket_order", order.id, reason)
    return order


def _check_refundable(status: str) -> None:
    if status not in PAID_STATUSES:
        raise UserError(
            f"Only a paid order or a postal entry can be refunded; this one is {status}."
        )


def void_order(session: Session, order: TicketOrder, reason: str) -> None:
    """Take an order's tickets out of the draw; a paid one is refunded, a postal one voided."""
    postal = order.status == OrderStatus.POSTAL
    catalogue.announce(session, order.competition_id, order.user_id)  # fewer tickets in the draw
    session.exec(
        update(Ticket)
        .where(col(Ticket.order_id) == order.id, col(Ticket.status) == TicketStatus.ACTIVE)
        .values(status=TicketStatus.VOID if postal else TicketStatus.REFUNDED)
    )
    if postal:
        order.status, order.refund_reason, order.refunded_at = (
            OrderStatus.REFUNDED,
            reason,
            utcnow(),
        )
    else:
        order.status, order.refund_reason, order.refund_next_at = (
            OrderStatus.REFUND_DUE,
            reason,
            None,
        )


def process_refunds(now: datetime | None = None, *, batch: int = 20) -> dict[str, int]:
    """Ask Stripe for every refund that is due; safe in several processes at once (each order is
    claimed first) and against lost answers (see refund_key and StripePayments.refund)."""
    now = now or utcnow()
    counts = {"refunded": 0, "retrying": 0}
    due = or_(col(TicketOrder.refund_next_at).is_(None), col(TicketOrder.refund_next_at) <= now)
    with db.session_scope() as session:
        order_ids = session.exec(
            select(TicketOrder.id)
            .where(col(TicketOrder.status) == OrderStatus.REFUND_DUE, due)
            .order_by(col(TicketOrder.id))
            .limit(batch)
        ).all()
    for order_id in order_ids:
        with db.session_scope() as session:
            claimed = session.exec(
                update(TicketOrder)
                .where(
                    col(TicketOrder.id) == order_id,
                    col(TicketOrder.status) == OrderStatus.REFUND_DUE,
                    due,
                )
                .values(refund_next_at=now + REFUND_CLAIM_FOR)
            ).rowcount
            if claimed != 1:
                continue
            order = db.get_existing(session, TicketOrder, order_id)
        counts[_refund(order, now)] += 1
    return counts


def refund_key(order: TicketOrder) -> str:
    """Stripe's idempotency key for this attempt at refunding the order. Stripe replays the first
    answer to a key, a refusal too, so each attempt after a failed one needs its own; the adapter
    makes sure a fresh key never refunds twice."""
    key = f"refund-order-{order.id}"
    return f"{key}-retry-{order.refund_attempts}" if order.refund_attempts else key


def _refund(order: TicketOrder, now: datetime) -> str:
    try:
        refund_id = get_payments().refund(
            order.payment_intent_id, order.amount_pence, key=refund_key(order)
        )
    except RefundFailed as exc:
        attempts = order.refund_attempts + 1
        delay = min(REFUND_RETRY_AFTER * 2 ** min(attempts - 1, 12), REFUND_RETRY_AT_MOST)
        log.warning("Refund of order %s failed (attempt %d): %s", order.id, attempts, exc)
        with db.session_scope() as session:
            session.exec(
                update(TicketOrder)
                .where(col(TicketOrder.id) == order.id)
                .values(refund_attempts=attempts, refund_next_at=now + delay)
            )
        return "retrying"
    with db.session_scope() as session:
        done = session.exec(
            update(TicketOrder)
            .where(
                col(TicketOrder.id) == order.id, col(TicketOrder.status) == OrderStatus.REFUND_DUE
            )
            .values(status=OrderStatus.REFUNDED, refund_id=refund_id, refunded_at=now)
        ).rowcount
        user = session.get(User, order.user_id) if order.user_id else None
        if done and user is not None:
            changes.announce(session, changes.member(id_of(user)))
            competition = db.get_existing(session, Competition, order.competition_id)
            notify.notify(
                session,
                user,
                notify.ORDER_REFUNDED,
                unique_id=f"order-refunded-{order.id}",
                email="order_refunded",
                title=competition.title,
                amount=money(order.amount_pence, competition.currency),
                reason=order.refund_reason or "",
                link=get_settings().app_url + routes.competition_page(id_of(competition)),
            )
    return "refunded"

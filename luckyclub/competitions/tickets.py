"""Competition tickets and the money behind them: checkout holds, fulfilment, refunds, postal.

The numbers (DESIGN.md, "Competitions"): a checkout first holds its tickets with a capped UPDATE
(`sold + held + n <= max_tickets`), so a buyer never pays for a ticket that is not there. Paying
turns the hold into numbers sold+1..sold+n in the same UPDATE that moves them from `held` to `sold`,
in one transaction with the ticket rows; UNIQUE(competition_id, number) and a CHECK on the counts
are the backstop. Fulfilment is one function, keyed by the Checkout Session (the order row is locked
first), so the webhook, its retries and the success page can all call it: the first one numbers the
tickets, the rest find them numbered. A payment that can no longer have tickets (sold out, closed,
cancelled) is refunded: the order is marked `refund_due` in that transaction, and Stripe is asked
afterwards, outside it, with an idempotency key, until it says yes.
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue, responsible_play
from luckyclub.competitions.catalogue import money
from luckyclub.core import db, routes, safe_csv, security
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations import stripe_api
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    Draw,
    DrawStatus,
    OrderStatus,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    utcnow,
)
from luckyclub.platform import accounts, audit, draws, notify
from luckyclub.platform.permissions import require_admin

log = logging.getLogger(__name__)

HOLD_FOR = timedelta(minutes=15)
STRIPE_SESSION_LIFETIME = timedelta(minutes=31)  # Stripe's shortest is 30 minutes
REFUND_CLAIM_FOR = timedelta(minutes=5)
REFUND_RETRY_AFTER = timedelta(seconds=30)
REFUND_RETRY_AT_MOST = timedelta(hours=1)
TEST_CHECKOUT_PREFIX = "cs_test_local_order_"
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.POSTAL)
WRONG_ANSWER = (
    "That answer is not right, so nothing was entered and nothing was charged. "
    "Read the question again and choose another answer."
)


# ---- checkout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkout:
    order_id: int
    url: str  # Stripe Checkout, or the built-in test checkout


def start_checkout(
    user_id: int,
    competition_id: int,
    quantity: int | str,
    answer: str,
    now: datetime | None = None,
) -> Checkout:
    """Hold the tickets for 15 minutes and send the buyer to pay for them.

    The hold is committed before Stripe is called, so the competition row is never locked while a
    payment provider thinks; if Stripe cannot be reached the hold is released at once.
    """
    now = now or utcnow()
    settings = get_settings()
    with db.session_scope() as session:
        user = session.get(User, user_id)
        _check_buyer(user)
        competition = catalogue.get_public(session, competition_id)
        _check_on_sale(competition, now)
        quantity = _quantity(quantity, competition)
        if not catalogue.is_right_answer(competition, answer):
            raise UserError(WRONG_ANSWER, field="answer")
        amount = quantity * competition.ticket_price_pence
        responsible_play.check_purchase(session, user, amount, now)
        _hold(session, competition, quantity, now)
        _check_person_limit(session, competition, user.id, quantity, postal=False)
        order = TicketOrder(
            competition_id=competition.id,
            user_id=user.id,
            quantity=quantity,
            amount_pence=amount,
            expires_at=now + HOLD_FOR,
            created_at=now,
        )
        session.add(order)
        session.flush()
        order_id, title = order.id, competition.title
        unit, currency = competition.ticket_price_pence, competition.currency
        buyer = User(**user.model_dump())
    try:
        checkout_id, url = _payment_page(
            order_id, buyer, competition_id, title, quantity, unit, currency, now
        )
    except UserError:
        release(order_id)
        raise
    with db.session_scope() as session:
        session.exec(
            update(TicketOrder)
            .where(TicketOrder.id == order_id, col(TicketOrder.checkout_id).is_(None))
            .values(checkout_id=checkout_id)
        )
        # Only now has the checkout started: queued with the hold, the event outlived a hold
        # that Stripe's failure released.
        notify.notify(
            session,
            session.get(User, user_id),
            notify.CHECKOUT_STARTED,
            unique_id=f"checkout-started-{order_id}",
            value_pence=amount,
            currency=currency,
            title=title,
            quantity=str(quantity),
            link=settings.app_url + routes.competition_page(competition_id),
        )
    return Checkout(order_id, url)


def _check_buyer(user: User | None) -> None:
    if user is None:
        raise NotAllowed("Sign in to buy tickets.")
    if user.banned_at is not None:
        raise NotAllowed("This account has been suspended.")
    if user.email_verified_at is None:
        raise NotAllowed("Confirm your email address first: we sent you a link when you joined.")


def _check_on_sale(competition: Competition, now: datetime) -> None:
    phase = catalogue.phase(competition, now)
    if phase == catalogue.Phase.UPCOMING:
        raise UserError(
            f"Tickets go on sale at {competition.starts_at:%d %b %Y %H:%M} UTC. Come back then."
        )
    if phase != catalogue.Phase.ON_SALE:
        raise UserError("This competition has closed: it takes no more entries.")
    if catalogue.left(competition) == 0:
        if competition.sold >= competition.max_tickets:
            raise UserError("Sold out: every ticket has been bought.")
        raise UserError(
            "Every ticket left is in someone's checkout. Held tickets that are not paid for "
            f"come back within {HOLD_FOR.seconds // 60} minutes: try again then."
        )


def _quantity(value: int | str, competition: Competition) -> int:
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        raise UserError("Choose how many tickets, as a whole number.", field="quantity") from None
    if quantity < 1:
        raise UserError("Choose at least one ticket.", field="quantity")
    if quantity > competition.per_person_limit:
        raise UserError(
            f"You can buy at most {competition.per_person_limit} tickets in this competition.",
            field="quantity",
        )
    return quantity


def _hold(session: Session, competition: Competition, quantity: int, now: datetime) -> None:
    """The capped UPDATE that reserves tickets; it also locks the row until the transaction ends."""
    held = session.exec(
        update(Competition)
        .where(
            Competition.id == competition.id,
            Competition.status == CompetitionStatus.ACTIVE,
            Competition.ends_at > now,
            Competition.sold + Competition.held + quantity <= Competition.max_tickets,
        )
        .values(held=Competition.held + quantity)
    ).rowcount
    if held != 1:
        session.refresh(competition)
        left = catalogue.left(competition)
        if left == 0:
            _check_on_sale(competition, now)  # says sold out, or held by others
        raise UserError(
            f"Only {left} ticket{'s are' if left != 1 else ' is'} left: choose {left} or fewer.",
            field="quantity",
        )


def _check_person_limit(
    session: Session, competition: Competition, user_id: int, quantity: int, *, postal: bool
) -> None:
    """Tickets a person has or holds in the competition, this order included, within the limit.
    Runs after _hold, which holds the competition row: two orders by one person queue here."""
    has = member_has(session, competition.id, user_id)
    if has + quantity > competition.per_person_limit:
        left = max(competition.per_person_limit - has, 0)
        whose = "This member has" if postal else "You have"
        raise UserError(
            f"{whose} {has} of the {competition.per_person_limit} tickets one person may have "
            f"in this competition (paid or in checkout), so at most {left} more.",
            field="quantity",
        )


def member_has(session: Session, competition_id: int, user_id: int) -> int:
    """Tickets a person has (paid or postal) or holds in an open checkout in a competition: what
    the per-person limit counts."""
    return session.exec(
        select(func.coalesce(func.sum(TicketOrder.quantity), 0)).where(
            TicketOrder.competition_id == competition_id,
            TicketOrder.user_id == user_id,
            col(TicketOrder.status).in_((OrderStatus.PENDING, *PAID_STATUSES)),
        )
    ).one()


def _payment_page(
    order_id: int,
    user: User,
    competition_id: int,
    title: str,
    quantity: int,
    unit: int,
    currency: str,
    now: datetime,
) -> tuple[str, str]:
    settings = get_settings()
    if settings.stripe_test_mode:
        checkout_id = _test_checkout_id(order_id, user.id)
        return checkout_id, f"{routes.COMPETITION_TEST_CHECKOUT}?session={checkout_id}"
    page = settings.app_url + routes.competition_page(competition_id)
    return stripe_api.create_ticket_checkout(
        order_id=order_id,
        user=user,
        title=title,
        quantity=quantity,
        unit_amount=unit,
        currency=currency,
        expires_at=int((now + STRIPE_SESSION_LIFETIME).timestamp()),
        success_url=f"{page}?order={order_id}&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{page}?cancelled={order_id}",
        settings=settings,
    )


# ---- holds running out -------------------------------------------------------------------------


def release(order_id: int, *, user_id: int | None = None) -> bool:
    """Give an unpaid checkout's tickets back (abandoned, timed out, or Stripe refused it).
    True if this call released it; a paid or already released order is left alone."""
    with db.session_scope() as session:
        conditions = [TicketOrder.id == order_id, TicketOrder.status == OrderStatus.PENDING]
        if user_id is not None:
            conditions.append(TicketOrder.user_id == user_id)
        order = session.exec(select(TicketOrder).where(*conditions).with_for_update()).first()
        if order is None or not _expire(session, order):
            return False
        checkout_id = order.checkout_id
    if checkout_id and not get_settings().stripe_test_mode:
        stripe_api.expire_checkout(checkout_id)  # so Stripe's page takes no payment any more
    return True


def expire_holds(now: datetime | None = None) -> int:
    """Release every hold whose 15 minutes are up, or whose competition has ended or closed."""
    now = now or utcnow()
    with db.session_scope() as session:
        due = session.exec(
            select(TicketOrder.id)
            .join(Competition, Competition.id == TicketOrder.competition_id)
            .where(
                TicketOrder.status == OrderStatus.PENDING,
                or_(
                    TicketOrder.expires_at <= now,
                    Competition.ends_at <= now,
                    Competition.status != CompetitionStatus.ACTIVE,
                ),
            )
        ).all()
    return sum(release(order_id) for order_id in due)


# ---- fulfilment: one function, whoever calls -----------------------------------------------------


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
        return Fulfilment("duplicate", order.id, _numbers(session, order.id), "already fulfilled")
    order.checkout_id = order.checkout_id or checkout.get("id")
    order.payment_intent_id = stripe_api.object_id(checkout.get("payment_intent"))
    order.paid_at, order.fulfilled_by = now, source[:100]
    paid = checkout.get("amount_total")
    if isinstance(paid, int) and paid != order.amount_pence:
        if order.status == OrderStatus.PENDING:
            _give_back(session, order.competition_id, order.quantity)
        return _refund_due(
            session,
            order,
            f"Stripe took {money(paid, competition.currency)}, "
            f"not {money(order.amount_pence, competition.currency)}.",
        )
    held = order.status == OrderStatus.PENDING
    # The order is written before the competition row is locked: every buyer queues for that lock,
    # so the less a fulfilment does while holding it, the more buyers a second it serves.
    order.status = OrderStatus.PAID
    session.flush()
    first, why_not = _allocate(session, order, now, held=held)
    if first is None:
        return _refund_due(session, order, why_not)
    numbers = tuple(range(first, first + order.quantity))
    session.execute(
        insert(Ticket),
        [
            {
                "competition_id": order.competition_id,
                "number": number,
                "order_id": order.id,
                "user_id": order.user_id,
                "status": TicketStatus.ACTIVE,
                "created_at": now,
            }
            for number in numbers
        ],
    )
    _tell_entered(session, order, numbers, competition=competition, user=buyer)
    return Fulfilment("numbered", order.id, numbers, f"tickets {describe_numbers(numbers)}")


def _order_for(session: Session, checkout: dict) -> TicketOrder | None:
    """The order a Checkout Session pays for, locked, so concurrent deliveries queue here."""
    found = _locked_order(session, checkout)
    return found[0] if found else None


def _locked_order(
    session: Session, checkout: dict
) -> tuple[TicketOrder, Competition, User | None] | None:
    """The order (locked), its competition and its buyer (not locked), in one query: fulfilment
    needs all three, and each round trip saved is time the competition row is not waiting for."""
    query = (
        select(TicketOrder, Competition, User)
        .join(Competition, Competition.id == TicketOrder.competition_id)
        .outerjoin(User, User.id == TicketOrder.user_id)
        .with_for_update(of=TicketOrder)
        .execution_options(populate_existing=True)
    )
    checkout_id = checkout.get("id")
    if not isinstance(checkout_id, str) or not checkout_id:
        checkout_id = None
    row = None
    if checkout_id:
        row = session.exec(query.where(TicketOrder.checkout_id == checkout_id)).first()
    if row is not None:
        return tuple(row)
    metadata = checkout.get("metadata")
    reference = (metadata if isinstance(metadata, dict) else {}).get("order_id")
    reference = reference or checkout.get("client_reference_id")
    # An id no order can have (not a number, or too big for the column) is no order of ours.
    order_id = routes.whole_id(reference) if isinstance(reference, str) else None
    if order_id is None:
        return None
    row = session.exec(query.where(TicketOrder.id == order_id)).first()
    if row is None or (row[0].checkout_id and row[0].checkout_id != checkout_id):
        return None  # an order paid through another session is not this one
    return tuple(row)


def _allocate(
    session: Session, order: TicketOrder, now: datetime, *, held: bool
) -> tuple[int | None, str]:
    """The first of the order's numbers, from the capped UPDATE; or None and why not.

    A held order turns its hold into numbers (the room is there already). An order whose hold
    ran out before the payment came needs the room again. A hold that cannot become numbers (the
    competition closed) is given back."""
    n, still_on_sale = order.quantity, Competition.ends_at > now
    if held:
        row = session.execute(
            update(Competition)
            .where(
                Competition.id == order.competition_id,
                Competition.status == CompetitionStatus.ACTIVE,
                still_on_sale,
            )
            .values(held=Competition.held - n, sold=Competition.sold + n)
            .returning(Competition.sold)
        ).first()
        first = None if row is None else row.sold - n + 1
    else:
        first = _take_numbers(session, order.competition_id, n, still_on_sale)
    if first is not None:
        return first, ""
    if held:
        _give_back(session, order.competition_id, n)
    competition = session.get(Competition, order.competition_id, populate_existing=True)
    if competition.status == CompetitionStatus.CANCELLED:
        return None, "The competition was cancelled before your payment arrived."
    if catalogue.phase(competition, now) != catalogue.Phase.ON_SALE:
        return None, (
            f"The competition closed at {competition.ends_at:%d %b %Y %H:%M} UTC, "
            "before your payment arrived."
        )
    return None, "The last tickets sold while your payment was on its way: it sold out."


def _give_back(session: Session, competition_id: int, quantity: int) -> None:
    """Return held tickets to the competition (a hold ended without becoming numbers)."""
    session.exec(
        update(Competition)
        .where(Competition.id == competition_id)
        .values(held=Competition.held - quantity)
    )


def _expire(session: Session, order: TicketOrder) -> bool:
    """An unpaid checkout ends: its hold is given back. False if it was not open any more."""
    if order.status != OrderStatus.PENDING:
        return False
    _give_back(session, order.competition_id, order.quantity)
    order.status = OrderStatus.EXPIRED
    return True


def _take_numbers(session: Session, competition_id: int, quantity: int, *also) -> int | None:
    """The capped UPDATE that hands out numbers from the room nobody holds: the first of
    `quantity` consecutive numbers, or None when there is no room (or `also` does not hold)."""
    row = session.execute(
        update(Competition)
        .where(
            Competition.id == competition_id,
            Competition.status == CompetitionStatus.ACTIVE,
            Competition.sold + Competition.held + quantity <= Competition.max_tickets,
            *also,
        )
        .values(sold=Competition.sold + quantity)
        .returning(Competition.sold)
    ).first()
    return None if row is None else row.sold - quantity + 1


def _refund_due(session: Session, order: TicketOrder, reason: str) -> Fulfilment:
    order.status, order.refund_reason, order.refund_next_at = OrderStatus.REFUND_DUE, reason, None
    log.info("Order %s paid but refunded: %s", order.id, reason)
    return Fulfilment("refund_due", order.id, message=reason)


def _tell_entered(
    session: Session,
    order: TicketOrder,
    numbers: tuple[int, ...],
    *,
    competition: Competition | None = None,
    user: User | None = None,
) -> None:
    """The buyer's notifications (their competition and account are read unless given)."""
    if user is None and order.user_id:
        user = session.get(User, order.user_id)
    if user is None:
        return
    competition = competition or session.get(Competition, order.competition_id)
    link = get_settings().app_url + routes.competition_page(competition.id)
    shown = describe_numbers(numbers)
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
        )
    notify.notify(
        session,
        user,
        notify.COMPETITION_ENTERED,
        unique_id=f"competition-entered-{order.id}",
        title=competition.title,
        numbers=shown,
        link=link,
    )


def describe_numbers(numbers: tuple[int, ...] | list[int]) -> str:
    """12, 13, 14, 20 → "12–14, 20"."""
    parts: list[str] = []
    ordered = sorted(numbers)
    start = previous = None
    for number in [*ordered, None]:
        if number is not None and previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}–{previous}")
        start = previous = number
    return ", ".join(parts)


def _numbers(session: Session, order_id: int) -> tuple[int, ...]:
    query = select(Ticket.number).where(Ticket.order_id == order_id).order_by(Ticket.number)
    return tuple(session.exec(query).all())


def on_checkout_event(session: Session, event: dict) -> str:
    """The webhook's part for ticket checkouts (the event id is claimed by the caller)."""
    checkout = event["data"]["object"]
    if event["type"] in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        order = _order_for(session, checkout)
        if order is None or not _expire(session, order):
            return "ignored: no open order for this checkout"
        return "hold released"
    done = fulfil(session, checkout, source=event["id"])
    if done.outcome == "unknown":
        return f"ignored: {done.message}"  # answered 200: Stripe stops sending what is not ours
    return f"{done.outcome}: {done.message}"


def confirm(user_id: int, checkout_id: str, now: datetime | None = None) -> Fulfilment:
    """The success page: ask Stripe how the checkout stands and fulfil it if it is paid, so the
    buyer sees their numbers even when the webhook is slow. In test mode the events came already."""
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
    if get_settings().stripe_test_mode:
        return Fulfilment("waiting", order.id, message="the payment has not arrived yet")
    checkout = stripe_api.retrieve_checkout(checkout_id)
    with db.session_scope() as session:
        return fulfil(session, checkout, source="success page", now=now)


def _settled(session: Session, order: TicketOrder) -> Fulfilment:
    if order.status in (OrderStatus.REFUND_DUE, OrderStatus.REFUNDED):
        return Fulfilment("refund_due", order.id, message=order.refund_reason or "refunded")
    return Fulfilment("duplicate", order.id, _numbers(session, order.id), "already fulfilled")


# ---- refunds -------------------------------------------------------------------------------------


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
    _check_refundable(found.status)  # an order still being paid is refused before any lock
    # The competition before the order, as a cancellation takes them; shared, so refunds of
    # different orders do not queue behind one another.
    draw_status = _draw_status_after_close(session, found.competition_id, shared=True)
    order = session.get(TicketOrder, order_id, with_for_update=True, populate_existing=True)
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


def _draw_status_after_close(session: Session, competition_id: int, *, shared: bool) -> str | None:
    """The status of the competition's draw, read once no close is under way.

    The competition row is locked first: a closing draw holds it while it freezes the tickets
    (CompetitionPool.freeze), so a change to the tickets made under this lock is either in the
    snapshot or refused, never committed beside a snapshot that missed it."""
    session.get(
        Competition,
        competition_id,
        with_for_update={"read": True} if shared else True,
        populate_existing=True,
    )
    return session.exec(
        select(Draw.status).where(Draw.mode == catalogue.MODE, Draw.source_id == competition_id)
    ).first()


def void_order(session: Session, order: TicketOrder, reason: str) -> None:
    """Take an order's tickets out of the draw; a paid one is refunded, a postal one voided."""
    postal = order.status == OrderStatus.POSTAL
    session.exec(
        update(Ticket)
        .where(Ticket.order_id == order.id, Ticket.status == TicketStatus.ACTIVE)
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
    claimed first) and against lost answers (see refund_key and stripe_api.refund)."""
    now = now or utcnow()
    counts = {"refunded": 0, "retrying": 0}
    due = or_(col(TicketOrder.refund_next_at).is_(None), TicketOrder.refund_next_at <= now)
    with db.session_scope() as session:
        order_ids = session.exec(
            select(TicketOrder.id)
            .where(TicketOrder.status == OrderStatus.REFUND_DUE, due)
            .order_by(TicketOrder.id)
            .limit(batch)
        ).all()
    for order_id in order_ids:
        with db.session_scope() as session:
            claimed = session.exec(
                update(TicketOrder)
                .where(
                    TicketOrder.id == order_id, TicketOrder.status == OrderStatus.REFUND_DUE, due
                )
                .values(refund_next_at=now + REFUND_CLAIM_FOR)
            ).rowcount
            order = session.get(TicketOrder, order_id)
        if claimed != 1:
            continue
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
        if get_settings().stripe_test_mode:
            refund_id = "re_test_" + security.keyed_hash("stripe-test-refund", str(order.id))[:16]
        elif not order.payment_intent_id:
            raise stripe_api.RefundFailed("the order has no payment to refund")
        else:
            refund_id = stripe_api.refund(
                order.payment_intent_id, order.amount_pence, key=refund_key(order)
            )
    except stripe_api.RefundFailed as exc:
        attempts = order.refund_attempts + 1
        delay = min(REFUND_RETRY_AFTER * 2 ** min(attempts - 1, 12), REFUND_RETRY_AT_MOST)
        log.warning("Refund of order %s failed (attempt %d): %s", order.id, attempts, exc)
        with db.session_scope() as session:
            session.exec(
                update(TicketOrder)
                .where(TicketOrder.id == order.id)
                .values(refund_attempts=attempts, refund_next_at=now + delay)
            )
        return "retrying"
    with db.session_scope() as session:
        done = session.exec(
            update(TicketOrder)
            .where(TicketOrder.id == order.id, TicketOrder.status == OrderStatus.REFUND_DUE)
            .values(status=OrderStatus.REFUNDED, refund_id=refund_id, refunded_at=now)
        ).rowcount
        user = session.get(User, order.user_id) if order.user_id else None
        if done and user is not None:
            competition = session.get(Competition, order.competition_id)
            notify.notify(
                session,
                user,
                notify.ORDER_REFUNDED,
                unique_id=f"order-refunded-{order.id}",
                email="order_refunded",
                title=competition.title,
                amount=money(order.amount_pence, competition.currency),
                reason=order.refund_reason or "",
                link=get_settings().app_url + routes.competition_page(competition.id),
            )
    return "refunded"


# ---- free postal entry ---------------------------------------------------------------------------


def record_postal(
    session: Session,
    admin: User,
    competition_id: int,
    *,
    name: str,
    address: str,
    answer: str,
    email: str = "",
    now: datetime | None = None,
) -> TicketOrder:
    """A free postal entry (UK rules): one ticket, numbered like a paid one, the same chance.
    Accepted until the draw freezes its tickets; a wrong answer is not entered."""
    require_admin(admin)
    now = now or utcnow()
    name = " ".join((name or "").split())
    address = " ".join((address or "").split())
    if not 2 <= len(name) <= 120:
        raise UserError("Write the entrant's name as on the postcard.", field="name")
    if not 5 <= len(address) <= 500:
        raise UserError("Write the entrant's postal address.", field="address")
    competition = catalogue.get(session, competition_id)
    draw_status = _draw_status_after_close(session, competition_id, shared=False)
    if competition.status != CompetitionStatus.ACTIVE or now < competition.starts_at:
        raise UserError("This competition is not taking entries.")
    if draw_status not in (None, DrawStatus.SCHEDULED):
        raise UserError("The draw has frozen its tickets: postal entries can no longer be added.")
    if not catalogue.is_right_answer(competition, answer):
        raise UserError(
            "The answer on this entry is wrong, so it is not entered; nothing was recorded.",
            field="answer",
        )
    user = None
    if email.strip():
        user = accounts.find_by_email(session, email)
        if user is None:
            raise UserError(
                "No member has that email; leave it empty for an entrant without an account.",
                field="email",
            )
    number = _take_numbers(session, competition_id, 1)
    if number is None:
        raise UserError("Every ticket is sold or held: there is no ticket left for this entry.")
    if user is not None:
        _check_person_limit(session, competition, user.id, 1, postal=True)
    order = TicketOrder(
        competition_id=competition_id,
        user_id=user.id if user else None,
        quantity=1,
        amount_pence=0,
        status=OrderStatus.POSTAL,
        expires_at=now,
        paid_at=now,
        postal_name=name,
        postal_address=address,
        actor_id=admin.id,
        created_at=now,
    )
    session.add(order)
    session.flush()
    session.add(
        Ticket(
            competition_id=competition_id,
            number=number,
            order_id=order.id,
            user_id=order.user_id,
            created_at=now,
        )
    )
    _tell_entered(session, order, (number,))
    audit.record(
        session, admin, "order.postal", "ticket_order", order.id, f"ticket {number}: {name}"
    )
    return order


def postal_ref(pool_id: str, order_id: int) -> str:
    """The pseudonym of a postal entrant without an account: one per entry."""
    return draws.ref_for(f"{pool_id}/postal", order_id)


# ---- reading -------------------------------------------------------------------------------------


def member_version(session: Session, user_id: int, competition_id: int | None = None) -> str:
    """Changes whenever one of the member's orders appears or changes status (in one competition,
    or in any): what their live pages poll."""
    query = select(TicketOrder.id, TicketOrder.status).where(TicketOrder.user_id == user_id)
    if competition_id is not None:
        query = query.where(TicketOrder.competition_id == competition_id)
    rows = session.exec(query.order_by(TicketOrder.id)).all()
    return hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()[:16]


def member_numbers(session: Session, user_id: int, competition_id: int) -> list[int]:
    """A member's tickets in the draw (refunded ones are not)."""
    query = (
        select(Ticket.number)
        .where(
            Ticket.competition_id == competition_id,
            Ticket.user_id == user_id,
            Ticket.status == TicketStatus.ACTIVE,
        )
        .order_by(Ticket.number)
    )
    return list(session.exec(query).all())


@dataclass(frozen=True)
class MemberTicket:
    number: int
    status: str  # active, refunded or void
    order_id: int
    bought_at: datetime


def member_tickets(session: Session, user_id: int, competition_id: int) -> list[MemberTicket]:
    """Every ticket a member was given in a competition, refunded and void ones too, by number."""
    query = (
        select(Ticket.number, Ticket.status, Ticket.order_id, Ticket.created_at)
        .where(Ticket.competition_id == competition_id, Ticket.user_id == user_id)
        .order_by(Ticket.number)
    )
    return [MemberTicket(*row) for row in session.exec(query)]


@dataclass(frozen=True)
class OrderRow:
    """One order as admins and its buyer see it."""

    order_id: int
    competition_id: int
    competition: str
    buyer: str  # the member's name, or the postal entrant's
    email: str
    quantity: int
    amount: str
    status: str
    numbers: str
    created_at: datetime
    refund_reason: str


def orders(
    session: Session,
    *,
    competition_id: int | None = None,
    user_id: int | None = None,
    query: str = "",
    limit: int = 100,
) -> list[OrderRow]:
    """Orders, newest first: of one competition or member, or found by email, name, ticket number
    or order id. "12" finds the order holding ticket 12 and "#12" order 12 (as the tables write
    it), nothing else; a number no database holds finds nothing."""
    statement = (
        select(TicketOrder, Competition.title, Competition.currency, User)
        .join(Competition, Competition.id == TicketOrder.competition_id)
        .outerjoin(User, User.id == TicketOrder.user_id)
        .where(TicketOrder.status != OrderStatus.EXPIRED)
    )
    if competition_id is not None:
        statement = statement.where(TicketOrder.competition_id == competition_id)
    if user_id is not None:
        statement = statement.where(TicketOrder.user_id == user_id)
    text = (query or "").strip()
    is_order = text.startswith("#")
    if routes.is_whole_number(text.removeprefix("#")):
        number = routes.whole_id(text.removeprefix("#")) or 0  # 0: no record has it
        if is_order:
            statement = statement.where(TicketOrder.id == number)
        else:
            by_ticket = select(Ticket.order_id).where(Ticket.number == number)
            if competition_id is not None:
                by_ticket = by_ticket.where(Ticket.competition_id == competition_id)
            statement = statement.where(col(TicketOrder.id).in_(by_ticket))
    elif text:
        like = f"%{text.lower()}%"
        statement = statement.where(
            or_(
                func.lower(User.email).like(like),
                func.lower(User.display_name).like(like),
                func.lower(TicketOrder.postal_name).like(like),
            )
        )
    rows = session.exec(statement.order_by(col(TicketOrder.id).desc()).limit(limit)).all()
    numbers = _numbers_of(session, [order.id for order, *_ in rows])
    return [
        OrderRow(
            order_id=order.id,
            competition_id=order.competition_id,
            competition=title,
            buyer=(user.display_name if user else order.postal_name) or "—",
            email=user.email if user else "",
            quantity=order.quantity,
            amount=money(order.amount_pence, currency) if order.amount_pence else "free (postal)",
            status=order.status,
            numbers=describe_numbers(numbers.get(order.id, [])),
            created_at=order.created_at,
            refund_reason=order.refund_reason or "",
        )
        for order, title, currency, user in rows
    ]


def _numbers_of(session: Session, order_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    if order_ids:
        query = select(Ticket.order_id, Ticket.number).where(col(Ticket.order_id).in_(order_ids))
        for order_id, number in session.exec(query):
            found.setdefault(order_id, []).append(number)
    return found


EXPORT_COLUMNS = (
    "ticket",
    "ticket_status",
    "order",
    "order_status",
    "buyer",
    "email",
    "postal_address",
    "paid_gbp",
    "bought_at_utc",
)


def export_csv(session: Session, admin: User, competition_id: int) -> Iterator[str]:
    """Every ticket of a competition as CSV, a chunk at a time (100,000 tickets stream in
    constant memory). The generator reads in its own session."""
    require_admin(admin)
    catalogue.get(session, competition_id)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = safe_csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        # Plain columns, not ORM objects: building three models per ticket made 100,000
        # tickets take half a minute.
        query = (
            select(
                Ticket.number,
                Ticket.status,
                TicketOrder.id,
                TicketOrder.status,
                User.display_name,
                User.email,
                TicketOrder.postal_name,
                TicketOrder.postal_address,
                TicketOrder.amount_pence,
                TicketOrder.quantity,
                TicketOrder.created_at,
            )
            .join(TicketOrder, TicketOrder.id == Ticket.order_id)
            .outerjoin(User, User.id == Ticket.user_id)
            .where(Ticket.competition_id == competition_id)
            .order_by(Ticket.number)
            .execution_options(yield_per=2000)
        )
        with db.session_scope() as reading:
            for row in reading.exec(query):
                number, status, order_id, order_status, name, email = row[:6]
                postal_name, postal_address, amount, quantity, bought_at = row[6:]
                writer.writerow(
                    (
                        number,
                        status,
                        order_id,
                        order_status,
                        name if email else postal_name,
                        email,
                        postal_address,
                        f"{amount / quantity / 100:.2f}",
                        bought_at.strftime("%Y-%m-%d %H:%M:%S"),
                    )
                )
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return lines()


# ---- the built-in test-payment mode ------------------------------------------------------------


def _test_checkout_id(order_id: int, user_id: int) -> str:
    nonce = secrets.token_hex(4)
    signature = security.keyed_hash("ticket-test-checkout", str(order_id), str(user_id), nonce)
    return f"{TEST_CHECKOUT_PREFIX}{order_id}_{nonce}_{signature[:24]}"


def test_checkout_order(session: Session, user: User, checkout_id: str) -> TicketOrder:
    """The order a test checkout id names, if it is this member's; otherwise a clear refusal."""
    gone = UserError("This test checkout is not valid any more. Start again from the competition.")
    if not get_settings().stripe_test_mode:
        raise NotAllowed("Test payments are switched off: this site takes real payments.")
    parts = (checkout_id or "").removeprefix(TEST_CHECKOUT_PREFIX).split("_")
    if not checkout_id.startswith(TEST_CHECKOUT_PREFIX) or len(parts) != 3:
        raise gone
    order_id, nonce, signature = parts
    expected = security.keyed_hash("ticket-test-checkout", order_id, str(user.id), nonce)[:24]
    if not secrets.compare_digest(signature, expected):
        raise gone
    order = session.get(TicketOrder, int(order_id))
    if order is None or order.user_id != user.id:
        raise gone
    return order


def pay_test_checkout(user: User, checkout_id: str) -> Fulfilment:
    """The test checkout's Pay button: Stripe's checkout.session.completed, signed with the
    test-mode secret and sent through the real webhook handler. Paying twice replays one event."""
    from luckyclub.club import membership  # the webhook lives there

    with db.session_scope() as session:
        order = test_checkout_order(session, user, checkout_id)
        event = _test_completed_event(order, checkout_id, user)
    membership.send_test_event(
        "checkout.session.completed", event, key=checkout_id, now=int(time.time())
    )
    with db.session_scope() as session:
        return _settled(session, session.get(TicketOrder, order.id))


def _test_completed_event(order: TicketOrder, checkout_id: str, user: User) -> dict[str, Any]:
    return {
        "id": checkout_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": order.amount_pence,
        "currency": "gbp",
        "client_reference_id": str(order.id),
        "customer_email": user.email,
        "payment_intent": "pi_test_" + security.keyed_hash("test-intent", checkout_id)[:16],
        "metadata": {"kind": "competition", "order_id": str(order.id), "user_id": str(user.id)},
        "livemode": False,
    }

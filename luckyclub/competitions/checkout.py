"""Starting a checkout for competition tickets: the hold, and the payment page it leads to.

A checkout first holds its tickets with a capped UPDATE (`sold + held + n <= max_tickets`), so a
buyer never pays for a ticket that is not there (DESIGN.md, "Competitions"). A hold lasts 15
minutes; one that is not paid for by then, or whose competition closes, is given back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue, responsible_play
from luckyclub.competitions.orders import member_has
from luckyclub.core import db, routes
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.core.settings import get_settings
from luckyclub.integrations.payments import get_payments
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    OrderStatus,
    TicketOrder,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import notify

HOLD_FOR = timedelta(minutes=15)
STRIPE_SESSION_LIFETIME = timedelta(minutes=31)  # Stripe's shortest is 30 minutes
WRONG_ANSWER = (
    "That answer is not right, so nothing was entered and nothing was charged. "
    "Read the question again and choose another answer."
)


# ---- starting a checkout --------------------------------------------------------------------


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
        user = _check_buyer(session.get(User, user_id))
        competition = catalogue.get_public(session, competition_id)
        _check_on_sale(competition, now)
        quantity = _quantity(quantity, competition)
        if not catalogue.is_right_answer(competition, answer):
            raise UserError(WRONG_ANSWER, field="answer")
        amount = quantity * competition.ticket_price_pence
        responsible_play.check_purchase(session, user, amount, now)
        _hold(session, competition, quantity, now)
        check_person_limit(session, competition, id_of(user), quantity, postal=False)
        order = TicketOrder(
            competition_id=id_of(competition),
            user_id=id_of(user),
            quantity=quantity,
            amount_pence=amount,
            expires_at=now + HOLD_FOR,
            created_at=now,
        )
        session.add(order)
        session.flush()
        catalogue.announce(session, competition_id, order.user_id)
        order_id, title = id_of(order), competition.title
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
            .where(col(TicketOrder.id) == order_id, col(TicketOrder.checkout_id).is_(None))
            .values(checkout_id=checkout_id)
        )
        # Only now has the checkout started: queued with the hold, the event outlived a hold
        # that Stripe's failure released.
        notify.notify(
            session,
            db.get_existing(session, User, user_id),
            notify.CHECKOUT_STARTED,
            unique_id=f"checkout-started-{order_id}",
            value_pence=amount,
            currency=currency,
            title=title,
            quantity=str(quantity),
            link=settings.app_url + routes.competition_page(competition_id),
        )
    return Checkout(order_id, url)


def _check_buyer(user: User | None) -> User:
    """The signed-in buyer, if they may buy tickets."""
    if user is None:
        raise NotAllowed("Sign in to buy tickets.")
    if user.banned_at is not None:
        raise NotAllowed("This account has been suspended.")
    if user.email_verified_at is None:
        raise NotAllowed("Confirm your email address first: we sent you a link when you joined.")
    return user


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
            col(Competition.id) == competition.id,
            col(Competition.status) == CompetitionStatus.ACTIVE,
            col(Competition.ends_at) > now,
            col(Competition.sold) + col(Competition.held) + quantity
            <= col(Competition.max_tickets),
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


def check_person_limit(
    session: Session, competition: Competition, user_id: int, quantity: int, *, postal: bool
) -> None:
    """Tickets a person has or holds in the competition, this order included, within the limit.
    Runs after _hold, which holds the competition row: two orders by one person queue here."""
    has = member_has(session, id_of(competition), user_id)
    if has + quantity > competition.per_person_limit:
        left = max(competition.per_person_limit - has, 0)
        whose = "This member has" if postal else "You have"
        raise UserError(
            f"{whose} {has} of the {competition.per_person_limit} tickets one person may have "
            f"in this competition (paid or in checkout), so at most {left} more.",
            field="quantity",
        )


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
    page = get_settings().app_url + routes.competition_page(competition_id)
    return get_payments().ticket_checkout(
        order_id=order_id,
        user=user,
        title=title,
        quantity=quantity,
        unit_amount=unit,
        currency=currency,
        expires_at=int((now + STRIPE_SESSION_LIFETIME).timestamp()),
        success_url=f"{page}?order={order_id}&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{page}?cancelled={order_id}",
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
        if order is None or not end_hold(session, order):
            return False
        checkout_id = order.checkout_id
    if checkout_id:
        get_payments().expire_checkout(checkout_id)  # so Stripe's page takes no payment any more
    return True


def expire_holds(now: datetime | None = None) -> int:
    """Release every hold whose 15 minutes are up, or whose competition has ended or closed.

    One transaction ends them all, so however many holds run out at once their change is one
    (and announced once); then the payment provider is told to close their checkouts.
    """
    now = now or utcnow()
    with db.session_scope() as session:
        due = session.exec(
            select(TicketOrder)
            .join(Competition, col(Competition.id) == col(TicketOrder.competition_id))
            .where(
                col(TicketOrder.status) == OrderStatus.PENDING,
                or_(
                    col(TicketOrder.expires_at) <= now,
                    col(Competition.ends_at) <= now,
                    col(Competition.status) != CompetitionStatus.ACTIVE,
                ),
            )
            # An order being paid for right now is left to its payment (skipped, not waited
            # for), and the competitions are given back to in one order, so two runs at once
            # cannot deadlock on them.
            .order_by(col(TicketOrder.competition_id), col(TicketOrder.id))
            .with_for_update(of=TicketOrder, skip_locked=True)
        ).all()
        ended = [order.checkout_id for order in due if end_hold(session, order)]
    for checkout_id in ended:
        if checkout_id:
            get_payments().expire_checkout(checkout_id)  # Stripe's page takes no payment now
    return len(ended)


def end_hold(session: Session, order: TicketOrder) -> bool:
    """An unpaid checkout ends: its hold is given back. False if it was not open any more."""
    if order.status != OrderStatus.PENDING:
        return False
    give_back(session, order.competition_id, order.quantity)
    order.status = OrderStatus.EXPIRED
    catalogue.announce(session, order.competition_id, order.user_id)
    return True


def give_back(session: Session, competition_id: int, quantity: int) -> None:
    """Return held tickets to the competition (a hold ended without becoming numbers)."""
    session.exec(
        update(Competition)
        .where(col(Competition.id) == competition_id)
        .values(held=Competition.held - quantity)
    )
    catalogue.announce(session, competition_id)


# ---- the test pay page -------------------------------------------------------------------------


def test_checkout_order(session: Session, user: User, checkout_id: str) -> TicketOrder:
    """The order a test checkout id names, if it is this member's; otherwise a clear refusal.
    With real Stripe there are no test checkouts (NotAllowed)."""
    order_id = get_payments().twin().ticket_order_id(id_of(user), checkout_id)
    order = session.get(TicketOrder, order_id) if order_id is not None else None
    if order is None or order.user_id != user.id:
        raise UserError(
            "This test checkout is not valid any more. Start again from the competition."
        )
    return order

"""Orders and tickets as people read them: a member's tickets, the orders tables admins and buyers
see, and the CSV of every ticket in a competition."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue
from luckyclub.competitions.catalogue import money
from luckyclub.core import db, routes, safe_csv
from luckyclub.models import (
    Competition,
    OrderStatus,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    id_of,
)
from luckyclub.platform.permissions import require_admin

PAID_STATUSES = (OrderStatus.PAID, OrderStatus.POSTAL)


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


def member_numbers(session: Session, user_id: int, competition_id: int) -> list[int]:
    """A member's tickets in the draw (refunded ones are not)."""
    query = (
        select(Ticket.number)
        .where(
            Ticket.competition_id == competition_id,
            Ticket.user_id == user_id,
            Ticket.status == TicketStatus.ACTIVE,
        )
        .order_by(col(Ticket.number))
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
        .order_by(col(Ticket.number))
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


def find(
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
        .join(Competition, col(Competition.id) == col(TicketOrder.competition_id))
        .outerjoin(User, col(User.id) == col(TicketOrder.user_id))
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
    numbers = _numbers_of(session, [id_of(order) for order, *_ in rows])
    return [
        OrderRow(
            order_id=id_of(order),
            competition_id=order.competition_id,
            competition=title,
            buyer=(user.display_name if user else order.postal_name) or "—",
            email=user.email if user else "",
            quantity=order.quantity,
            amount=money(order.amount_pence, currency) if order.amount_pence else "free (postal)",
            status=order.status,
            numbers=describe_numbers(numbers.get(id_of(order), [])),
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


def order_numbers(session: Session, order_id: int) -> tuple[int, ...]:
    query = select(Ticket.number).where(Ticket.order_id == order_id).order_by(col(Ticket.number))
    return tuple(session.exec(query).all())


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
        # tickets take half a minute. sqlmodel's select() is typed for at most four columns or
        # tables; this one reads eleven.
        query = (
            select(  # type: ignore[call-overload]
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

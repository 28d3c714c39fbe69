"""Competition orders as the pages show them: plain values, times in the viewer's zone. Built from
orders.find's rows; the admin's tickets page, a competition's page, a member's row and the
member's own dashboard share it."""

from __future__ import annotations

from dataclasses import dataclass

from luckyclub.competitions.orders import PAID_STATUSES, OrderRow
from luckyclub.core.words import when
from luckyclub.models import OrderStatus

ORDER_STATUS_WORDS: dict[str, str] = {
    OrderStatus.PENDING: "In checkout",
    OrderStatus.PAID: "Paid",
    OrderStatus.POSTAL: "Postal entry",
    OrderStatus.REFUND_DUE: "Refund requested",
    OrderStatus.REFUNDED: "Refunded",
    OrderStatus.EXPIRED: "Expired",
}


NO_NUMBERS = "—"  # an order with no tickets (yet, or any more)


@dataclass
class OrderView:
    order_id: int
    competition_id: int
    competition: str
    buyer: str
    email: str
    quantity: int
    amount: str
    numbers: str
    status: str
    status_words: str
    created: str
    refund_reason: str
    can_refund: bool


def order_views(rows: list[OrderRow], timezone: str) -> list[OrderView]:
    return [
        OrderView(
            order_id=r.order_id,
            competition_id=r.competition_id,
            competition=r.competition,
            buyer=r.buyer,
            email=r.email,
            quantity=r.quantity,
            amount=r.amount,
            numbers=r.numbers or NO_NUMBERS,
            status=r.status,
            status_words=ORDER_STATUS_WORDS.get(r.status, r.status),
            created=when(r.created_at, timezone),
            refund_reason=r.refund_reason,
            can_refund=r.status in PAID_STATUSES,
        )
        for r in rows
    ]

"""Free postal entries to competitions (UK rules): one ticket each, numbered like a paid one."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from luckyclub.competitions import catalogue
from luckyclub.competitions.checkout import check_person_limit
from luckyclub.competitions.fulfilment import take_numbers, tell_entered
from luckyclub.core.errors import UserError
from luckyclub.models import (
    CompetitionStatus,
    DrawStatus,
    OrderStatus,
    Ticket,
    TicketOrder,
    User,
    id_of,
    utcnow,
)
from luckyclub.platform import accounts, audit, draws
from luckyclub.platform.permissions import require_admin


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
    draw_status = catalogue.draw_status_after_close(session, competition_id, shared=False)
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
    number = take_numbers(session, competition_id, 1)
    if number is None:
        raise UserError("Every ticket is sold or held: there is no ticket left for this entry.")
    if user is not None:
        check_person_limit(session, competition, id_of(user), 1, postal=True)
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
            order_id=id_of(order),
            user_id=order.user_id,
            created_at=now,
        )
    )
    catalogue.announce(session, competition_id, order.user_id)
    tell_entered(session, order, (number,))
    audit.record(
        session, admin, "order.postal", "ticket_order", order.id, f"ticket {number}: {name}"
    )
    return order


def postal_ref(pool_id: str, order_id: int) -> str:
    """The pseudonym of a postal entrant without an account: one per entry."""
    return draws.ref_for(f"{pool_id}/postal", order_id)

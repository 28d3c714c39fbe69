"""What the public competition pages show: cards for the list, one competition with the viewer's
own tickets and how many more they may buy, and the result once drawn. Read-only; buying is in
competitions/checkout.py.

Winners are named only once an admin has published them (as on the Champions page); until then a
winning ticket shows its number and that the winner is being contacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue, orders, responsible_play
from luckyclub.models import (
    Competition,
    Draw,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    User,
    WinnerStatus,
    id_of,
    utcnow,
)
from luckyclub.platform import draw_public


@dataclass(frozen=True)
class Card:
    """One competition as the list shows it."""

    id: int
    title: str
    prize: str
    image: str  # the first prize picture's name, or ""
    price_pence: int
    currency: str  # Stripe's lower-case ISO code, e.g. "gbp"
    phase: str  # upcoming, active, ended, drawn, cancelled
    starts_at: datetime
    ends_at: datetime
    draw_at: datetime
    sold: int
    max_tickets: int
    left: int
    percent: int
    closing_soon: bool
    sold_out: bool
    featured: bool


def card(session: Session, competition: Competition, now: datetime) -> Card:
    counts = catalogue.counts(session, competition)
    images = catalogue.images_of(competition)
    return Card(
        id=id_of(competition),
        title=competition.title,
        prize=competition.prize,
        image=images[0] if images else "",
        price_pence=competition.ticket_price_pence,
        currency=competition.currency,
        phase=catalogue.phase(competition, now),
        starts_at=competition.starts_at,
        ends_at=competition.ends_at,
        draw_at=competition.draw_at,
        sold=counts.sold,
        max_tickets=counts.max_tickets,
        left=counts.left,
        percent=counts.percent,
        closing_soon=catalogue.closing_soon(competition, now),
        sold_out=competition.sold >= competition.max_tickets,
        featured=competition.featured,
    )


def cards(session: Session, status: str, now: datetime | None = None) -> list[Card]:
    """The competitions in one phase (active, upcoming, ended, drawn), featured first."""
    now = now or utcnow()
    return [card(session, c, now) for c in catalogue.list_public(session, status, now)]


@dataclass(frozen=True)
class WinningTicket:
    position: int
    ticket: int | None  # None when an admin named the winner without a ticket
    name: str  # "" until the winner is published
    published: bool
    reroll: int = 0  # 0: drawn by the draw itself; n: its n-th reroll replaced an earlier winner


@dataclass(frozen=True)
class Result:
    """The competition's draw as its page shows it."""

    draw_id: int
    status: str
    drawn_at: datetime | None
    override: bool
    reason: str
    winners: tuple[WinningTicket, ...]


@dataclass(frozen=True)
class Detail:
    card: Card
    description: str
    images: tuple[str, ...]
    question: str
    choices: tuple[str, ...]
    per_person_limit: int
    cancel_reason: str
    member_numbers: tuple[int, ...]  # the viewer's tickets in the draw
    can_buy: int  # at most this many more now: what is left, the per-person and the monthly limit
    limit_left_pence: int | None  # what the viewer's monthly spend limit leaves; None: no limit
    result: Result | None


def detail(
    session: Session, competition_id: int, user_id: int | None = None, now: datetime | None = None
) -> Detail:
    """A published competition for its page; "does not exist" for drafts and unknown ids."""
    now = now or utcnow()
    competition = catalogue.get_public(session, competition_id)
    competition_id = id_of(competition)
    shown = card(session, competition, now)
    has = orders.member_has(session, competition_id, user_id) if user_id else 0
    numbers = tuple(orders.member_numbers(session, user_id, competition_id)) if user_id else ()
    can_buy = (
        max(min(shown.left, competition.per_person_limit - has), 0)
        if catalogue.on_sale(competition, now)
        else 0
    )
    limit_left = None
    user = session.get(User, user_id) if user_id else None
    if user is not None:
        # The picker offers what checkout would accept: a break or the monthly limit bounds it.
        play = responsible_play.status(session, user, now)
        limit_left = play.left_this_month_pence
        if play.excluded_until is not None:
            can_buy = 0
        elif limit_left is not None and competition.ticket_price_pence > 0:
            can_buy = min(can_buy, limit_left // competition.ticket_price_pence)
    draw = catalogue.draw_of(session, competition_id)
    return Detail(
        card=shown,
        description=competition.description,
        images=tuple(catalogue.images_of(competition)),
        question=competition.question,
        choices=tuple(catalogue.choices_of(competition)),
        per_person_limit=competition.per_person_limit,
        cancel_reason=competition.cancel_reason or "",
        member_numbers=numbers,
        can_buy=can_buy,
        limit_left_pence=limit_left,
        result=result(session, draw) if draw else None,
    )


def result(session: Session, draw: Draw) -> Result:
    """The draw's state and its winners (replaced ones left out), as the public sees them."""
    winners: list[WinningTicket] = []
    if draw.status == DrawStatus.DRAWN:
        rows = session.exec(
            select(DrawWinner, User)
            .outerjoin(User, col(User.id) == col(DrawWinner.user_id))
            .where(DrawWinner.draw_id == draw.id, DrawWinner.status != WinnerStatus.REPLACED)
            .order_by(col(DrawWinner.position), col(DrawWinner.reroll))
        ).all()
        for winner, user in rows:
            published = winner.published_at is not None
            name = ""
            if published:
                name = (
                    draw_public.winner_name(user, shown=winner.show_name)
                    if user
                    else "A postal entrant"
                )
            winners.append(
                WinningTicket(winner.position, winner.ticket, name, published, winner.reroll)
            )
    return Result(
        draw_id=id_of(draw),
        status=draw.status,
        drawn_at=draw.drawn_at,
        override=draw.trigger == DrawTrigger.OVERRIDE,
        reason=draw.reason or "",
        winners=tuple(winners),
    )

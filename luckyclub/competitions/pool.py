"""A competition's side of its draw: the numbered tickets it freezes, who owns a winning ticket,
and what follows — the competition locked, winners and admins told — or, if the draw is void, the
competition cancelled and every paid order refunded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, distinct, func, update
from sqlmodel import Session, col, select

from luckyclub.competitions import catalogue, minimum, orders, refunds
from luckyclub.competitions.postal import postal_ref
from luckyclub.core import db, routes
from luckyclub.core.settings import get_settings
from luckyclub.draws import TicketDraw, encode_tickets
from luckyclub.draws.snapshot import TICKETS
from luckyclub.models import (
    Competition,
    CompetitionStatus,
    Draw,
    DrawWinner,
    OrderStatus,
    Ticket,
    TicketOrder,
    TicketStatus,
    User,
    id_of,
)
from luckyclub.platform import draws, notify


class CompetitionPool:
    kind = TICKETS
    title = "Prize competition"

    def schedule_missing(self, session: Session) -> int:
        return 0  # a competition's draw is made with the competition

    def live_counts(self, session: Session, draw: Draw) -> tuple[int, int]:
        """Entrants and tickets in the draw so far: each member once, each postal entry without an
        account on its own (as the frozen snapshot will count them)."""
        members, postal, held = session.exec(
            select(
                func.count(distinct(col(Ticket.user_id))),
                func.coalesce(func.sum(case((col(Ticket.user_id).is_(None), 1), else_=0)), 0),
                func.count(),
            ).where(Ticket.competition_id == draw.source_id, Ticket.status == TicketStatus.ACTIVE)
        ).one()
        return members + postal, held

    def blocked(self, session: Session, draw: Draw, now: datetime) -> str | None:
        competition = db.get_existing(session, Competition, draw.source_id)
        if competition.status != CompetitionStatus.ACTIVE:
            return f"The competition is {competition.status}, so it has nothing to draw."
        if now < competition.ends_at:
            return (
                f"Sales are open until {competition.ends_at:%d %b %Y %H:%M} UTC; "
                "the draw can run once they close."
            )
        if competition.below_minimum_at is not None or minimum.below_minimum(
            competition, catalogue.active_tickets(session, id_of(competition))
        ):
            return (
                f"Fewer than the minimum of {competition.min_tickets:,} tickets were sold: "
                "extend the competition, or cancel it and refund everyone."
            )
        return None

    def freeze(self, session: Session, draw: Draw, now: datetime) -> bytes:
        """Every active ticket as (number, owner's ref); refunded and void ones are left out."""
        session.get(Competition, draw.source_id, with_for_update=True)
        rows = session.exec(
            select(Ticket.number, Ticket.user_id, Ticket.order_id)
            .where(
                Ticket.competition_id == draw.source_id,
                Ticket.status == TicketStatus.ACTIVE,
            )
            .order_by(col(Ticket.number))
        ).all()
        members = sorted({user_id for _, user_id, _ in rows if user_id is not None})
        refs = dict(zip(members, draws.refs_for(draw.pool_id, members), strict=True))
        owners = [
            refs[user_id] if user_id is not None else postal_ref(draw.pool_id, order)
            for _, user_id, order in rows
        ]
        draw.entrant_count, draw.entry_count = len(set(owners)), len(rows)
        return encode_tickets(zip((number for number, _, _ in rows), owners, strict=True))

    def parameters(self, draw: Draw, *, reroll: int, earlier: Sequence[DrawWinner]) -> TicketDraw:
        if not reroll:
            return TicketDraw(winners=draw.winners_wanted, distinct_owners=draw.distinct_winners)
        drawn = tuple(sorted({w.ticket for w in earlier if w.ticket is not None}))
        return TicketDraw(
            winners=1, distinct_owners=draw.distinct_winners, exclude=drawn, reroll=reroll
        )

    def owners(
        self, session: Session, draw: Draw, winners: Sequence[draws.Drawn]
    ) -> dict[str, int]:
        """The winning tickets say who holds them (postal entrants without an account: nobody)."""
        numbers = [winner.ticket for winner in winners]
        rows = session.exec(
            select(Ticket.number, Ticket.user_id).where(
                Ticket.competition_id == draw.source_id, col(Ticket.number).in_(numbers)
            )
        ).all()
        holder = dict(rows)
        return {
            winner.entrant: user_id
            for winner in winners
            if winner.ticket is not None and (user_id := holder.get(winner.ticket)) is not None
        }

    def congratulate(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        link = get_settings().app_url + routes.competition_page(draw.source_id)
        notify.notify(
            session,
            user,
            notify.WINNER_ANNOUNCEMENT,
            unique_id=f"winner-{winner.id}",
            email="draw_won",
            sms=f"LuckyClub: your ticket {winner.ticket} won {draw.prize}! Check your email.",
            title=draw.title,
            prize=draw.prize,
            ticket=str(winner.ticket or ""),
            link=link,
        )

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """The competition is locked, and admins learn who won (to approve them for Champions)."""
        competition = db.get_existing(session, Competition, draw.source_id, for_update=True)
        competition.status, competition.updated_at = CompetitionStatus.DRAWN, now
        rows = session.exec(
            select(DrawWinner, User)
            .outerjoin(User, col(User.id) == col(DrawWinner.user_id))
            .where(DrawWinner.draw_id == draw.id)
            .order_by(col(DrawWinner.position))
        ).all()
        lines = [
            f"Ticket {winner.ticket or '—'}: "
            + (f"{user.display_name} <{user.email}>" if user else "a postal entrant")
            for winner, user in rows
        ]
        notify.notify_admins(
            session,
            unique_id=f"drawn-{draw.id}",
            email="competition_winner_admin",
            title=competition.title,
            winners="\n".join(lines),
            link=get_settings().app_url + routes.ADMIN_WINNERS,
        )

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        """Cancelled: open checkouts are released and every paid order is refunded."""
        competition = db.get_existing(session, Competition, draw.source_id, for_update=True)
        competition.status, competition.updated_at = CompetitionStatus.CANCELLED, now
        competition.cancel_reason = draw.reason
        released = session.execute(
            update(TicketOrder)
            .where(
                col(TicketOrder.competition_id) == competition.id,
                col(TicketOrder.status) == OrderStatus.PENDING,
            )
            .values(status=OrderStatus.EXPIRED)
            .returning(col(TicketOrder.user_id))
        ).scalars()
        catalogue.announce(session, id_of(competition), *released)
        competition.held = 0
        paid = session.exec(
            select(TicketOrder)
            .where(
                TicketOrder.competition_id == competition.id,
                col(TicketOrder.status).in_(orders.PAID_STATUSES),
            )
            .with_for_update()
        ).all()
        reason = f"{competition.title} was cancelled: {draw.reason or 'see the competition page'}"
        for order in paid:
            refunds.void_order(session, order, reason[:500])

    def delivered(self, session: Session, draw: Draw, winner: DrawWinner, user: User) -> None:
        """The winner hears that their prize is delivered (once, however often an admin clicks)."""
        notify.notify(
            session,
            user,
            notify.PRIZE_DELIVERED,
            unique_id=f"prize-delivered-{winner.id}",
            email="prize_delivered",
            title=draw.title,
            prize=draw.prize,
        )

    def topics(self, session: Session | None, draw: Draw) -> tuple[str, ...]:
        """A competition's draw shows on its page and in the list (drawn, cancelled)."""
        return catalogue.topics(draw.source_id)


draws.register_pool(catalogue.MODE, CompetitionPool())

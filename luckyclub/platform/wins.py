"""A member's own wins: what they won, what happens next, and whether they let us show their name
on Champions and the draw's pages (their consent, given per win when they claim the prize)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import Draw, DrawStatus, DrawWinner, User, WinnerStatus, id_of
from luckyclub.platform import audit, draw_kinds, draws

NEXT_STEPS: dict[str, str] = {
    WinnerStatus.NOTIFIED: "We have emailed you and will contact you soon to arrange your prize.",
    WinnerStatus.CONTACTED: "We are in touch with you to arrange your prize: check your email.",
    WinnerStatus.DELIVERED: "Your prize has been delivered. Enjoy it!",
}


@dataclass(frozen=True)
class Win:
    winner_id: int
    draw_id: int
    title: str
    prize: str
    mode: str  # the pool's mode: raffle or competition
    drawn_at: datetime
    ticket: int | None  # a competition's winning ticket number
    next_step: str
    show_name: bool


def wins_of(session: Session, user_id: int, *, limit: int = 20) -> list[Win]:
    """The member's wins that stand (not replaced by a reroll), newest first."""
    rows = session.exec(
        select(DrawWinner, Draw)
        .join(Draw, col(Draw.id) == col(DrawWinner.draw_id))
        .where(
            DrawWinner.user_id == user_id,
            DrawWinner.status != WinnerStatus.REPLACED,
            Draw.status == DrawStatus.DRAWN,
        )
        .order_by(col(Draw.drawn_at).desc(), col(DrawWinner.position))
        .limit(limit)
    ).all()
    found = []
    for winner, draw in rows:
        assert draw.drawn_at is not None  # set in the transaction that makes a draw drawn
        found.append(
            Win(
                winner_id=id_of(winner),
                draw_id=id_of(draw),
                title=draw.title,
                prize=draw.prize,
                mode=draw.mode,
                drawn_at=draw.drawn_at,
                ticket=draw_kinds.for_draw(draw).ticket_number(winner.ticket),
                next_step=NEXT_STEPS.get(winner.status, NEXT_STEPS[WinnerStatus.NOTIFIED]),
                show_name=winner.show_name,
            )
        )
    return found


def set_name_consent(session: Session, user: User, winner_id: int, show: bool) -> DrawWinner:
    """The winner agrees (or no longer agrees) to be named publicly for this win."""
    winner = session.get(DrawWinner, winner_id, with_for_update=True)
    if winner is None or winner.user_id != user.id:
        raise UserError("That win is not one of yours.")
    winner.show_name = bool(show)
    session.add(winner)
    draws.announce(session, db.get_existing(session, Draw, winner.draw_id), [winner])
    action = "winner.name_shown" if winner.show_name else "winner.name_hidden"
    audit.record(session, user, action, "draw_winner", winner.id)
    return winner

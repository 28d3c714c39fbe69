"""A community period's side of its draw: viewers weighted by the tickets they hold when the
period is frozen, drawn by the verifiable engine like the club's raffles. A period is drawn by a
moderator ("draw now"), or at the reset when the community draws automatically; the scheduler
never draws a period on its own otherwise. The announcement is in the seed's words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from luckyclub.club import ledger
from luckyclub.club.raffles import RafflePool
from luckyclub.community import announcements, communities, periods
from luckyclub.core import db, routes
from luckyclub.core.errors import UserError
from luckyclub.core.settings import get_settings
from luckyclub.draws.snapshot import WEIGHTED
from luckyclub.models import (
    Community,
    Draw,
    DrawStatus,
    DrawTrigger,
    DrawWinner,
    Raffle,
    RaffleStatus,
    User,
    WinnerStatus,
    id_of,
    utcnow,
)
from luckyclub.platform import audit, changes, draw_kinds, draw_public, draws

_DRAWING = "luckyclub.community.drawing"  # session.info: draws this unit of work may close


class CommunityPool(RafflePool):
    """A period's draw. Freezing, parameters, owners and the winner's email are the club raffle's
    (the same weighted ledger); what differs is who may close it and what follows."""

    title = "Community raffle"

    def schedule_missing(self, session: Session) -> int:
        drawn = select(Draw.source_id).where(Draw.mode == periods.MODE)
        rows = session.exec(
            select(Raffle, Community)
            .join(Community, col(Community.program_id) == col(Raffle.program_id))
            .where(~col(Raffle.id).in_(drawn))
        ).all()
        for period, community in rows:
            periods.schedule_draw(session, community, period)
        return len(rows)

    def blocked(self, session: Session, draw: Draw, now: datetime) -> str | None:
        """Only a moderator's draw or the reset of a community that draws automatically closes
        a period; the scheduler's closing of due draws leaves it alone."""
        if draw.id in session.info.get(_DRAWING, set()):
            return None
        period = db.get_existing(session, Raffle, draw.source_id)
        community = periods.community_of_program(session, period.program_id)
        if now < period.closes_at:
            return f"The period runs until {period.closes_at:%d %b %Y %H:%M} UTC."
        if community is None or not community.auto_draw:
            return "A moderator draws this period from the community's console."
        return None

    def settle(self, session: Session, draw: Draw, now: datetime) -> None:
        """Nothing carries over between periods; the community's pages show the winner, and its
        Discord channel is told (once per draw, whatever drew it: a moderator, a slash command,
        the reset's automatic draw, the draws job, an admin's override)."""
        announcements.period_winner(session, draw)

    def voided(self, session: Session, draw: Draw, now: datetime) -> None:
        period = db.get_existing(session, Raffle, draw.source_id, for_update=True)
        period.status = RaffleStatus.CLOSED

    def topics(self, session: Session | None, draw: Draw) -> tuple[str, ...]:
        """A period's draw shows on its community's pages."""
        if session is None:
            return ()
        period = session.get(Raffle, draw.source_id)
        community = periods.community_of_program(session, period.program_id) if period else None
        return (changes.community(id_of(community)),) if community else ()


POOL = draws.register_pool(periods.MODE, CommunityPool())


def close_for_draw(session: Session, draw: Draw, now: datetime) -> bool:
    """Freeze a period's draw now (the moderator's draw, the automatic one at the reset); False
    if it was frozen (or drawn) already."""
    session.info.setdefault(_DRAWING, set()).add(draw.id)
    try:
        return draws.close(session, id_of(draw), now)
    finally:
        session.info[_DRAWING].discard(draw.id)


EARLY_NEEDS_REASON = (
    "This period runs until {until:%d %b %Y %H:%M} UTC. To draw it early, give a reason of at "
    "least 5 characters: it is recorded, and no ticket can be earned in it afterwards."
)


def draw_now(
    moderator_id: int,
    community_id: int,
    period_id: int,
    now: datetime | None = None,
    *,
    reason: str = "",
    discord_role: str | None = None,
) -> draws.Outcome:
    """A moderator draws a period: it is frozen (before its end only with a reason) and drawn
    with the engine (and the drand round it is bound to, once that is out: the draws job draws
    it by itself within seconds). Whoever clicks twice, it is drawn once."""
    now = now or utcnow()
    with db.session_scope() as session:
        moderator = session.get(User, moderator_id)
        community = _community(session, community_id)
        moderator = communities.require_moderator(
            session, moderator, community, discord_role=discord_role
        )
        period = periods.get_period(session, community, period_id)
        draw = periods.schedule_draw(session, community, period)
        if draw.status in (DrawStatus.DRAWN, DrawStatus.VOID):
            return draws.Outcome("taken", f"This period's draw is {draw.status} already.")
        early = period.status == RaffleStatus.OPEN and now < period.closes_at
        if early and len(" ".join(reason.split())) < 5:
            return draws.Outcome("blocked", EARLY_NEEDS_REASON.format(until=period.closes_at))
        if draw.status == DrawStatus.SCHEDULED and close_for_draw(session, draw, now):
            detail = f"drawn early: {audit.checked_reason(reason)}" if early else "Draw now"
            detail += communities.as_role(discord_role)
            audit.record(session, moderator, "community.draw.close", "draw", draw.id, detail)
            changes.announce(session, changes.community(community_id))
        draw_id = id_of(draw)
    outcome = draws.perform(draw_id, trigger=DrawTrigger.ADMIN, actor_id=moderator_id, now=now)
    with db.session_scope() as session:
        if outcome.status == "drawn":
            moderator = db.get_existing(session, User, moderator_id)
            audit.record(
                session,
                moderator,
                "community.draw.draw",
                "draw",
                draw_id,
                communities.as_role(discord_role).strip(" ()"),
            )
        draw = db.get_existing(session, Draw, draw_id)
        if draw.status == DrawStatus.VOID:
            return draws.Outcome("void", draw.reason or "The draw is void.")
    return outcome


def _community(session: Session, community_id: int) -> Community:
    community = session.get(Community, community_id)
    if community is None:
        raise UserError("That community no longer exists.")
    return community


# ---- the announcement, in the seed's words ------------------------------------------------------


def announcement(
    session: Session, draw_id: int, *, name: Callable[[User], str] | None = None
) -> str:
    """The winner announcement for Discord or chat: the winning ticket, total tickets and
    participants, the winner's tickets by source, their odds, the prize and the proof link.
    `name` writes a winner's name (default: as the community's pages show it)."""
    from luckyclub.community.tickets import SOURCE_WORDS
    from luckyclub.community.views import public_name

    name = name or public_name

    draw = session.get(Draw, draw_id)
    if draw is None or draw.mode != periods.MODE or draw.status != DrawStatus.DRAWN:
        return ""
    rows = session.exec(
        select(DrawWinner, User)
        .outerjoin(User, col(User.id) == col(DrawWinner.user_id))
        .where(DrawWinner.draw_id == draw_id, DrawWinner.status != WinnerStatus.REPLACED)
        .order_by(col(DrawWinner.position))
    ).all()
    proof = get_settings().app_url + routes.draw_page(draw_id)
    lines = ["🎉 RAFFLE WINNER ANNOUNCEMENT 🎉", ""]
    for winner, user in rows:
        shown = name(user) if user else "an entrant"
        held = ledger.balance(session, draw.source_id, id_of(user)) if user else 0
        by_source = ledger.breakdown(session, draw.source_id, id_of(user)) if user else {}
        lines += [f"Congratulations to {shown}!", "", "📊 Draw Statistics:"]
        lines.append(f"• Total Tickets: {draw.entry_count:,}")
        lines.append(f"• Total Participants: {draw.entrant_count:,}")
        if draw.trigger == DrawTrigger.OVERRIDE:
            lines.append(f"• Chosen by an admin (manual override): {draw.reason}")
        elif winner.ticket is not None:
            lines.append(f"• Winning Ticket: #{winner.ticket + 1:,}")
        lines += ["", "🎟️ Winner's Tickets:"]
        for source, words in SOURCE_WORDS.items():
            if by_source.get(source):
                lines.append(f"• {words}: {by_source[source]:,} tickets")
        lines.append(f"• Total: {held:,} tickets")
        percent = held / draw.entry_count * 100 if draw.entry_count else 0.0
        lines += ["", f"📈 Winner's Odds: {held:,}/{draw.entry_count:,} ({percent:.1f}%)", ""]
    lines += [
        f"Prize: {draw.prize}",
        "",
        f"Check the draw yourself (seed, snapshot, proof): {proof}",
    ]
    return "\n".join(lines)


draw_public.register_announcement(periods.MODE, announcement)

# A viewer counts tickets, not entries: the draw's pages say "42 tickets", "The winning ticket".
draw_kinds.register_mode(
    periods.MODE,
    draw_kinds.WeightedKind(
        WEIGHTED,
        "ticket",
        "tickets",
        check_hint=(
            "Your entrant ref is on your page of the community. We look it up in the published "
            "snapshot and check its Merkle proof against the root above."
        ),
    ),
)

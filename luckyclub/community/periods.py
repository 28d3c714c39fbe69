"""A community's periods: one per calendar month (UTC), each a Raffle of the community's program,
made on demand the first time anything happens in it, and closed by the reset at 00:00 UTC on
the 1st. Nothing is deleted: past periods keep their ledgers, draws and logs for disputes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from luckyclub.club.raffles import month_label, month_of, next_month
from luckyclub.core import db
from luckyclub.core.errors import UserError
from luckyclub.models import Community, Draw, Program, Raffle, RaffleStatus, id_of, utcnow
from luckyclub.platform import changes, draws

MODE = "community"  # a period's draw is the pool (community, the period's raffle id)


def period_start(month: str) -> datetime:
    """The first moment of a month, UTC."""
    return datetime(int(month[:4]), int(month[5:]), 1, tzinfo=UTC)


def period_end(month: str) -> datetime:
    """The first moment after a month: a period takes tickets while now < its end, so an event
    at 23:59:59.999 on the last day is in it and one at 00:00:00 on the 1st is in the next."""
    return period_start(next_month(month))


def community_of_program(session: Session, program_id: int) -> Community | None:
    return session.exec(select(Community).where(Community.program_id == program_id)).first()


def _program(session: Session, community: Community) -> Program:
    return db.get_existing(session, Program, community.program_id)


def period_of(session: Session, community: Community, moment: datetime) -> Raffle:
    """The community's period holding `moment` (its month), made the first time it is asked for,
    once however many processes ask at the same moment (the month is unique in the program)."""
    if moment.tzinfo is None:
        raise ValueError("a moment must carry its timezone")
    month = month_of(moment)
    if found := _period_for_month(session, community.program_id, month):
        return found
    program = _program(session, community)
    period = Raffle(
        program_id=community.program_id,
        month=month,
        title=f"{program.name}: {month_label(month)}"[:120],
        prize=community.prize or "To be announced",
        base_entries=0,
        closes_at=period_end(month),
        status=RaffleStatus.OPEN,
    )
    try:
        with session.begin_nested():
            session.add(period)
    except IntegrityError:
        pass  # another transaction made it a moment ago
    found = _period_for_month(session, community.program_id, month)
    if found is None:
        raise LookupError(f"The {month} period was neither made here nor by another process.")
    schedule_draw(session, community, found)  # its commitment is public before any ticket
    changes.announce(session, changes.community(id_of(community)))
    return found


def current(session: Session, community: Community, now: datetime | None = None) -> Raffle:
    """The period tickets are earned in now."""
    return period_of(session, community, now or utcnow())


def _period_for_month(session: Session, program_id: int, month: str) -> Raffle | None:
    return session.exec(
        select(Raffle).where(Raffle.program_id == program_id, Raffle.month == month)
    ).first()


def periods(session: Session, community: Community, *, limit: int = 24) -> list[Raffle]:
    """The community's periods, newest first."""
    return list(
        session.exec(
            select(Raffle)
            .where(Raffle.program_id == community.program_id)
            .order_by(col(Raffle.month).desc())
            .limit(limit)
        )
    )


def get_period(session: Session, community: Community, period_id: int) -> Raffle:
    """A period of this community, refused as a sentence when it is another program's."""
    period = session.get(Raffle, period_id)
    if period is None or period.program_id != community.program_id:
        raise UserError("That period is not one of this community's.")
    return period


def is_open(period: Raffle, moment: datetime) -> bool:
    """Does the period take tickets at `moment`?"""
    return period.status == RaffleStatus.OPEN and moment < period.closes_at


def takes_tickets(session: Session, period: Raffle, moment: datetime) -> bool:
    """Does the period take tickets at `moment`, as the database says now? Read with FOR SHARE on
    PostgreSQL: a draw freezing the period (FOR UPDATE) waits for this credit to commit, or this
    credit waits for the freeze and then finds the period closed."""
    session.get(Raffle, id_of(period), with_for_update={"read": True}, populate_existing=True)
    return is_open(period, moment)


def schedule_draw(session: Session, community: Community, period: Raffle) -> Draw:
    """The period's draw, made with its commitment the first time; due at the period's end."""
    from luckyclub.community import pool  # noqa: F401 - registers the community's pool

    return draws.sync(
        session,
        MODE,
        id_of(period),
        title=period.title,
        prize=period.prize,
        winners_wanted=1,
        draw_at=period.closes_at,
    )


def draw_of(session: Session, period_id: int) -> Draw | None:
    return draws.draw_of(session, MODE, period_id)


# ---- the reset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reset:
    """What one run of the reset did: the periods it closed (this runner claimed them), the ones
    whose draw it froze for the automatic draw, and the periods it opened."""

    closed: tuple[int, ...] = ()
    auto_draws: tuple[int, ...] = ()  # draw ids frozen for the automatic draw, to perform
    opened: tuple[int, ...] = field(default=())

    def words(self) -> str:
        return (
            f"closed {len(self.closed)} period(s), froze {len(self.auto_draws)} automatic "
            f"draw(s), {len(self.opened)} period(s) open"
        )


def reset(
    session: Session, now: datetime | None = None, *, community_id: int | None = None
) -> Reset:
    """At 00:00 UTC on the 1st (and as a catch-up at any later run): every community's ended
    periods close, each claimed by exactly one runner however many run at once (a conditional
    UPDATE: on PostgreSQL the second waits on the row and finds it closed already), the draw of
    a community that draws automatically is frozen (the draws job draws it), and this month's
    period is opened. `community_id`: that community only (a moderator's /raffle reset).

    A community whose period changed here (this run closed its last one, or opened this month's)
    has the new period announced on its Discord channel, once (community/announcements.py)."""
    from luckyclub.community import announcements, pool

    now = now or utcnow()
    closed: list[int] = []
    frozen: list[int] = []
    opened: list[int] = []
    chosen = select(Community).order_by(col(Community.id))
    if community_id is not None:
        chosen = chosen.where(col(Community.id) == community_id)
    for community in session.exec(chosen).all():
        existed = _period_for_month(session, community.program_id, month_of(now)) is not None
        closed_here = False
        ended = session.exec(
            select(Raffle.id).where(
                Raffle.program_id == community.program_id,
                Raffle.status == RaffleStatus.OPEN,
                col(Raffle.closes_at) <= now,
            )
        ).all()
        for period_id in ended:
            assert period_id is not None
            claimed = session.exec(
                update(Raffle)
                .where(col(Raffle.id) == period_id, col(Raffle.status) == RaffleStatus.OPEN)
                .values(status=RaffleStatus.CLOSED)
            ).rowcount
            if claimed != 1:
                continue  # another runner closed it a moment ago
            closed.append(period_id)
            closed_here = True
            period = db.get_existing(session, Raffle, period_id)
            session.refresh(period)
            draw = schedule_draw(session, community, period)
            if community.auto_draw and pool.close_for_draw(session, draw, now):
                frozen.append(id_of(draw))
        this_month = period_of(session, community, now)
        opened.append(id_of(this_month))
        if closed_here or not existed:
            announcements.new_period(session, community, this_month)
        if ended:
            changes.announce(session, changes.community(id_of(community)))
    return Reset(tuple(closed), tuple(frozen), tuple(opened))


def run_reset(now: datetime | None = None) -> str:
    """The reset job: the reset in its own unit of work, then the automatic draws it froze (each
    drawn once, by whichever trigger claims it; one waiting for its drand round is drawn by the
    draws job as soon as the round is out)."""
    now = now or utcnow()
    with db.session_scope() as session:
        done = reset(session, now)
    outcomes = [draws.perform(draw_id, now=now) for draw_id in done.auto_draws]
    drawn = sum(outcome.status == "drawn" for outcome in outcomes)
    return f"{done.words()}; {drawn} drawn now"


def next_reset(now: datetime) -> datetime:
    """When the current period ends and the next begins."""
    return period_end(month_of(now))

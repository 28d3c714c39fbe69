"""A community's periods: the month boundary, the reset (claimed once, even by concurrent
runners), automatic draws, and the club's jobs leaving community periods alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from luckyclub.club import ledger, raffles
from luckyclub.community import periods, tickets
from luckyclub.core import db
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    EntryLedger,
    LedgerSource,
    Raffle,
    RaffleStatus,
)
from luckyclub.platform import draws
from tests.db.community_helpers import community_with_moderator, linked_viewer
from tests.db.factories import add_open_raffle
from tests.db.locks import all_at_once

NOV = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def period(session, community, month: str) -> Raffle:
    session.expire_all()
    return session.exec(
        select(Raffle).where(Raffle.program_id == community.program_id, Raffle.month == month)
    ).one()


def test_a_period_ends_at_midnight_on_the_1st_and_takes_tickets_until_then(session):
    community, _ = community_with_moderator(session)
    viewer = linked_viewer(session, "ann@example.com", 1)
    last_second = MIDNIGHT - timedelta(seconds=1)

    before = tickets.credit_kick(
        session, community, 1, LedgerSource.WATCHTIME, 10, "a", last_second
    )
    after = tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "b", MIDNIGHT)
    session.commit()

    november, december = (
        period(session, community, "2026-11"),
        period(session, community, "2026-12"),
    )
    assert november.closes_at == MIDNIGHT
    assert (before.period_id, after.period_id) == (november.id, december.id)
    assert ledger.balance(session, november.id, viewer.id) == 10
    assert ledger.balance(session, december.id, viewer.id) == 10


def test_the_reset_closes_the_ended_period_keeps_its_rows_and_opens_the_new_one(session):
    community, _ = community_with_moderator(session)
    viewer = linked_viewer(session, "ann@example.com", 1)
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "a", NOV)
    session.commit()

    done = periods.reset(session, MIDNIGHT)
    again = periods.reset(session, MIDNIGHT + timedelta(minutes=10))  # the catch-up run
    late = tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 5, "late", NOV)
    session.commit()

    november, december = (
        period(session, community, "2026-11"),
        period(session, community, "2026-12"),
    )
    assert done.closed == (november.id,) and done.opened == (december.id,)
    assert again.closed == ()
    assert november.status == RaffleStatus.CLOSED and december.status == RaffleStatus.OPEN
    assert late.outcome == "closed"  # a late event for a closed period earns nothing
    assert ledger.balance(session, november.id, viewer.id) == 10  # nothing deleted
    assert session.exec(select(func.count()).select_from(EntryLedger)).one() == 1
    assert draws.draw_of(session, periods.MODE, november.id).status == DrawStatus.SCHEDULED


def test_two_runners_at_midnight_claim_the_reset_once(session, no_beacon):
    community, _ = community_with_moderator(session, auto_draw=True)
    linked_viewer(session, "ann@example.com", 1)
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "a", NOV)
    session.commit()

    def runner():
        with db.session_scope() as s:
            return periods.reset(s, MIDNIGHT)

    results = all_at_once([runner, runner])

    assert not [r for r in results if isinstance(r, Exception)], results
    november = period(session, community, "2026-11")
    assert sorted(len(r.closed) for r in results) == [0, 1]
    assert sorted(len(r.auto_draws) for r in results) == [0, 1]
    draw = draws.draw_of(session, periods.MODE, november.id)
    assert session.exec(select(func.count()).select_from(DrawSnapshot)).one() == 1
    assert draw.status == DrawStatus.CLOSED
    assert period(session, community, "2026-12").status == RaffleStatus.OPEN


def test_a_community_that_draws_automatically_is_drawn_at_the_reset(session, no_beacon):
    community, _ = community_with_moderator(session, auto_draw=True)
    linked_viewer(session, "ann@example.com", 1)
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "a", NOV)
    session.commit()

    line = periods.run_reset(MIDNIGHT)

    draw = draws.draw_of(session, periods.MODE, period(session, community, "2026-11").id)
    assert "1 drawn now" in line
    assert draw.status == DrawStatus.DRAWN and draw.entry_count == 10


def test_without_automatic_draws_the_scheduler_leaves_an_ended_period_to_a_moderator(
    session, no_beacon
):
    community, _ = community_with_moderator(session)
    linked_viewer(session, "ann@example.com", 1)
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "a", NOV)
    session.commit()

    periods.run_reset(MIDNIGHT)
    draws.run_due(now=MIDNIGHT + timedelta(days=3))

    november = period(session, community, "2026-11")
    assert draws.draw_of(session, periods.MODE, november.id).status == DrawStatus.SCHEDULED


def test_the_club_raffle_jobs_never_touch_a_community_period(session, no_beacon):
    community, _ = community_with_moderator(session)
    linked_viewer(session, "ann@example.com", 1)
    club = add_open_raffle(session, month="2026-11")
    tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "a", NOV)
    session.commit()
    november = period(session, community, "2026-11")

    raffles.rollover(session, MIDNIGHT + timedelta(seconds=5))  # closes club raffles that ended
    raffles.close_due(session, MIDNIGHT + timedelta(days=1))
    draws.schedule_missing(session)
    session.commit()
    draws.run_due(now=MIDNIGHT + timedelta(days=1))

    assert period(session, community, "2026-11").status == RaffleStatus.OPEN
    club_modes = session.exec(select(Draw.mode).where(Draw.source_id == november.id)).all()
    assert club_modes == [periods.MODE]  # no club ("raffle") draw was made for it
    assert session.get(Raffle, club.id).status == RaffleStatus.CLOSED
    # And the reset leaves the club's raffles to the club's rollover.
    session.expire_all()
    assert periods.reset(session, MIDNIGHT).closed == (november.id,)

"""Draws under real concurrency on PostgreSQL: many triggers at once still draw exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger, raffles
from luckyclub.models import (
    Draw,
    DrawSnapshot,
    DrawStatus,
    DrawWinner,
    LedgerSource,
    OutboxMessage,
    Raffle,
    RaffleStatus,
    Role,
    User,
    utcnow,
)
from luckyclub.platform import draw_actions, draws
from tests.db.factories import add_open_raffle, add_user
from tests.db.locks import all_at_once

WINNERS = 2


@pytest.fixture()
def postgres(app_db):
    if app_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; the race needs PostgreSQL's row locks")
    return app_db


def pool(session, entrants: int) -> Draw:
    """A scheduled no-beacon draw of WINNERS winners, due now, with `entrants` members in it."""
    raffle = add_open_raffle(session, month="2099-01", winners=WINNERS)
    draw = raffles.schedule_draw(session, raffle)
    session.commit()
    for n in range(entrants):
        user = add_user(session, f"member{n}@example.com")
        ledger.credit(
            session,
            raffle_id=raffle.id,
            user_id=user.id,
            source=LedgerSource.BASE,
            amount=n + 1,
            key=f"race:{user.id}",
        )
    draw.draw_at = utcnow() - timedelta(seconds=1)
    session.commit()
    return draw


def test_eight_triggers_at_once_draw_a_closed_pool_exactly_once(postgres, session, no_beacon):
    draw = pool(session, entrants=6)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    assert draws.close(session, draw.id)
    session.commit()
    kinds = [
        lambda: [draws.perform(draw.id)],
        lambda: [draw_actions.draw_now(admin.id, draw.id, reason="The sponsor asked for it")],
        lambda: draws.run_due(),
    ]
    results = all_at_once([kinds[n % 3] for n in range(8)])

    assert [r for r in results if isinstance(r, Exception)] == []
    outcomes = [outcome for result in results for outcome in result]
    assert [o.status for o in outcomes].count("drawn") == 1
    assert {o.status for o in outcomes} <= {"drawn", "taken"}
    with Session(postgres) as s:
        assert s.get(Draw, draw.id).status == DrawStatus.DRAWN
        winners = s.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()
        assert len(winners) == WINNERS
        assert len({w.user_id for w in winners}) == WINNERS
        mail = s.exec(select(OutboxMessage).where(OutboxMessage.template == "draw_won")).all()
        winner_emails = sorted(s.get(User, w.user_id).email for w in winners)
        assert sorted(m.to_address for m in mail) == winner_emails  # one email per winner


def test_eight_triggers_at_once_on_a_scheduled_pool_close_and_draw_it_once(
    postgres, session, no_beacon
):
    draw = pool(session, entrants=4)
    admin = add_user(session, "admin@example.com", Role.ADMIN)
    triggers = [
        lambda: [draw_actions.draw_now(admin.id, draw.id, reason="The sponsor asked for it")],
        lambda: draws.run_due(),
    ] * 4
    results = all_at_once(triggers)

    assert [r for r in results if isinstance(r, Exception)] == []
    outcomes = [outcome for result in results for outcome in result]
    assert [o.status for o in outcomes].count("drawn") == 1
    with Session(postgres) as s:
        assert len(s.exec(select(DrawSnapshot)).all()) == 1
        assert len(s.exec(select(DrawWinner)).all()) == WINNERS


def test_two_closers_at_once_freeze_one_snapshot(postgres, session, no_beacon):
    draw = pool(session, entrants=5)

    def close_with(closer):
        with Session(postgres) as s:
            closed = closer(s)
            s.commit()
            return closed

    results = all_at_once(
        [
            lambda: int(close_with(lambda s: draws.close(s, draw.id))),
            lambda: close_with(draws.close_due),
        ]
    )

    assert sorted(results) == [0, 1]
    with Session(postgres) as s:
        [snapshot] = s.exec(select(DrawSnapshot)).all()
        closed = s.get(Draw, draw.id)
        assert closed.status == DrawStatus.CLOSED and closed.entrant_count == 5
        assert snapshot.body.count(b"\n") == 5
        assert s.get(Raffle, closed.source_id).status == RaffleStatus.CLOSED

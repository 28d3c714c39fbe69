"""A community period's draw: a moderator draws it with the engine (and drand), once; the
announcement in the seed's words; moderators of other communities and viewers cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from luckyclub.community import periods, pool, tickets, views
from luckyclub.core.errors import NotAllowed
from luckyclub.models import AuditLog, DrawStatus, DrawTrigger, DrawWinner, LedgerSource, User
from luckyclub.platform import draw_public, draws
from luckyclub.state.draws.draw_views import summary
from tests import drand_relay
from tests.db.community_helpers import community_with_moderator, linked_viewer
from tests.db.locks import all_at_once

NOV = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
ENDED = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)


def earn(session, community, holdings: dict[int, list[tuple[str, int]]], when=NOV):
    """Linked viewers (Kick ids 1, 2, …) with tickets by source."""
    viewers = {}
    for kick_id, earned in holdings.items():
        viewers[kick_id] = linked_viewer(session, f"v{kick_id}@example.com", kick_id, f"k{kick_id}")
        for n, (source, amount) in enumerate(earned):
            tickets.credit_kick(session, community, kick_id, source, amount, f"{kick_id}:{n}", when)
    session.commit()
    return viewers


def test_a_moderator_draws_the_ended_period_and_the_announcement_follows_the_seed(
    session, no_beacon
):
    community, mod = community_with_moderator(session)
    viewers = earn(
        session,
        community,
        {
            1: [(LedgerSource.WATCHTIME, 120), (LedgerSource.GIFTED_SUB, 45)],
            2: [(LedgerSource.WAGER, 83)],
        },
    )
    november = periods.period_of(session, community, NOV)
    session.commit()

    outcome = pool.draw_now(mod.id, community.id, november.id, ENDED)

    session.expire_all()
    draw = periods.draw_of(session, november.id)
    assert outcome.status == "drawn", outcome.message
    assert draw.status == DrawStatus.DRAWN and draw.trigger == DrawTrigger.ADMIN
    assert (draw.entrant_count, draw.entry_count) == (2, 248)
    winner = session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).one()
    assert winner.user_id in {v.id for v in viewers.values()}
    assert draw_public.verify_draw(session, draw.id).ok
    # The draw's pages count tickets, as viewers do; the viewer's page gives their entrant ref.
    shown = summary(draw_public.view(session, draw.id))
    assert (shown.entries_words, shown.winning_words) == ("248 tickets", "The winning ticket")
    winner_account = session.get(User, winner.user_id)
    ref = views.viewer_page(session, community, winner_account, NOV).entrant_ref
    assert ref == winner.entrant_ref
    assert draw_public.check_entry(session, draw.id, ref, client_ip="203.0.113.7").found

    text = pool.announcement(session, draw.id)
    assert text.startswith("🎉 RAFFLE WINNER ANNOUNCEMENT 🎉")
    assert "• Total Tickets: 248" in text and "• Total Participants: 2" in text
    assert f"• Winning Ticket: #{winner.ticket + 1}" in text
    if winner.user_id == viewers[1].id:
        assert "• Chat time: 120 tickets" in text and "• Gifted subs: 45 tickets" in text
        assert "📈 Winner's Odds: 165/248 (66.5%)" in text
    else:
        assert "• Wagers: 83 tickets" in text and "📈 Winner's Odds: 83/248 (33.5%)" in text
    assert "Prize: $500 cash" in text and f"/draws/{draw.id}" in text
    assert draw_public.announcement(session, draw.id) == text  # what the admin's draws page shows
    actions = session.exec(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["community.draw.close", "community.draw.draw"]


def test_two_clicks_on_draw_now_draw_once(session, no_beacon):
    community, mod = community_with_moderator(session)
    earn(session, community, {1: [(LedgerSource.WATCHTIME, 10)], 2: [(LedgerSource.BONUS, 5)]})
    november = periods.period_of(session, community, NOV)
    session.commit()

    outcomes = all_at_once([lambda: pool.draw_now(mod.id, community.id, november.id, ENDED)] * 2)

    statuses = sorted(o.status for o in outcomes)  # type: ignore[union-attr]
    assert statuses == ["drawn", "taken"], outcomes
    session.expire_all()
    draw = periods.draw_of(session, november.id)
    assert len(session.exec(select(DrawWinner).where(DrawWinner.draw_id == draw.id)).all()) == 1


def test_drawing_before_the_period_ends_needs_a_reason_and_ends_it(session, no_beacon):
    community, mod = community_with_moderator(session)
    earn(session, community, {1: [(LedgerSource.WATCHTIME, 10)]})
    november = periods.period_of(session, community, NOV)
    session.commit()
    now = NOV + timedelta(hours=1)

    refused = pool.draw_now(mod.id, community.id, november.id, now)
    drawn = pool.draw_now(mod.id, community.id, november.id, now, reason="Stream finale tonight")
    late = tickets.credit_kick(session, community, 1, LedgerSource.WATCHTIME, 10, "late", now)

    assert refused.status == "blocked" and "give a reason" in refused.message
    assert drawn.status == "drawn"
    assert late.outcome == "closed"


def test_only_this_communitys_moderators_draw_its_periods(session, no_beacon):
    community, _mod = community_with_moderator(session)
    _other, other_mod = community_with_moderator(session, "other")
    viewers = earn(session, community, {1: [(LedgerSource.WATCHTIME, 10)]})
    november = periods.period_of(session, community, NOV)
    session.commit()

    with pytest.raises(NotAllowed):
        pool.draw_now(other_mod.id, community.id, november.id, ENDED)
    with pytest.raises(NotAllowed):
        pool.draw_now(viewers[1].id, community.id, november.id, ENDED)
    session.expire_all()
    assert periods.draw_of(session, november.id).status == DrawStatus.SCHEDULED


def test_the_draw_binds_to_a_drand_round_and_is_drawn_when_it_is_out(session, relays):
    closes = drand_relay.close_time_for(drand_relay.ROUND)
    community, mod = community_with_moderator(session)
    earn(
        session,
        community,
        {1: [(LedgerSource.WATCHTIME, 10)], 2: [(LedgerSource.WAGER, 30)]},
        when=closes - timedelta(hours=1),
    )
    period = periods.period_of(session, community, closes)
    session.commit()

    first = pool.draw_now(mod.id, community.id, period.id, closes, reason="End of the season")
    later = draws.run_due(now=closes + timedelta(minutes=1))

    session.expire_all()
    draw = periods.draw_of(session, period.id)
    assert first.status == "not_due"
    assert [o.status for o in later] == ["drawn"]
    assert draw.beacon_round == drand_relay.ROUND
    assert draw.beacon_randomness == drand_relay.RANDOMNESS
    assert draw_public.verify_draw(session, draw.id).ok

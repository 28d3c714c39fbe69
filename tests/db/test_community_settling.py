"""The month's end: what was earned before midnight (the last chat minute and hour, a gift stored
a moment before, the last wagers) is credited to the ending period before the reset closes it,
once however many runners reset at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from luckyclub import jobs
from luckyclub.club import ledger
from luckyclub.community import chat_time, inbox, periods
from luckyclub.core import db
from luckyclub.models import AffiliateClaim, ClaimStatus, RaffleStatus
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community
from tests.db.kick_viewers import BROADCASTER, as_json, gift_body
from tests.db.locks import all_at_once
from tests.fake_affiliate import FakeAffiliate

MIDNIGHT = datetime(2026, 12, 1, tzinfo=UTC)
LAST_HOUR = MIDNIGHT - timedelta(hours=1)


@pytest.fixture()
def stats(monkeypatch):
    with FakeAffiliate().running() as server:
        monkeypatch.setenv("LELE_STATS", server.stats_url)
        yield server


@pytest.fixture()
def month_end(session, stats):
    """A live community whose last hour of November was chatted through by ann and bob (ticked
    up to 23:58), a gift by ann stored at 23:59:58 and not processed yet, and ann's wagers."""
    community = add_community(
        session, kick_broadcaster_id=BROADCASTER, is_live=True, affiliate_source="LELE_STATS"
    )
    ann = linked_viewer(session, "ann@example.com", 1)
    linked_viewer(session, "bob@example.com", 2)
    session.add(
        AffiliateClaim(
            community_id=community.id,
            user_id=ann.id,
            username="ann",
            username_key="ann",
            status=ClaimStatus.VERIFIED,
        )
    )
    session.commit()
    for n in range(59):
        minute = LAST_HOUR + timedelta(minutes=n)
        for kick_id in (1, 2):
            chat_time.record_chat(session, community, kick_id, f"v{kick_id}", minute)
        chat_time.tick(session, community, minute)
    session.commit()
    gifted = MIDNIGHT - timedelta(seconds=2)
    with db.session_scope() as unit:
        inbox.store(unit, "msg-gift", inbox.GIFTED_SUBS, as_json(gift_body(1, [7], gifted)), gifted)
    stats.totals = {"ann": 1000}
    return community, ann


def test_the_reset_credits_the_ending_month_before_closing_it(session, month_end, stats):
    community, ann = month_end

    line = jobs.reset_communities(MIDNIGHT)

    assert line.startswith("settled 1 ended period(s): 1 event(s), 20 chat ticket(s), 20 wager")
    with Session(session.get_bind()) as fresh:
        november = periods.period_of(fresh, community, LAST_HOUR)
        assert november.status == RaffleStatus.CLOSED
        assert ledger.breakdown(fresh, november.id, ann.id) == {
            "watchtime": 10,  # 60 minutes: the 23:59 minute was ticked by the settling
            "gifted_sub": 15,
            "wager": 20,
        }
    assert stats.windows()[-1][1] == int(MIDNIGHT.timestamp()) - 1


def test_two_resets_at_once_credit_the_ending_month_once(app_db, month_end):
    community, ann = month_end

    results = all_at_once([lambda: jobs.reset_communities(MIDNIGHT)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    with Session(app_db) as fresh:
        november = periods.period_of(fresh, community, LAST_HOUR)
        assert ledger.balance(fresh, november.id, ann.id) == 10 + 15 + 20
        assert ledger.cache_matches_ledger(fresh)


def test_a_reset_with_nothing_ended_settles_nothing(session, stats):
    add_community(session, kick_broadcaster_id=BROADCASTER, affiliate_source="LELE_STATS")

    line = jobs.reset_communities(MIDNIGHT - timedelta(days=3))

    assert line.startswith("settled 0 ended period(s)")
    assert stats.windows() == []

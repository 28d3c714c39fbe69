"""Affiliate wagers: tickets from each verified username's running total in the period, the
remainder carried, a falling total crediting nothing, and every poll's outcome recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.community import periods, wagers
from luckyclub.core import db
from luckyclub.integrations.affiliate import fetch_stats
from luckyclub.models import AffiliateClaim, ClaimStatus, Raffle, RaffleStatus, WagerPoll
from tests.db.factories import add_community, add_user
from tests.db.locks import all_at_once
from tests.fake_affiliate import FakeAffiliate

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
SOURCE = "LELE_AFFILIATE_URL"


@dataclass(frozen=True)
class Row:
    username: str
    wagered: Decimal


@pytest.fixture()
def stats(monkeypatch):
    with FakeAffiliate().running() as server:
        monkeypatch.setenv(SOURCE, server.stats_url)
        yield server


@pytest.fixture()
def community(session):
    return add_community(session, affiliate_source=SOURCE)


def claimed(session, community, email: str, username: str, status=ClaimStatus.VERIFIED):
    user = add_user(session, email)
    session.add(
        AffiliateClaim(
            community_id=community.id,
            user_id=user.id,
            username=username,
            username_key=username.lower(),
            status=status,
        )
    )
    session.commit()
    return user


def poll(community, now=NOW, fetch=fetch_stats):
    return wagers.poll(db.session_scope, community, now, fetch)


def wager_tickets(session, community, user, now=NOW) -> int:
    period = periods.period_of(session, community, now)
    return wagers.credited_so_far(session, period.id, user.id)


def test_a_verified_username_earns_20_tickets_per_1000_wagered(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "Obel")
    stats.totals = {"obel": 2100.00}

    outcome = poll(community)

    assert (outcome.ok, outcome.credited) == (True, 42)
    assert wager_tickets(session, community, obel) == 42
    period_began = datetime(2026, 11, 1, tzinfo=UTC)
    assert stats.windows() == [(int(period_began.timestamp()), int(NOW.timestamp()))]


def test_small_wagers_add_up_across_polls(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    credited = []
    for n in range(1, 6):  # $40 more each poll: the seed's per-poll rounding credited 0 each time
        stats.totals = {"obel": 40 * n}
        credited.append(poll(community, NOW + timedelta(minutes=15 * n)).credited)

    assert credited == [0, 1, 1, 1, 1]  # $40 → 0, $80 → 1, $120 → 2, $160 → 3, $200 → 4
    assert wager_tickets(session, community, obel) == 4


def test_the_remainder_is_carried_by_the_running_total(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    stats.totals = {"obel": 1049.99}
    assert poll(community).credited == 20
    stats.totals = {"obel": 1100}
    assert poll(community, NOW + timedelta(minutes=15)).credited == 2

    assert wager_tickets(session, community, obel) == 22


def test_a_falling_total_credits_nothing_until_it_passes_its_best(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    stats.totals = {"obel": 2100}
    poll(community)
    stats.totals = {"obel": 1500}  # a chargeback
    fallen = poll(community, NOW + timedelta(minutes=15))
    stats.totals = {"obel": 2150}
    risen = poll(community, NOW + timedelta(minutes=30))

    assert (fallen.ok, fallen.credited, risen.credited) == (True, 0, 1)
    assert wager_tickets(session, community, obel) == 43


def test_unverified_usernames_earn_nothing_until_verified_then_count_from_the_start(
    session, community, stats
):
    ann = claimed(session, community, "ann@example.com", "ann", ClaimStatus.PENDING)
    stats.totals = {"ann": 1000, "stranger": 5000}
    assert poll(community).credited == 0

    claim = session.exec(select(AffiliateClaim)).one()
    claim.status = ClaimStatus.VERIFIED
    session.add(claim)
    session.commit()
    assert poll(community, NOW + timedelta(minutes=15)).credited == 20
    assert wager_tickets(session, community, ann) == 20


def test_a_200_that_is_not_an_array_is_a_recorded_error_retried_next_poll(
    session, community, stats
):
    obel = claimed(session, community, "obel@example.com", "obel")
    stats.totals = {"obel": 1000}
    stats.rate_limited()

    failed = poll(community)
    retried = poll(community, NOW + timedelta(minutes=15))

    assert (failed.ok, failed.credited) == (False, 0)
    assert "TOO_MANY_REQUEST" in failed.detail and stats.stats_url not in failed.detail
    assert (retried.ok, retried.credited) == (True, 20)
    rows = session.exec(select(WagerPoll).order_by(WagerPoll.id)).all()
    assert [(r.ok, r.rows, r.credited) for r in rows] == [(False, 0, 0), (True, 1, 20)]
    assert all(r.finished_at is not None for r in rows)
    assert wager_tickets(session, community, obel) == 20


def test_a_poll_without_its_url_setting_is_a_recorded_error(session, community, monkeypatch):
    monkeypatch.delenv(SOURCE, raising=False)

    outcome = poll(community, fetch=lambda *a: pytest.fail("nothing to fetch"))

    assert not outcome.ok and SOURCE in outcome.detail
    assert session.exec(select(WagerPoll)).one().detail == outcome.detail


def test_a_poll_at_00_00_00_reads_the_new_period_from_its_start(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    stats.totals = {"obel": 1000}
    poll(community, datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC))
    midnight = datetime(2026, 12, 1, tzinfo=UTC)
    poll(community, midnight)

    assert stats.windows()[1][0] == int(midnight.timestamp())
    assert wager_tickets(session, community, obel, midnight - timedelta(seconds=1)) == 20
    assert wager_tickets(session, community, obel, midnight) == 20


def test_two_polls_at_once_credit_once(app_db, session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    stats.totals = {"obel": 5000}

    results = all_at_once([lambda: poll(community)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.credited for r in results if r is not None) == 100
    with Session(app_db) as fresh:
        assert wager_tickets(fresh, community, obel) == 100
        assert ledger.cache_matches_ledger(fresh)


def test_a_poll_that_died_does_not_block_the_next_one_for_long(session, community, stats):
    obel = claimed(session, community, "obel@example.com", "obel")
    period = periods.period_of(session, community, NOW)
    session.add(WagerPoll(community_id=community.id, raffle_id=period.id, started_at=NOW))
    session.commit()
    stats.totals = {"obel": 1000}

    assert poll(community, NOW + timedelta(minutes=1)) is None  # that poll may still be running
    assert poll(community, NOW + wagers.POLL_LEASE + timedelta(seconds=1)).credited == 20
    assert wager_tickets(session, community, obel) == 20


def test_a_poll_whose_period_closes_while_it_reads_credits_nothing_and_says_so(
    session, community, monkeypatch
):
    monkeypatch.setenv(SOURCE, "http://127.0.0.1:9/stats/read-by-the-test")
    obel = claimed(session, community, "obel@example.com", "obel")
    period = periods.period_of(session, community, NOW)
    session.commit()

    def read_while_the_reset_runs(url, start, end):
        with db.session_scope() as other:
            other.get(Raffle, period.id).status = RaffleStatus.CLOSED
        return [Row("obel", Decimal(1000))]

    outcome = poll(community, fetch=read_while_the_reset_runs)

    assert (outcome.ok, outcome.credited) == (False, 0)
    assert outcome.detail == "The period closed before these wagers were credited."
    assert wager_tickets(session, community, obel) == 0

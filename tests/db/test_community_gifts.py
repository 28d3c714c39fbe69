"""Gifted subs: 15 tickets per sub to the gifter, once per gift under any message id, nothing for
anonymous gifts, and a moderator's reversal (never below zero, and said so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.community import gifts, periods, tickets
from luckyclub.core.errors import NotAllowed, UserError
from luckyclub.models import AuditLog, EntryLedger, ExcludedViewer, KickGift
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community, add_user
from tests.db.kick_viewers import BROADCASTER, gift_body, moderator_of
from tests.db.locks import all_at_once

NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


@pytest.fixture()
def community(session):
    return add_community(session, kick_broadcaster_id=BROADCASTER)


def tickets_of(session, community, user, moment=NOW) -> int:
    return ledger.balance(session, periods.period_of(session, community, moment).id, user.id)


def test_a_gift_of_three_subs_credits_the_gifter_45_tickets(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)

    gift = gifts.record_gift(session, community, "msg-1", gift_body(42, [7, 8, 9], NOW), NOW)
    session.commit()

    assert (gift.giftees, gift.tickets, gift.gifter_name) == (3, 45, "gifter42")
    assert ledger.breakdown(session, gift.raffle_id, gifter.id) == {"gifted_sub": 45}


def test_one_gift_under_two_message_ids_is_credited_once(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    body = gift_body(42, [8, 7], NOW)
    redelivered = gift_body(42, [7, 8], NOW) | {"created_at": "2026-11-14T12:00:00+00:00"}

    first = gifts.record_gift(session, community, "msg-1", body, NOW)
    second = gifts.record_gift(session, community, "msg-2", redelivered, NOW)
    again = gifts.record_gift(session, community, "msg-1", body, NOW)
    session.commit()

    assert first is not None and second is None and again is None
    assert tickets_of(session, community, gifter) == 30
    assert len(session.exec(select(KickGift)).all()) == 1


def test_two_gifts_from_one_gifter_at_other_times_both_count(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    gifts.record_gift(session, community, "msg-1", gift_body(42, [7], NOW), NOW)
    later = NOW + timedelta(seconds=1)
    gifts.record_gift(session, community, "msg-2", gift_body(42, [7], later), later)
    session.commit()

    assert tickets_of(session, community, gifter) == 30


def test_one_gift_under_ten_message_ids_at_once_is_credited_once(app_db, session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    body = gift_body(42, [7, 8], NOW)

    def deliver(n: int):
        def run():
            with Session(app_db, expire_on_commit=False) as own:
                row = gifts.record_gift(own, own.merge(community), f"msg-{n}", body, NOW)
                own.commit()
                return row is not None

        return run

    results = all_at_once([deliver(n) for n in range(10)])

    assert sorted(results, key=str) == [False] * 9 + [True], results
    with Session(app_db) as fresh:
        assert tickets_of(fresh, community, gifter) == 30
        assert ledger.cache_matches_ledger(fresh)


def test_an_anonymous_gift_is_logged_and_earns_nothing(session, community):
    gift = gifts.record_gift(session, community, "msg-1", gift_body(None, [7, 8], NOW), NOW)
    session.commit()

    assert (gift.gifter_kick_id, gift.giftees, gift.tickets) == (None, 2, 0)
    assert session.exec(select(EntryLedger)).all() == []


def test_an_excluded_gifter_earns_nothing(session, community):
    linked_viewer(session, "bot@example.com", 42)
    session.add(ExcludedViewer(community_id=community.id, kick_user_id=42, reason="A test bot"))
    session.commit()

    gift = gifts.record_gift(session, community, "msg-1", gift_body(42, [7], NOW), NOW)
    session.commit()

    assert gift.tickets == 0
    assert session.exec(select(EntryLedger)).all() == []


def test_an_unlinked_gifters_tickets_are_held(session, community):
    gifts.record_gift(session, community, "msg-1", gift_body(42, [7], NOW), NOW)
    session.commit()

    period = periods.period_of(session, community, NOW)
    assert tickets.held_for(session, period.id, 42) == 15


def test_gifts_at_23_59_59_and_00_00_00_land_in_their_own_months(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    midnight = datetime(2026, 12, 1, tzinfo=UTC)
    last_second = midnight - timedelta(seconds=1)

    old = gifts.record_gift(session, community, "msg-1", gift_body(42, [7], last_second), midnight)
    new = gifts.record_gift(session, community, "msg-2", gift_body(42, [7], midnight), midnight)
    session.commit()

    november = periods.period_of(session, community, last_second)
    december = periods.period_of(session, community, midnight)
    assert (old.raffle_id, new.raffle_id) == (november.id, december.id)
    assert ledger.balance(session, november.id, gifter.id) == 15
    assert ledger.balance(session, december.id, gifter.id) == 15


def test_a_moderator_reverses_a_gift_with_a_reason_audited(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    moderator = moderator_of(session, community)
    gift = gifts.record_gift(session, community, "msg-1", gift_body(42, [7, 8], NOW), NOW)
    session.commit()

    done = gifts.reverse_gift(session, moderator, gift.id, "The payment failed at Kick", NOW)
    session.commit()

    assert (done.taken, done.message) == (30, "Reversed 30 tickets of gifter42's gift.")
    assert tickets_of(session, community, gifter) == 0
    row = session.exec(select(EntryLedger).where(EntryLedger.source == "reversal")).one()
    reason = "The payment failed at Kick"
    assert (row.amount, row.reason, row.actor_id) == (-30, reason, moderator.id)
    assert (gift.reversed_reason, gift.reversed_by) == (reason, moderator.id)
    actions = [a.action for a in session.exec(select(AuditLog))]
    assert "community.gift.reverse" in actions
    with pytest.raises(UserError, match="reversed already"):
        gifts.reverse_gift(session, moderator, gift.id, "The payment failed at Kick", NOW)


def test_a_reversal_never_goes_below_zero_and_says_so(session, community):
    gifter = linked_viewer(session, "ann@example.com", 42)
    moderator = moderator_of(session, community)
    gift = gifts.record_gift(session, community, "msg-1", gift_body(42, [7, 8], NOW), NOW)
    session.commit()
    tickets.remove(session, moderator, community, gifter.id, 25, "Spamming the chat", NOW)
    session.commit()

    done = gifts.reverse_gift(session, moderator, gift.id, "The payment failed at Kick", NOW)
    session.commit()

    assert done.taken == 5
    assert done.message.startswith("Reversed only 5 of the gift's 30 tickets")
    assert "never goes below zero" in done.message
    assert tickets_of(session, community, gifter) == 0


def test_only_a_moderator_of_the_community_reverses_a_gift_and_with_a_reason(session, community):
    linked_viewer(session, "ann@example.com", 42)
    moderator = moderator_of(session, community)
    gift = gifts.record_gift(session, community, "msg-1", gift_body(42, [7], NOW), NOW)
    session.commit()

    with pytest.raises(NotAllowed):
        gifts.reverse_gift(session, add_user(session, "eve@example.com"), gift.id, "Because", NOW)
    with pytest.raises(UserError, match="reason"):
        gifts.reverse_gift(session, moderator, gift.id, " ", NOW)
    assert gift.reversed_at is None


def test_an_anonymous_gift_has_nothing_to_reverse(session, community):
    moderator = moderator_of(session, community)
    gift = gifts.record_gift(session, community, "msg-1", gift_body(None, [7], NOW), NOW)
    session.commit()

    with pytest.raises(UserError, match="earned no tickets"):
        gifts.reverse_gift(session, moderator, gift.id, "The payment failed at Kick", NOW)

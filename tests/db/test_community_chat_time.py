"""Chat time: chat-active minutes while the channel is live and at least two viewers chat, one per
viewer per minute, converted hourly with the remainder carried within the period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from luckyclub.club import ledger
from luckyclub.community import chat_time, periods
from luckyclub.models import ChatCarry, ChatMinute, ExcludedViewer, HeldTicket
from tests.db.community_helpers import linked_viewer
from tests.db.factories import add_community
from tests.db.kick_viewers import BROADCASTER
from tests.db.locks import all_at_once

HOUR = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)


@pytest.fixture()
def live(session):
    return add_community(session, kick_broadcaster_id=BROADCASTER, is_live=True, live_since=HOUR)


def chat_and_tick(session, community, viewers: list[int], start: datetime, minutes: int) -> None:
    """Each of `viewers` chats in every minute from `start`, and each minute is ticked."""
    for n in range(minutes):
        minute = start + timedelta(minutes=n)
        for kick_id in viewers:
            chat_time.record_chat(session, community, kick_id, f"v{kick_id}", minute)
        chat_time.tick(session, community, minute)
    session.commit()


def minutes_of(session, kick_id: int) -> int:
    return len(session.exec(select(ChatMinute).where(ChatMinute.kick_user_id == kick_id)).all())


def test_two_chatters_each_earn_a_minute_and_a_lone_chatter_earns_nothing(session, live):
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    assert chat_time.tick(session, live, HOUR) == 0  # one chatter: no minute

    chat_time.record_chat(session, live, 2, "bob", HOUR + timedelta(seconds=20))
    assert chat_time.tick(session, live, HOUR) == 2
    session.commit()

    assert (minutes_of(session, 1), minutes_of(session, 2)) == (1, 1)


def test_a_chat_counts_for_five_minutes_then_no_more(session, live):
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    chat_time.record_chat(session, live, 2, "bob", HOUR)
    given = [chat_time.tick(session, live, HOUR + timedelta(minutes=n)) for n in range(7)]
    session.commit()

    # Minutes 12:00 to 12:04 end within five minutes of the chats; 12:05 and 12:06 do not.
    assert given == [2, 2, 2, 2, 2, 0, 0]


def test_a_late_older_chat_does_not_move_a_viewers_last_chat_back(session, live):
    chat_time.record_chat(session, live, 1, "ann", HOUR + timedelta(minutes=10))
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    chat_time.record_chat(session, live, 2, "bob", HOUR + timedelta(minutes=10))

    assert chat_time.chat_active(session, live, HOUR + timedelta(minutes=10)) == [1, 2]


def test_nothing_is_earned_while_the_channel_is_offline(session, live):
    live.is_live = False
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    chat_time.record_chat(session, live, 2, "bob", HOUR)

    assert chat_time.tick(session, live, HOUR) == 0


def test_an_excluded_viewer_earns_nothing_and_does_not_count_as_a_second_chatter(session, live):
    session.add(ExcludedViewer(community_id=live.id, kick_user_id=2, reason="A chat bot"))
    session.commit()
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    chat_time.record_chat(session, live, 2, "bot", HOUR)
    assert chat_time.tick(session, live, HOUR) == 0

    chat_time.record_chat(session, live, 3, "cat", HOUR)
    assert chat_time.tick(session, live, HOUR) == 2
    session.commit()
    assert (minutes_of(session, 1), minutes_of(session, 2), minutes_of(session, 3)) == (1, 0, 1)


def test_a_minute_ticked_again_is_given_once(session, live):
    chat_and_tick(session, live, [1, 2], HOUR, 1)

    assert chat_time.tick(session, live, HOUR + timedelta(seconds=30)) == 0
    assert minutes_of(session, 1) == 1


def test_a_viewer_earns_at_most_sixty_minutes_an_hour(session, live):
    chat_and_tick(session, live, [1, 2], HOUR, 60)
    for n in range(60):  # every minute ticked again, as a second scheduler would
        chat_time.tick(session, live, HOUR + timedelta(minutes=n, seconds=30))
    session.commit()

    assert minutes_of(session, 1) == 60


def test_65_minutes_make_10_tickets_and_5_are_carried(session, live):
    ann = linked_viewer(session, "ann@example.com", 1)
    chat_and_tick(session, live, [1, 2], HOUR, 35)
    first = chat_time.convert_hour(session, live, HOUR)
    session.commit()
    chat_and_tick(session, live, [1, 2], HOUR + timedelta(hours=1), 30)
    second = chat_time.convert_hour(session, live, HOUR + timedelta(hours=1))
    session.commit()

    period = periods.period_of(session, live, HOUR)
    assert (first.tickets, second.tickets) == (0, 20)  # two viewers, 10 each in the second hour
    assert ledger.breakdown(session, period.id, ann.id) == {"watchtime": 10}
    carry = session.exec(select(ChatCarry).where(ChatCarry.kick_user_id == 1)).one()
    assert (carry.raffle_id, carry.minutes) == (period.id, 5)


def test_an_unlinked_viewers_chat_tickets_are_held_for_their_kick_id(session, live):
    chat_and_tick(session, live, [1, 2], HOUR, 60)
    chat_time.convert_hour(session, live, HOUR)
    session.commit()

    held = session.exec(select(HeldTicket).where(HeldTicket.kick_user_id == 2)).one()
    assert (held.source, held.amount) == ("watchtime", 10)


def test_an_hour_converted_again_gives_nothing_more(session, live):
    linked_viewer(session, "ann@example.com", 1)
    chat_and_tick(session, live, [1, 2], HOUR, 60)
    chat_time.convert_hour(session, live, HOUR)
    session.commit()

    again = chat_time.convert_hour(session, live, HOUR)
    session.commit()

    assert (again.minutes, again.tickets) == (0, 0)
    period = periods.period_of(session, live, HOUR)
    assert ledger.totals(session, period.id).entries == 10  # ann; bob's 10 are held


def test_minutes_of_a_viewer_excluded_before_the_conversion_earn_nothing(session, live):
    ann = linked_viewer(session, "ann@example.com", 1)
    chat_and_tick(session, live, [1, 2], HOUR, 60)
    session.add(ExcludedViewer(community_id=live.id, kick_user_id=1, reason="A chat bot"))
    session.commit()

    chat_time.convert_hour(session, live, HOUR)
    session.commit()

    period = periods.period_of(session, live, HOUR)
    assert ledger.balance(session, period.id, ann.id) == 0


def test_the_carry_stays_in_its_period(session, live):
    ann = linked_viewer(session, "ann@example.com", 1)
    last_hour = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    chat_and_tick(session, live, [1, 2], last_hour + timedelta(minutes=15), 45)
    chat_and_tick(session, live, [1, 2], last_hour + timedelta(hours=1), 30)
    chat_time.convert_hour(session, live, last_hour)
    chat_time.convert_hour(session, live, last_hour + timedelta(hours=1))
    session.commit()

    november = periods.period_of(session, live, last_hour)
    december = periods.period_of(session, live, last_hour + timedelta(hours=1))
    carries = {
        c.raffle_id: c.minutes
        for c in session.exec(select(ChatCarry).where(ChatCarry.kick_user_id == 1))
    }
    # November's 45 minutes are not added to December's 30: neither makes an hour.
    assert carries == {november.id: 45, december.id: 30}
    assert ledger.balance(session, november.id, ann.id) == 0
    assert ledger.balance(session, december.id, ann.id) == 0


def test_the_minute_at_23_59_counts_in_the_old_period_and_00_00_in_the_new(session, live):
    linked_viewer(session, "ann@example.com", 1)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    chat_and_tick(session, live, [1, 2], end - timedelta(minutes=60), 60)
    chat_and_tick(session, live, [1, 2], end, 60)

    done = chat_time.convert_due(end + timedelta(hours=1, minutes=1))

    assert [(h.hour, h.tickets) for h in done] == [(end - timedelta(hours=1), 20), (end, 20)]
    with Session(session.get_bind()) as fresh:
        november = periods.period_of(fresh, live, end - timedelta(seconds=1))
        december = periods.period_of(fresh, live, end)
        assert (november.month, december.month) == ("2026-11", "2026-12")
        assert ledger.totals(fresh, november.id).entries == 10
        assert ledger.totals(fresh, december.id).entries == 10


def test_missed_hours_are_caught_up_and_the_current_hour_waits(session, live):
    linked_viewer(session, "ann@example.com", 1)
    for hour in range(3):
        chat_and_tick(session, live, [1, 2], HOUR + timedelta(hours=hour), 60)

    done = chat_time.convert_due(HOUR + timedelta(hours=2, minutes=30))

    assert [h.hour for h in done] == [HOUR, HOUR + timedelta(hours=1)]
    assert chat_time.hours_due(session, live, HOUR + timedelta(hours=3)) == [
        HOUR + timedelta(hours=2)
    ]


def test_two_conversions_of_an_hour_at_once_credit_it_once(app_db, session, live):
    ann = linked_viewer(session, "ann@example.com", 1)
    chat_and_tick(session, live, [1, 2], HOUR, 60)

    results = all_at_once([lambda: chat_time.convert_due(HOUR + timedelta(hours=1))] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(sum(h.tickets for h in r) for r in results) == [0, 20]
    with Session(app_db) as fresh:
        period = periods.period_of(fresh, live, HOUR)
        assert ledger.balance(fresh, period.id, ann.id) == 10
        assert ledger.cache_matches_ledger(fresh)


def test_two_ticks_of_a_minute_at_once_give_it_once(app_db, session, live):
    chat_time.record_chat(session, live, 1, "ann", HOUR)
    chat_time.record_chat(session, live, 2, "bob", HOUR)
    session.commit()

    results = all_at_once([lambda: chat_time.tick_live(HOUR)] * 2)

    assert sorted(results) == [0, 2]
    assert minutes_of(session, 1) == 1

"""The arithmetic of earning tickets, without a database: chat minutes to tickets with the
remainder kept, a gift's content key, and wager totals to tickets from the running total."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from luckyclub.community.chat_time import chat_key, convert, hour_of, minute_of
from luckyclub.community.gifts import content_key, parse_gift, parse_time
from luckyclub.community.wagers import still_due, tickets_for, totals_by_username


def test_65_chat_minutes_make_10_tickets_and_keep_5():
    assert convert(65, 60, 10) == (10, 5)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, (0, 0)), (59, (0, 59)), (60, (10, 0)), (119, (10, 59)), (180, (30, 0))],
)
def test_chat_minutes_convert_in_whole_blocks(minutes, expected):
    assert convert(minutes, 60, 10) == expected


def test_a_carried_remainder_completes_the_next_block():
    tickets, kept = convert(65, 60, 10)
    tickets_next, kept_next = convert(kept + 55, 60, 10)
    assert (tickets + tickets_next, kept_next) == (20, 0)


def test_a_conversion_with_no_block_is_refused():
    with pytest.raises(ValueError):
        convert(10, 0, 10)


def test_minutes_and_hours_are_utc_starts():
    moment = datetime(2026, 12, 31, 23, 59, 59, 900_000, tzinfo=UTC)
    assert minute_of(moment) == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert hour_of(moment) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    east = datetime(2027, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert hour_of(east) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def test_one_viewers_hour_has_one_chat_key():
    early = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    assert chat_key(3, 77, early) == chat_key(3, 77, early + timedelta(minutes=59))
    assert chat_key(3, 77, early) != chat_key(3, 77, early + timedelta(hours=1))
    assert chat_key(3, 77, early) != chat_key(3, 78, early)


def test_a_gifts_content_key_ignores_the_order_of_giftees_and_how_the_time_is_written():
    zulu = parse_time("2026-12-05T14:00:00Z")
    offset = parse_time("2026-12-05T16:00:00+02:00")
    assert content_key(5, zulu, [3, 1, 2]) == content_key(5, offset, [1, 2, 3])


def test_a_gifts_content_key_tells_apart_gifter_time_and_giftees():
    moment = parse_time("2026-12-05T14:00:00Z")
    key = content_key(5, moment, [1, 2])
    assert key != content_key(6, moment, [1, 2])
    assert key != content_key(5, moment + timedelta(seconds=1), [1, 2])
    assert key != content_key(5, moment, [1, 2, 3])
    assert key != content_key(None, moment, [1, 2])


def gift_payload(**changes):
    payload = {
        "broadcaster": {"user_id": 900, "username": "streamer"},
        "gifter": {"is_anonymous": False, "user_id": 42, "username": "generous"},
        "giftees": [{"user_id": 8, "username": "b"}, {"user_id": 7, "username": "a"}],
        "created_at": "2026-12-05T14:00:00.123Z",
        "expires_at": "2027-01-05T14:00:00Z",
    }
    return payload | changes


def test_a_gift_payload_gives_the_gifter_and_sorted_giftees():
    gift = parse_gift(gift_payload())
    assert (gift.gifter_kick_id, gift.gifter_name, gift.giftee_ids) == (42, "generous", (7, 8))
    assert gift.created_at == datetime(2026, 12, 5, 14, 0, 0, 123_000, tzinfo=UTC)


def test_an_anonymous_gift_has_no_gifter():
    anonymous = {"is_anonymous": True, "user_id": None, "username": None}
    assert parse_gift(gift_payload(gifter=anonymous)).gifter_kick_id is None


@pytest.mark.parametrize(
    "changes",
    [
        {"giftees": None},
        {"giftees": [{"username": "no id"}]},
        {"created_at": "yesterday"},
        {"created_at": "2026-12-05T14:00:00"},
        {"gifter": {"is_anonymous": False, "user_id": "42"}},
    ],
)
def test_a_malformed_gift_is_refused(changes):
    with pytest.raises(ValueError):
        parse_gift(gift_payload(**changes))


def test_wager_tickets_are_floored_from_the_exact_total():
    assert tickets_for(Decimal("1049.99"), 1000, 20) == 20
    assert tickets_for(Decimal("2100.00"), 1000, 20) == 42
    assert tickets_for(Decimal("49.99"), 1000, 20) == 0
    assert tickets_for(Decimal("50"), 1000, 20) == 1
    assert tickets_for(Decimal("0"), 1000, 20) == 0


def test_small_wagers_add_up_where_per_poll_rounding_lost_them():
    # $40 a poll for 10 polls: per-poll rounding credits 0 each time; the running total 8.
    credited = 0
    for poll in range(1, 11):
        credited += still_due(Decimal(40 * poll), 1000, 20, credited)
    assert credited == 8


def test_a_falling_total_credits_nothing_until_it_passes_its_best():
    credited = still_due(Decimal("2100"), 1000, 20, 0)
    assert credited == 42
    assert still_due(Decimal("1500"), 1000, 20, credited) == 0
    assert still_due(Decimal("2149.99"), 1000, 20, credited) == 0
    assert still_due(Decimal("2150"), 1000, 20, credited) == 1


@dataclass(frozen=True)
class Row:
    username: str
    wagered: Decimal


def test_totals_are_keyed_like_claims_and_summed():
    rows = [Row(" Obel ", Decimal("10.5")), Row("obel", Decimal("4.5")), Row("x", Decimal(1))]
    assert totals_by_username(rows) == {"obel": Decimal(15), "x": Decimal(1)}


def test_a_gift_without_its_time_takes_the_time_kick_sent_it():
    sent = datetime(2026, 12, 5, 14, 0, 1, tzinfo=UTC)
    body = gift_payload()
    del body["created_at"]
    assert parse_gift(body, sent).created_at == sent
    with pytest.raises(ValueError):
        parse_gift(body)

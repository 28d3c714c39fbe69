"""A lottery time typed as a wall clock in the creator's zone: to UTC, at least an hour ahead, and
refused by name when the clocks skip or repeat it that night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from luckyclub.core.errors import UserError
from luckyclub.lotteries.forms import LOTTERY_TOO_SOON, lottery_time

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def refusal(local: str, zone: str = "Europe/London", now: datetime = NOW) -> UserError:
    with pytest.raises(UserError) as caught:
        lottery_time(local, zone, now)
    return caught.value


def test_a_wall_clock_time_becomes_utc_in_winter_and_in_summer():
    assert lottery_time("2027-03-15T15:00", "Europe/London", NOW) == datetime(
        2027, 3, 15, 15, 0, tzinfo=UTC
    )
    assert lottery_time("2027-07-15T15:00", "Europe/London", NOW) == datetime(
        2027, 7, 15, 14, 0, tzinfo=UTC
    )
    assert lottery_time("2027-03-15 10:00", "America/New_York", NOW) == datetime(
        2027, 3, 15, 14, 0, tzinfo=UTC
    )


def test_a_time_the_clocks_skip_does_not_exist():
    error = refusal("2027-03-28T01:30")
    assert error.message == (
        "28 March 2027 at 01:30 does not exist in Europe/London (the clocks go forward that "
        "night). Choose another time."
    )
    assert error.field == "lottery_local"
    assert (
        "does not exist in America/New_York"
        in refusal("2027-03-14T02:15", "America/New_York").message
    )


def test_a_time_the_clocks_repeat_is_ambiguous():
    assert refusal("2027-10-31T01:30").message == (
        "31 October 2027 at 01:30 happens twice in Europe/London (the clocks go back that "
        "night): choose a time outside that hour."
    )
    assert lottery_time("2027-10-31T00:59", "Europe/London", NOW).hour == 23  # still BST
    assert lottery_time("2027-10-31T02:00", "Europe/London", NOW).hour == 2  # GMT again


def test_it_must_be_at_least_an_hour_from_now():
    assert refusal("2027-01-10T12:59").message == LOTTERY_TOO_SOON
    assert LOTTERY_TOO_SOON == "Lottery time must be at least 1 hour from now"
    assert lottery_time("2027-01-10T13:00", "Europe/London", NOW) == NOW + timedelta(hours=1)
    # Compared in UTC: 13:30 in New York is 18:30 UTC, hours after noon UTC.
    assert lottery_time("2027-01-10T13:30", "America/New_York", NOW) > NOW


@pytest.mark.parametrize("text", ["", "tomorrow", "2027-02-30T10:00", "2027-03-15T15:00+01:00"])
def test_anything_but_a_day_and_a_time_is_refused(text):
    error = refusal(text)
    assert error.message.startswith("Give the lottery time as a day and a time")
    assert error.field == "lottery_local"


def test_an_unknown_zone_is_refused():
    assert refusal("2027-03-15T15:00", "Mars/Olympus").field == "timezone"

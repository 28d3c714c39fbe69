"""How the app writes counts and moments: one rule each."""

from __future__ import annotations

from datetime import UTC, datetime

from luckyclub.core.words import count, when, when_in_full

MOMENT = datetime(2026, 12, 5, 3, 47, 12, tzinfo=UTC)


def test_a_moment_is_written_one_way_always_with_its_zone():
    assert when(MOMENT) == "05 Dec 2026, 03:47 UTC"  # public pages
    assert when(MOMENT, "Europe/London") == "05 Dec 2026, 03:47 GMT"
    assert when(MOMENT, "America/New_York") == "04 Dec 2026, 22:47 EST"
    assert when(None) == ""


def test_a_count_agrees_with_its_number():
    assert count(1, "member") == "1 member"
    assert count(3, "member") == "3 members"
    assert count(1200, "entry", "entries") == "1,200 entries"


def test_a_moment_people_plan_around_is_written_in_full_with_that_dates_zone():
    assert when_in_full(datetime(2027, 3, 15, 15, 0, tzinfo=UTC), "Europe/London") == (
        "15 March 2027 at 15:00 GMT"
    )
    assert when_in_full(datetime(2027, 7, 5, 14, 0, tzinfo=UTC), "Europe/London") == (
        "5 July 2027 at 15:00 BST"
    )
    assert when_in_full(datetime(2027, 3, 28, 1, 30)) == "28 March 2027 at 01:30"  # wall clock
    assert when_in_full(None) == ""

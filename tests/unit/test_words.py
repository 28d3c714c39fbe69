"""How the app writes counts and moments: one rule each."""

from __future__ import annotations

from datetime import UTC, datetime

from luckyclub.core.words import count, when

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

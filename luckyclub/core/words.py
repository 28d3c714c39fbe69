"""How the app writes counts and moments for people: one rule each, so "1 members" and a line
mixing GMT and UTC cannot creep back in."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def count(number: int, noun: str, plural: str | None = None) -> str:
    """ "1 member", "3 members", "1,200 entries" (give `plural` when adding "s" is wrong)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


PUBLIC_ZONE = "UTC"  # public pages (no one's own zone) show times in UTC


def when(moment: datetime | None, zone: str = PUBLIC_ZONE) -> str:
    """The one way a moment is written for people: "05 Dec 2026, 03:47 GMT", always with its zone.

    Public pages pass nothing (UTC); a member's own pages pass the member's timezone, so one line
    never mixes two zones.
    """
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime("%d %b %Y, %H:%M %Z")


def when_in_full(moment: datetime | None, zone: str = PUBLIC_ZONE) -> str:
    """ "15 March 2027 at 15:00 GMT": a moment people plan around (a lottery's time, an offer's
    deadline), with the zone's abbreviation on that date (GMT in winter, BST in summer).

    A naive datetime is a wall-clock time already in its zone and is written without one
    ("28 March 2027 at 01:30"), for sentences that name the zone themselves.
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:
        return f"{moment.day} {moment:%B %Y at %H:%M}"
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%B %Y at %H:%M %Z}"

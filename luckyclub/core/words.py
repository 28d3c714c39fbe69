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

"""What a signup list's forms send, and the checks that turn it into values a list stores: typed
inputs (NewList, NewElement, ElementEdit, ListEdit), their limits, and the lottery time typed as a
wall clock in a timezone. Pure: no database. (lists.py re-exports them under its own name.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from luckyclub.core.errors import UserError
from luckyclub.core.words import when_in_full
from luckyclub.models import ListKind

LOTTERY_TOO_SOON = "Lottery time must be at least 1 hour from now"
LOTTERY_AHEAD = timedelta(hours=1)
MAX_ELEMENTS = 2000
MAX_SPOTS = 10_000
MAX_LIMIT = 1000


# ---- what a form sends -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewElement:
    """An event (a date, maybe a time "HH:MM" in the list's timezone, maybe a place; a name is
    optional) or an item (a name). Text as the form sent it, or typed values."""

    name: str = ""
    event_date: date | str | None = None  # "2027-03-15"
    event_time: time | str | None = None  # "10:00"
    place: str = ""
    spots: int | str = 1


@dataclass(frozen=True)
class ElementEdit(NewElement):
    """An element's new details (every field, as the edit form holds them)."""


@dataclass(frozen=True)
class NewList:
    title: str
    kind: str = ListKind.EVENTS
    elements: Sequence[NewElement] = ()
    description: str = ""
    per_member_limit: int | str | None = None  # None or "" for no limit
    waitlist: bool = False
    families_together: bool = False  # lottery lists only
    is_lottery: bool = False  # for good: never changes after creation
    lottery_local: str = ""  # "2027-03-15T15:00" in the creator's timezone
    editors: Sequence[str] = ()  # emails of accounts that may edit it too


@dataclass(frozen=True)
class ListEdit:
    """A list's options after creation (its kind and whether it is a lottery never change)."""

    title: str
    description: str = ""
    per_member_limit: int | str | None = None
    waitlist: bool = False
    families_together: bool = False


# ---- lottery time ------------------------------------------------------------------------------


def lottery_time(local: str, zone: str, now: datetime) -> datetime:
    """The UTC moment of a lottery time typed as a wall clock in `zone` ("2027-03-15T15:00"),
    at least 1 hour after `now`. A time the zone skips (clocks go forward) or has twice (clocks go
    back) is refused with a sentence naming it, rather than guessed."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError("Choose your timezone on your profile first.", field="timezone") from None
    try:
        wall = datetime.fromisoformat((local or "").strip())
    except ValueError:
        wall = None
    if wall is None or wall.tzinfo is not None:
        raise UserError(
            "Give the lottery time as a day and a time, like 2027-03-15T15:00.",
            field="lottery_local",
        )
    wall = wall.replace(second=0, microsecond=0)
    earlier, later = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if earlier.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise UserError(
            f"{when_in_full(wall)} does not exist in {zone} (the clocks go forward that night). "
            "Choose another time.",
            field="lottery_local",
        )
    if earlier.utcoffset() != later.utcoffset():
        raise UserError(
            f"{when_in_full(wall)} happens twice in {zone} (the clocks go back that night): "
            "choose a time outside that hour.",
            field="lottery_local",
        )
    moment = earlier.astimezone(UTC)
    if moment < now + LOTTERY_AHEAD:
        raise UserError(LOTTERY_TOO_SOON, field="lottery_local")
    return moment


# ---- checking what a form sent -----------------------------------------------------------------


def checked_text(title: str, description: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if not 3 <= len(title) <= 160:
        raise UserError("Give the list a title of 3 to 160 characters.", field="title")
    description = (description or "").strip()
    if len(description) > 4000:
        raise UserError("Keep the description under 4,000 characters.", field="description")
    return title, description


def checked_limit(value: int | str | None) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    number = _whole(value)
    if number is None or not 1 <= number <= MAX_LIMIT:
        raise UserError(
            f"The limit per family member is a whole number from 1 to {MAX_LIMIT}, or empty for "
            "no limit.",
            field="per_member_limit",
        )
    return number


@dataclass(frozen=True)
class _Details:
    """An element's checked details, as its row holds them."""

    name: str
    event_date: date | None
    event_time: time | None
    place: str
    spots: int


def checked_element(
    kind: str, element: NewElement, *, prefix: str = "", field: str = ""
) -> dict[str, Any]:
    def refuse(message: str, name: str) -> UserError:
        return UserError(prefix + message, field=field + name)

    name = " ".join((element.name or "").split())
    place = " ".join((element.place or "").split())
    if len(name) > 160:
        raise refuse("Keep the name under 160 characters.", "name")
    if len(place) > 160:
        raise refuse("Keep the place under 160 characters.", "place")
    spots = _whole(element.spots)
    if spots is None or not 1 <= spots <= MAX_SPOTS:
        raise refuse(f"Spots is a whole number from 1 to {MAX_SPOTS:,}.", "spots")
    if kind == ListKind.ITEMS:
        if not name:
            raise refuse("Give the item a name.", "name")
        return asdict(_Details(name, None, None, "", spots))
    day = _day(element.event_date)
    if day is None:
        raise refuse("Give the event's date, like 2027-03-15.", "event_date")
    try:
        at = _clock(element.event_time)
    except ValueError:
        raise refuse("Give the event's time like 18:30, or leave it empty.", "event_time") from None
    return asdict(_Details(name, day, at, place, spots))


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _day(value: date | str | None) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _clock(value: time | str | None) -> time | None:
    """A time of day, or None for none; ValueError for text that is not one."""
    if isinstance(value, time) or value is None:
        return value
    text = value.strip()
    return time.fromisoformat(text).replace(second=0, microsecond=0, tzinfo=None) if text else None

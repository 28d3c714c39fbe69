"""How the app writes counts for people: one rule, so "1 members" cannot creep back in."""

from __future__ import annotations


def count(number: int, noun: str, plural: str | None = None) -> str:
    """ "1 member", "3 members", "1,200 entries" (give `plural` when adding "s" is wrong)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"

"""A community's pages as the browser gets them: plain values built from the read models
(community/views.py), never a row. Times carry their zone: a period's in UTC (periods are UTC
months), a signed-in person's own rows in their profile's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def unix(moment: datetime | None) -> int:
    """Unix seconds, for a countdown that ticks in the browser (0: none)."""
    return int(moment.timestamp()) if moment is not None else 0


@dataclass
class SourceTotal:
    source: str = ""  # in words: "Chat time"
    tickets: int = 0


@dataclass
class LeaderRow:
    rank: int = 0
    name: str = ""  # a display name, or "Viewer #n" by the viewer's choice
    tickets: int = 0
    is_me: bool = False


@dataclass
class WinnerRow:
    period: str = ""  # "November 2026"
    name: str = ""
    tickets: int = 0
    odds: str = ""  # "40 of 55 tickets"
    proof_url: str = ""  # the draw's public page, with its proof


@dataclass
class LedgerRow:
    when: str = ""
    source: str = ""
    amount: str = ""  # "+10", "-15"
    reason: str = ""


@dataclass
class Fact:
    label: str = ""
    value: str = ""


@dataclass
class ClaimRow:
    id: int = 0
    account: str = ""  # the viewer's display name and email
    username: str = ""
    status: str = ""
    when: str = ""
    reason: str = ""


@dataclass
class GiftRow:
    id: int = 0
    when: str = ""
    gifter: str = ""
    giftees: int = 0
    tickets: int = 0
    reversed: bool = False
    reversed_words: str = ""  # "Reversed 05 Dec 2026, 14:00 UTC: payment failed"


@dataclass
class PollRow:
    when: str = ""
    ok: bool = False
    rows: int = 0
    credited: int = 0
    detail: str = ""


@dataclass
class ChatRow:
    viewer: str = ""
    minutes: int = 0  # chat-active minutes this period
    carried: int = 0  # minutes not yet worth a block of tickets


@dataclass
class ExclusionRow:
    kick_user_id: str = ""  # text: Kick ids may outgrow a JavaScript integer's exact range
    username: str = ""
    reason: str = ""
    when: str = ""


@dataclass
class AuditLine:
    when: str = ""
    actor: str = ""
    action: str = ""
    detail: str = ""


def signed(amount: int) -> str:
    return f"+{amount}" if amount > 0 else str(amount)


def slug_from_path(path: str) -> str:
    """The community's slug in /community/<slug>[/me|/moderate] ("" when there is none)."""
    parts = [part for part in (path or "").split("/") if part]
    if len(parts) < 2 or parts[0] != "community":
        return ""
    slug = parts[1][:40]
    return slug if slug.replace("-", "").replace("_", "").isalnum() else ""

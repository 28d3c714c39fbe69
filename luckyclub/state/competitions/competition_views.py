"""Competitions as the public pages show them: plain values for the browser, times in UTC (as on
every public page) with the zone named. Built from competitions/public.py; never a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from luckyclub.competitions import checkout, public
from luckyclub.competitions.catalogue import money
from luckyclub.components.layout import STATUS_COLOURS
from luckyclub.core import routes
from luckyclub.core.words import when

# How long a checkout holds its tickets, in words: "15 minutes".
HOLD_WORDS = f"{checkout.HOLD_FOR // timedelta(minutes=1)} minutes"
TABS = ("active", "upcoming", "ended", "drawn")
TAB_WORDS = {"active": "Active", "upcoming": "Upcoming", "ended": "Ended", "drawn": "Drawn"}
PHASE_WORDS = {
    "draft": "Draft",  # admins only
    "active": "On sale",
    "upcoming": "Coming soon",
    "ended": "Sales closed",
    "drawn": "Drawn",
    "cancelled": "Cancelled",
}


@dataclass
class CompetitionCard:
    # Field names avoid those of Reflex's object vars (length, to, entries, …).
    id: int = 0
    title: str = ""
    prize: str = ""
    image_url: str = ""
    price: str = ""
    price_pence: int = 0
    currency: str = "gbp"
    phase: str = ""
    phase_words: str = ""
    phase_colour: str = "gray"  # its badge's colour, from the palette every page uses
    starts: str = ""
    ends: str = ""
    draw_time: str = ""
    starts_ts: int = 0  # Unix seconds, for the countdowns
    ends_ts: int = 0
    tickets_left: int = 0
    percent: int = 0
    sold_words: str = ""  # "3 of 100 sold"
    closing_soon: bool = False
    sold_out: bool = False
    featured: bool = False
    url: str = ""


def card_view(card: public.Card) -> CompetitionCard:
    return CompetitionCard(
        id=card.id,
        title=card.title,
        prize=card.prize,
        image_url=routes.competition_image(card.id, card.image) if card.image else "",
        price=money(card.price_pence, card.currency),
        price_pence=card.price_pence,
        currency=card.currency,
        phase=card.phase,
        phase_words=PHASE_WORDS.get(card.phase, card.phase),
        phase_colour=STATUS_COLOURS.get(card.phase, "gray"),
        starts=when(card.starts_at),
        ends=when(card.ends_at),
        draw_time=when(card.draw_at),
        starts_ts=int(card.starts_at.timestamp()),
        ends_ts=int(card.ends_at.timestamp()),
        tickets_left=card.left,
        percent=card.percent,
        sold_words=f"{card.sold:,} of {card.max_tickets:,} sold",
        closing_soon=card.closing_soon,
        sold_out=card.sold_out,
        featured=card.featured,
        url=routes.competition_page(card.id),
    )


@dataclass
class WinnerCard:
    position: int = 1
    ticket: str = ""  # "Ticket 42", or "Chosen by an admin"
    name: str = ""  # "" until the winner is published
    published: bool = False
    mine: bool = False  # the viewer holds this winning ticket


def winner_cards(
    result: public.Result | None, my_numbers: tuple[int, ...] = ()
) -> list[WinnerCard]:
    if result is None:
        return []
    return [
        WinnerCard(
            position=w.position,
            ticket=f"Ticket {w.ticket:,}" if w.ticket is not None else "Chosen by an admin",
            name=w.name,
            published=w.published,
            mine=w.ticket is not None and w.ticket in my_numbers,
        )
        for w in result.winners
    ]

"""A competition's phase badge says the phase in words, coloured from the one status palette every
page uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from luckyclub.competitions.public import Card
from luckyclub.components.layout import STATUS_COLOURS
from luckyclub.state.competitions.competition_views import PHASE_WORDS, card_view

MOMENT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def card_in(phase: str) -> Card:
    return Card(
        id=7,
        title="Win a bike",
        prize="A bike",
        image="",
        price_pence=250,
        currency="gbp",
        phase=phase,
        starts_at=MOMENT,
        ends_at=MOMENT,
        draw_at=MOMENT,
        sold=3,
        max_tickets=100,
        left=97,
        percent=3,
        closing_soon=False,
        sold_out=False,
        featured=False,
    )


@pytest.mark.parametrize(
    ("phase", "words", "colour"),
    [
        ("upcoming", "Coming soon", "blue"),
        ("active", "On sale", "green"),
        ("ended", "Sales closed", "amber"),
        ("drawn", "Drawn", "green"),
        ("cancelled", "Cancelled", "red"),
        ("draft", "Draft", "gray"),
    ],
)
def test_the_phase_badge_says_the_phase_in_words_in_its_colour(phase, words, colour):
    view = card_view(card_in(phase))

    assert (view.phase_words, view.phase_colour) == (words, colour)
    assert STATUS_COLOURS[phase] == colour  # the palette every other status badge uses


def test_every_phase_has_words_and_a_colour_in_the_shared_palette():
    assert set(PHASE_WORDS) <= set(STATUS_COLOURS)
    assert card_view(card_in("unheard-of")).phase_colour == "gray"

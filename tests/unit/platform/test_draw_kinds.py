"""The wording of each kind of draw: chances with their plurals, winners' lines, announcements,
and a signup lottery's lines read from the engine's own lottery result."""

import json
from dataclasses import dataclass

import pytest

from luckyclub.draws import Element, LotteryDraw, draw_key, encode_lottery, run_draw
from luckyclub.draws.proof import result_to_dict
from luckyclub.draws.snapshot import (
    KINDS,
    LOTTERY,
    TICKETS,
    WEIGHTED,
    encode_tickets,
    encode_weighted,
)
from luckyclub.draws.winners import ElementResult
from luckyclub.models import Draw, DrawTrigger
from luckyclub.platform import draw_kinds
from luckyclub.platform.draw_kinds import LOTTERY_KIND, TICKET_KIND, WEIGHTED_KIND

ANN, BOB, CAT = "a" * 32, "b" * 32, "c" * 32


@dataclass
class Shown:
    """A winner as the public views name them."""

    name: str
    entrant_ref: str
    ticket: str = ""
    ticket_number: int | None = None


def test_every_kind_the_engine_draws_has_its_wording():
    assert set(draw_kinds.KINDS) == set(KINDS)
    assert draw_kinds.of(WEIGHTED) is WEIGHTED_KIND
    assert draw_kinds.of(TICKETS) is TICKET_KIND
    assert draw_kinds.of(LOTTERY) is LOTTERY_KIND


@pytest.mark.parametrize(
    ("kind", "number", "words"),
    [
        (WEIGHTED_KIND, 42, "42 entries"),
        (WEIGHTED_KIND, 1, "1 entry"),
        (WEIGHTED_KIND, 0, "0 entries"),
        (WEIGHTED_KIND, 4000, "4,000 entries"),
        (TICKET_KIND, 1, "1 ticket"),
        (TICKET_KIND, 3, "3 tickets"),
        (LOTTERY_KIND, 1, "1 entry"),
        (LOTTERY_KIND, 2, "2 entries"),
    ],
)
def test_chances_are_counted_with_the_right_plural(kind, number, words):
    assert kind.chances(number) == words


def test_each_kind_names_its_chances_for_headings_columns_and_the_reveal():
    assert (WEIGHTED_KIND.title, WEIGHTED_KIND.column, WEIGHTED_KIND.winning) == (
        "Entries",
        "Entry",
        "The winning entry",
    )
    assert (TICKET_KIND.title, TICKET_KIND.column, TICKET_KIND.winning) == (
        "Tickets",
        "Ticket",
        "The winning ticket",
    )
    assert TICKET_KIND.numbered and not WEIGHTED_KIND.numbered and not LOTTERY_KIND.numbered
    assert TICKET_KIND.check_label == "Your ticket number"
    assert WEIGHTED_KIND.check_label == "Your entrant ref"


def test_a_weighted_winner_is_the_drawn_entry_among_all():
    # The engine counts entries from 0; people count from 1.
    assert WEIGHTED_KIND.winner_line(11, total=4000, override=False) == "entry 12 of 4,000"
    assert WEIGHTED_KIND.drawn_number(11) == 12
    assert WEIGHTED_KIND.ticket_number(11) is None and WEIGHTED_KIND.ticket_words(11) == ""
    assert WEIGHTED_KIND.winner_line(None, total=4000, override=True) == (
        "chosen by an admin (manual override)"
    )


def test_a_ticket_winner_is_the_ticket_as_printed():
    assert TICKET_KIND.winner_line(42, total=100, override=False) == "Ticket 42"
    assert TICKET_KIND.winner_line(1234, total=5000, override=False) == "Ticket 1,234"
    assert TICKET_KIND.winner_line(42, total=100, override=True) == (
        "Ticket 42, named by an admin (manual override)"
    )
    assert TICKET_KIND.drawn_number(42) == TICKET_KIND.ticket_number(42) == 42
    assert TICKET_KIND.ticket_words(42) == "Ticket 42"


def test_what_an_entrant_holds_is_read_from_each_kinds_snapshot():
    weighted = encode_weighted([(ANN, 3), (BOB, 1)])
    tickets = encode_tickets([(1, ANN), (2, BOB), (3, ANN)])
    lottery = encode_lottery([("Swimming", ANN), ("Tennis", ANN), ("Tennis", BOB)])
    assert [WEIGHTED_KIND.held(weighted, ref) for ref in (ANN, BOB, CAT)] == [3, 1, 0]
    assert [TICKET_KIND.held(tickets, ref) for ref in (ANN, BOB, CAT)] == [2, 1, 0]
    assert [LOTTERY_KIND.held(lottery, ref) for ref in (ANN, BOB, CAT)] == [2, 1, 0]
    for kind, snapshot in ((WEIGHTED_KIND, weighted), (TICKET_KIND, tickets)):
        assert kind.holds(snapshot, BOB) and not kind.holds(snapshot, CAT)
    assert LOTTERY_KIND.holds(lottery, BOB) and not LOTTERY_KIND.holds(lottery, CAT)


def drawn(kind: str, **fields) -> Draw:
    terms = {"title": "May raffle", "prize": "A bike", "entrant_count": 2, "entry_count": 4}
    return Draw(mode="raffle", source_id=1, pool_id="raffle-1", kind=kind, **terms | fields)


def test_a_weighted_announcement_gives_the_winners_odds():
    draw = drawn(WEIGHTED, trigger=DrawTrigger.SCHEDULED)
    snapshot = encode_weighted([(ANN, 3), (BOB, 1)])
    lines = WEIGHTED_KIND.announcement(draw, snapshot, [Shown("Member #7", BOB, "entry 4 of 4", 4)])
    assert lines == [
        "🎉 May raffle: the winner of A bike is…",
        "Member #7! Winning entry 4 of 4, among 2 participants. They held 1 entry: a 25.00 % "
        "chance.",
    ]


def test_a_ticket_announcement_headlines_the_ticket():
    draw = drawn(TICKETS, trigger=DrawTrigger.SCHEDULED, entry_count=3)
    snapshot = encode_tickets([(1, ANN), (2, BOB), (3, ANN)])
    lines = TICKET_KIND.announcement(draw, snapshot, [Shown("Ann", ANN, "Ticket 3", 3)])
    assert (
        lines[1]
        == "Ticket 3 won A bike! Ann held 2 of the 3 tickets in the draw: a 66.67 % chance."
    )
    override = drawn(TICKETS, trigger=DrawTrigger.OVERRIDE, reason="Drawn live on stream")
    assert TICKET_KIND.announcement(override, snapshot, [Shown("Ann", ANN, "", 3)])[1] == (
        "Ticket 3 won (Ann). It was chosen by an admin, not by the random draw: "
        "Drawn live on stream."
    )


def test_a_lottery_writes_each_element_with_its_winners_and_waitlist():
    swimming = ElementResult("Swimming, Saturday 10:00", (ANN, BOB), (CAT,))
    names = {ANN: "Ann", BOB: "Bob", CAT: "Cat"}.get
    assert LOTTERY_KIND.element_line(swimming, names) == (
        "Swimming, Saturday 10:00: Ann, Bob; waitlist: 1. Cat"
    )
    assert LOTTERY_KIND.element_line(ElementResult("Chess", (), ()), names) == "Chess: no winners"
    line = LOTTERY_KIND.winner_line(None, total=3, override=False, element=swimming.name)
    assert line == "Swimming, Saturday 10:00"
    assert (
        LOTTERY_KIND.waitlist_line(swimming.name, 2) == "Swimming, Saturday 10:00: waitlist place 2"
    )
    assert LOTTERY_KIND.drawn_number(None) is None


def test_a_lottery_announcement_reads_the_engines_lottery_result():
    snapshot = encode_lottery([("Swimming, Saturday 10:00", ref) for ref in (ANN, BOB, CAT)])
    parameters = LotteryDraw(elements=(Element("Swimming, Saturday 10:00", 1),))
    result = run_draw(draw_key(b"\x01" * 32, None), snapshot, parameters)
    (element,) = result.elements
    draw = drawn(LOTTERY, result=json.dumps([{"result": result_to_dict(result)}]))
    winner = Shown("Member #1", element.winners[0])
    lines = LOTTERY_KIND.announcement(draw, snapshot, [winner])
    assert lines[0] == "🎉 May raffle: the lottery for A bike is drawn!"
    assert lines[1] == (
        "Swimming, Saturday 10:00: Member #1; waitlist: 1. an entrant, 2. an entrant"
    )


def test_each_mode_is_called_what_its_pool_says():
    from luckyclub import modes  # noqa: F401 - registers every mode's pool
    from luckyclub.platform import draws

    assert draws.mode_title("raffle") == "Club raffle"
    assert draws.mode_title("competition") == "Prize competition"
    assert draws.mode_title("unknown") == "unknown"  # a mode without a pool is shown as stored

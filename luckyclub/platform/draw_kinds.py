"""How each kind of draw is written for people: an entrant's chances, a winner's line, the unit of a
chance, the announcement. One object per snapshot kind of the engine (weighted, tickets, lottery);
the lifecycle and the public views ask it rather than branch on the kind."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from luckyclub.core.words import count
from luckyclub.draws.snapshot import LOTTERY, TICKETS, WEIGHTED
from luckyclub.draws.winners import ElementResult
from luckyclub.models import Draw, DrawTrigger
from luckyclub.platform import draws

CHOSEN_BY_ADMIN = "chosen by an admin (manual override)"


class Announced(Protocol):
    """A winner as an announcement names them (draw_public's WinnerView, which is frozen: so the
    fields are read-only here)."""

    @property
    def name(self) -> str: ...

    @property
    def entrant_ref(self) -> str: ...

    @property
    def ticket(self) -> str:
        """The winner's line: "entry 12 of 4,000", "Ticket 42"."""
        ...

    @property
    def ticket_number(self) -> int | None: ...


@dataclass(frozen=True)
class Kind:
    """What every kind says; each kind below fills in its own words."""

    name: str  # the engine's snapshot kind
    unit: str  # one chance: "entry", "ticket"
    units: str  # "entries", "tickets"
    # Chances are numbered tickets people know by their number: a winner is headlined by it, an
    # entrant looks one up by it, an admin may name one in an override.
    numbered: bool = False
    ref_column: int = 0  # the field of a snapshot line that holds the entrant ref
    check_hint: str = (
        "Your entrant ref is on your dashboard. We look it up in the published snapshot and check "
        "its Merkle proof against the root above."
    )
    check_label: str = "Your entrant ref"
    check_placeholder: str = "32 characters, 0-9 and a-f"
    check_input_mode: str = "text"  # the phone keyboard for it
    # Why an admin may not name a winner (override) or draw a replacement (reroll); "" if they may.
    no_manual_winners: str = ""

    def chances(self, number: int) -> str:
        """ "42 entries", "1 entry", "3 tickets"."""
        return count(number, self.unit, self.units)

    @property
    def title(self) -> str:
        """The chances as a heading or a column: "Entries", "Tickets"."""
        return self.units.capitalize()

    @property
    def column(self) -> str:
        """The winners table's column for what each winner won with: "Entry", "Ticket"."""
        return self.unit.capitalize()

    @property
    def winning(self) -> str:
        """What the live reveal shows first: "The winning entry", "The winning ticket"."""
        return f"The winning {self.unit}"

    def drawn_number(self, ticket: int | None) -> int | None:
        """The winning chance as people count it (from 1), for the reveal; None if it has none."""
        return ticket

    def ticket_number(self, ticket: int | None) -> int | None:
        """The number printed on the winner's ticket; None for kinds without numbered tickets."""
        return None

    def ticket_words(self, ticket: int | None) -> str:
        """The winner's ticket for an admin's list ("Ticket 42"), "" for kinds without them."""
        number = self.ticket_number(ticket)
        return "" if number is None else f"Ticket {number:,}"

    def winner_line(
        self, ticket: int | None, *, total: int, override: bool, element: str = ""
    ) -> str:
        """What the winner won with, as the draw's pages write it: `ticket` is the engine's
        (None when an admin named the winner without one), `total` the chances in the draw,
        `element` a lottery's element the winner got a spot in."""
        raise NotImplementedError

    def held(self, snapshot: bytes, ref: str) -> int:
        """The chances an entrant holds in a snapshot (one per line of theirs)."""
        return snapshot.count(f"\t{ref}\n".encode())

    def holds(self, snapshot: bytes, ref: str) -> bool:
        """Is the entrant in the snapshot at all (only an entrant can win)?"""
        return self.held(snapshot, ref) > 0

    def heading(self, draw: Draw) -> str:
        """The announcement's first line."""
        return f"🎉 {draw.title}: the winner of {draw.prize} is…"

    def announce(self, draw: Draw, winner: Announced, held: int) -> str:
        """One winner's line in the announcement."""
        raise NotImplementedError

    def announcement(self, draw: Draw, snapshot: bytes, winners: Sequence[Announced]) -> list[str]:
        """The announcement's lines before the proof link: the heading, then each winner."""
        return [self.heading(draw)] + [
            self.announce(draw, w, self.held(snapshot, w.entrant_ref)) for w in winners
        ]


def _odds(held: int, total: int) -> str:
    return f"{held / total * 100 if total else 0:.2f} %"


@dataclass(frozen=True)
class WeightedKind(Kind):
    """A pool of weighted entries (a club raffle): one line per member, with the entries held."""

    def drawn_number(self, ticket: int | None) -> int | None:
        return None if ticket is None else ticket + 1  # the engine counts entries from 0

    def winner_line(
        self, ticket: int | None, *, total: int, override: bool, element: str = ""
    ) -> str:
        """The drawn entry among all ("entry 12 of 4,000"): a raffle has entries, not tickets."""
        if ticket is None:
            return CHOSEN_BY_ADMIN
        return f"entry {self.drawn_number(ticket):,} of {total:,}"

    def held(self, snapshot: bytes, ref: str) -> int:
        marker = f"{ref}\t".encode()
        start = 0 if snapshot.startswith(marker) else snapshot.find(b"\n" + marker) + 1
        if start == 0 and not snapshot.startswith(marker):
            return 0
        return int(snapshot[start + len(marker) : snapshot.index(b"\n", start)])

    def announce(self, draw: Draw, winner: Announced, held: int) -> str:
        if draw.trigger == DrawTrigger.OVERRIDE:
            return f"{winner.name} (chosen by an admin: {draw.reason})."
        return (
            f"{winner.name}! Winning {winner.ticket}, among {draw.entrant_count:,} participants. "
            f"They held {self.chances(held)}: a {_odds(held, draw.entry_count)} chance."
        )


@dataclass(frozen=True)
class TicketKind(Kind):
    """Numbered tickets (a prize competition): the winner is a ticket, its number printed on it."""

    def ticket_number(self, ticket: int | None) -> int | None:
        return ticket

    def winner_line(
        self, ticket: int | None, *, total: int, override: bool, element: str = ""
    ) -> str:
        if ticket is None:
            return CHOSEN_BY_ADMIN
        if override:
            return f"Ticket {ticket:,}, named by an admin (manual override)"
        return f"Ticket {ticket:,}"

    def heading(self, draw: Draw) -> str:
        return f"🎉 {draw.title}: the draw for {draw.prize} is done!"

    def announce(self, draw: Draw, winner: Announced, held: int) -> str:
        """ "Ticket 42 won …", with how many of the tickets the winner held."""
        number = f"Ticket {winner.ticket_number:,}"
        if draw.trigger == DrawTrigger.OVERRIDE:
            return (
                f"{number} won ({winner.name}). It was chosen by an admin, not by the random "
                f"draw: {draw.reason}."
            )
        return (
            f"{number} won {draw.prize}! {winner.name} held {held:,} of the "
            f"{self.chances(draw.entry_count)} in the draw: a {_odds(held, draw.entry_count)} "
            "chance."
        )


@dataclass(frozen=True)
class LotteryKind(Kind):
    """A signup lottery: one entry per member per element (an event or an item); each element
    has its winners and a waitlist in drawn order. Its lines read the engine's LotteryResult."""

    def drawn_number(self, ticket: int | None) -> int | None:
        return None  # winners are drawn per element, not as one numbered chance

    def winner_line(
        self, ticket: int | None, *, total: int, override: bool, element: str = ""
    ) -> str:
        """The element the winner got a spot in: "Swimming, Saturday 10:00"."""
        if override:
            return f"{element}, named by an admin (manual override)" if element else CHOSEN_BY_ADMIN
        return element

    def waitlist_line(self, element: str, place: int) -> str:
        """ "Swimming, Saturday 10:00: waitlist place 2"."""
        return f"{element}: waitlist place {place:,}"

    def element_line(self, element: ElementResult, name_of: Callable[[str], str]) -> str:
        """One element's result: its winners, then its waitlist in order."""
        winners = ", ".join(map(name_of, element.winners)) or "no winners"
        line = f"{element.name}: {winners}"
        if element.waitlist:
            waiting = ", ".join(
                f"{place}. {name_of(ref)}" for place, ref in enumerate(element.waitlist, start=1)
            )
            line += f"; waitlist: {waiting}"
        return line

    def heading(self, draw: Draw) -> str:
        return f"🎉 {draw.title}: the lottery for {draw.prize} is drawn!"

    def announcement(self, draw: Draw, snapshot: bytes, winners: Sequence[Announced]) -> list[str]:
        names = {w.entrant_ref: w.name for w in winners}
        result = draws.runs_of(draw)[0]["result"]
        elements = [
            ElementResult(e["name"], tuple(e["winners"]), tuple(e["waitlist"]))
            for e in result["elements"]
        ]
        return [self.heading(draw)] + [
            self.element_line(e, lambda ref: names.get(ref, "an entrant")) for e in elements
        ]


WEIGHTED_KIND = WeightedKind(WEIGHTED, "entry", "entries")
TICKET_KIND = TicketKind(
    TICKETS,
    "ticket",
    "tickets",
    numbered=True,
    ref_column=1,
    check_hint=(
        "Your ticket numbers are on the competition's page. We look a ticket up in the published "
        "snapshot and check its Merkle proof against the root above."
    ),
    check_label="Your ticket number",
    check_placeholder="like 42",
    check_input_mode="numeric",
)
LOTTERY_KIND = LotteryKind(
    LOTTERY,
    "entry",
    "entries",
    ref_column=1,
    check_hint=(
        "Your entrant ref is on the list's page, one per family member. We look up its entries in "
        "the published snapshot and check their Merkle proof against the root above."
    ),
    no_manual_winners=(
        "A signup lottery's spots go to the people its draw picked: an admin cannot name or "
        "reroll a winner. A spot its winner does not accept is offered down the waitlist."
    ),
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in (WEIGHTED_KIND, TICKET_KIND, LOTTERY_KIND)}


def of(name: str) -> Kind:
    """The wording of a snapshot kind (a draw's `kind`, a proof's "kind")."""
    return KINDS[name]


class _Drawn(Protocol):
    """A draw or its public view: what says how it is worded."""

    @property
    def mode(self) -> str: ...

    @property
    def kind(self) -> str: ...


# A mode whose people count their chances in other words than its kind's ("tickets" in a
# community raffle, a weighted pool like the club's entries) registers its own wording.
_by_mode: dict[str, Kind] = {}


def register_mode(mode: str, kind: Kind) -> None:
    if kind.name not in KINDS:
        raise ValueError(f"{kind.name!r} is not a snapshot kind")
    _by_mode[mode] = kind


def for_draw(draw: _Drawn) -> Kind:
    """How a draw is worded: its mode's own words if it has them, else its kind's."""
    found = _by_mode.get(draw.mode)
    return found if found is not None and found.name == draw.kind else KINDS[draw.kind]

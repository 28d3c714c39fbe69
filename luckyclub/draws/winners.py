"""Picking winners from a snapshot's entries with the draw key: weighted pools, numbered tickets,
and signup lotteries. Pure functions; the same key and entries always give the same winners.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from luckyclub.draws.snapshot import (
    SnapshotError,
    lottery_pairs,
    ticket_columns,
    valid_field,
    weighted_columns,
)
from luckyclub.draws.stream import RandomStream, context_label

MAX_TICKETS = 2**64  # below(n) draws from at most 2^64 values


@dataclass(frozen=True)
class Winner:
    """A winning ticket and its entrant. In a weighted pool `ticket` is the winning ticket index in
    [0, total weight); in a ticket pool it is the ticket's number."""

    ticket: int
    entrant: str


@dataclass(frozen=True)
class WeightedResult:
    total_weight: int
    winners: tuple[Winner, ...]

    @property
    def entrants(self) -> tuple[str, ...]:
        return tuple(winner.entrant for winner in self.winners)


@dataclass(frozen=True)
class TicketResult:
    winners: tuple[Winner, ...]

    @property
    def entrants(self) -> tuple[str, ...]:
        return tuple(winner.entrant for winner in self.winners)


@dataclass(frozen=True)
class Element:
    """One event or item of a signup lottery and how many spots it has."""

    name: str
    spots: int


@dataclass(frozen=True)
class ElementResult:
    name: str
    winners: tuple[str, ...]
    waitlist: tuple[str, ...]


@dataclass(frozen=True)
class LotteryResult:
    elements: tuple[ElementResult, ...]


def draw_weighted(
    key: bytes,
    entries: Iterable[tuple[str, int]],
    winners: int,
    *,
    distinct_entrants: bool = True,
    exclude: Collection[str] = (),
    reroll: int = 0,
) -> WeightedResult:
    """Winners of a weighted pool: each entrant owns `weight` consecutive tickets, in ref order.

    With distinct entrants, each winner's whole weight leaves the pool before the next draw;
    without, distinct tickets are drawn and an entrant may win more than once. Excluded entrants
    leave the pool before the first draw. Fewer eligible entrants (or tickets) than `winners`: all
    of them win, in drawn order.
    """
    refs, weights = weighted_columns(entries)
    return draw_weighted_columns(
        key,
        refs,
        weights,
        winners,
        distinct_entrants=distinct_entrants,
        exclude=exclude,
        reroll=reroll,
    )


def draw_weighted_columns(
    key: bytes,
    refs: list[str],
    weights: list[int],
    winners: int,
    *,
    distinct_entrants: bool = True,
    exclude: Collection[str] = (),
    reroll: int = 0,
) -> WeightedResult:
    """draw_weighted on entries already in canonical order and checked (see weighted_columns)."""
    _check_count(winners)
    ends = list(accumulate(weights))
    total = ends[-1] if ends else 0
    if total > MAX_TICKETS:
        raise SnapshotError(f"The pool holds {total} tickets; at most 2^64 can be drawn from.")
    removed = sorted({_position(refs, ref, "entrant") for ref in exclude})
    remaining = total - sum(weights[i] for i in removed)
    stream = RandomStream(key, context_label(reroll))

    def owner(reduced_ticket: int) -> Winner:
        ticket = _skip_removed(reduced_ticket, removed, ends, weights)
        return Winner(ticket=ticket, entrant=refs[bisect_right(ends, ticket)])

    chosen = []
    if distinct_entrants:
        for _ in range(min(winners, len(refs) - len(removed))):
            winner = owner(stream.below(remaining))
            chosen.append(winner)
            index = bisect_right(ends, winner.ticket)
            insort(removed, index)
            remaining -= weights[index]
    else:
        chosen = [owner(t) for t in stream.sample(remaining, min(winners, remaining))]
    return WeightedResult(total_weight=total, winners=tuple(chosen))


def draw_tickets(
    key: bytes,
    entries: Iterable[tuple[int, str]],
    winners: int,
    *,
    distinct_owners: bool = False,
    exclude: Collection[int] = (),
    reroll: int = 0,
) -> TicketResult:
    """Winning tickets of a numbered pool, each ticket equally likely, no ticket twice.

    With distinct owners, a drawn ticket whose owner already won is passed over (the draw goes on
    with the next Fisher–Yates step), and the owners of excluded tickets cannot win.
    """
    numbers, owners = ticket_columns(entries)
    return draw_tickets_columns(
        key,
        numbers,
        owners,
        winners,
        distinct_owners=distinct_owners,
        exclude=exclude,
        reroll=reroll,
    )


def draw_tickets_columns(
    key: bytes,
    numbers: list[int],
    owners: list[str],
    winners: int,
    *,
    distinct_owners: bool = False,
    exclude: Collection[int] = (),
    reroll: int = 0,
) -> TicketResult:
    """draw_tickets on tickets already in canonical order and checked (see ticket_columns)."""
    _check_count(winners)
    excluded = {_position(numbers, number, "ticket") for number in exclude}
    barred = {owners[p] for p in excluded} if distinct_owners else set()
    candidates: Sequence[int] = range(len(numbers))
    if excluded or barred:
        candidates = [p for p in candidates if p not in excluded and owners[p] not in barred]
    stream = RandomStream(key, context_label(reroll))
    order = (candidates[i] for i in stream.permutation(len(candidates)))

    chosen: list[Winner] = []
    if distinct_owners:
        wanted = min(winners, len({owners[p] for p in candidates}))
        won: set[str] = set()
        while len(chosen) < wanted:
            position = next(order)
            if owners[position] not in won:
                won.add(owners[position])
                chosen.append(Winner(ticket=numbers[position], entrant=owners[position]))
    else:
        for _ in range(min(winners, len(candidates))):
            position = next(order)
            chosen.append(Winner(ticket=numbers[position], entrant=owners[position]))
    return TicketResult(winners=tuple(chosen))


def draw_lottery(
    key: bytes,
    elements: Sequence[Element],
    entries: Iterable[tuple[str, str]],
    *,
    per_member_limit: int | None = None,
    waitlist: bool = True,
) -> LotteryResult:
    """Winners and a shuffled waitlist for each element, elements taken in the order given.

    For each element: its entrants (ref order) who have not yet won `per_member_limit` spots in this
    lottery are eligible; min(spots, eligible) of them win by partial Fisher–Yates; then everyone
    else who entered the element — including members at their limit — is shuffled onto the waitlist.
    All from one stream, in that order.
    """
    _check_elements(elements)
    if per_member_limit is not None and (type(per_member_limit) is not int or per_member_limit < 1):
        raise ValueError("A per-member limit is a whole number ≥ 1, or None for no limit.")
    entrants: dict[str, list[str]] = {element.name: [] for element in elements}
    for name, ref in lottery_pairs(entries):
        if name not in entrants:
            raise SnapshotError(f"Lottery entry for {name!r}, which is not one of the elements.")
        entrants[name].append(ref)

    stream = RandomStream(key, context_label(0))
    wins: Counter[str] = Counter()
    results = []
    for element in elements:
        refs = entrants[element.name]
        eligible = [r for r in refs if per_member_limit is None or wins[r] < per_member_limit]
        picked = stream.sample(len(eligible), min(element.spots, len(eligible)))
        element_winners = tuple(eligible[i] for i in picked)
        wins.update(element_winners)
        queue: tuple[str, ...] = ()
        if waitlist:
            won = set(element_winners)
            rest = [r for r in refs if r not in won]
            queue = tuple(rest[i] for i in stream.sample(len(rest), len(rest)))
        results.append(ElementResult(element.name, element_winners, queue))
    return LotteryResult(elements=tuple(results))


def _skip_removed(ticket: int, removed: list[int], ends: list[int], weights: list[int]) -> int:
    """The `ticket`-th ticket (0-based) of entrants not removed, as an index over all tickets."""
    for index in removed:  # ascending, so ascending start of their tickets
        if ends[index] - weights[index] > ticket:
            break
        ticket += weights[index]
    return ticket


def _position(sorted_values: list, value: object, what: str) -> int:
    position = bisect_left(sorted_values, value)
    if position == len(sorted_values) or sorted_values[position] != value:
        raise ValueError(f"Cannot exclude {what} {value!r}: it is not in the pool.")
    return position


def _check_count(winners: int) -> None:
    if type(winners) is not int or winners < 0:
        raise ValueError("The number of winners is a whole number, 0 or more.")


def _check_elements(elements: Sequence[Element]) -> None:
    names = set()
    for element in elements:
        if not valid_field(element.name) or element.name in names:
            raise ValueError(
                "Element names must be unique, non-empty and without control characters; "
                f"{element.name!r} is not."
            )
        if type(element.spots) is not int or element.spots < 0:
            raise ValueError(
                f"Element {element.name!r} has {element.spots!r} spots; spots are ≥ 0."
            )
        names.add(element.name)

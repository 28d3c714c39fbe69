"""Picking winners from a snapshot's entries with the draw key: weighted pools, numbered tickets,
and signup lotteries. Pure functions; the same key and entries always give the same winners.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
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


# Family members entered together for one element: (element name, their refs, ascending).
Group = tuple[str, tuple[str, ...]]


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
    groups: Sequence[Group] = (),
) -> LotteryResult:
    """Winners and a shuffled waitlist for each element, elements taken in the order given.

    For each element: each group of members entered together is one unit, every other entrant a
    unit of one; members who have won `per_member_limit` spots in this lottery are set aside. Units
    are taken by level, fewest earlier wins first, each level in a partial Fisher–Yates order; a
    unit wins when all its members fit in the spots left, else it is passed over. Then everyone
    else who entered the element — set-aside members included — is shuffled onto the waitlist, a
    group's members side by side. All from one stream, in that order (docs/fairness.md).
    """
    _check_elements(elements)
    if per_member_limit is not None and (type(per_member_limit) is not int or per_member_limit < 1):
        raise ValueError("A per-member limit is a whole number ≥ 1, or None for no limit.")
    entrants: dict[str, list[str]] = {element.name: [] for element in elements}
    for name, ref in lottery_pairs(entries):
        if name not in entrants:
            raise SnapshotError(f"Lottery entry for {name!r}, which is not one of the elements.")
        entrants[name].append(ref)
    together = _lottery_groups(groups, entrants)

    stream = RandomStream(key, context_label(0))
    wins: dict[str, int] = {}  # spots won earlier in this run: nobody holds one before it
    results = []
    for element in elements:
        units = _units(entrants[element.name], together.get(element.name, {}))
        won = _unit_winners(stream, units, element.spots, wins, per_member_limit)
        for ref in won:
            wins[ref] = wins.get(ref, 0) + 1
        queue: tuple[str, ...] = ()
        if waitlist:
            winners = set(won)
            rest = [left for unit in units if (left := _without(unit, winners))]
            queue = tuple(ref for i in stream.permutation(len(rest)) for ref in rest[i])
        results.append(ElementResult(element.name, tuple(won), queue))
    return LotteryResult(elements=tuple(results))


def _lottery_groups(
    groups: Sequence[Group], entrants: dict[str, list[str]]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Each element's groups, by member: checked against the rules of docs/fairness.md."""
    together: dict[str, dict[str, tuple[str, ...]]] = {}
    entered: dict[str, set[str]] = {}
    previous: tuple[str, str] | None = None
    for group in groups:
        try:
            element, members = group
            if isinstance(members, str):
                raise TypeError
            refs = tuple(members)
        except (TypeError, ValueError):
            raise ValueError(f"A group is (element, tuple of refs); {group!r} is not.") from None
        if not isinstance(element, str) or element not in entrants:
            raise ValueError(f"A group is for {element!r}, which is not one of the elements.")
        if not all(isinstance(ref, str) for ref in refs):
            raise ValueError(f"A group of {element!r} has a ref that is not text: {refs!r}.")
        if len(refs) < 2:
            raise ValueError(f"A group of {element!r} needs 2 or more members, not {len(refs)}.")
        if any(a >= b for a, b in zip(refs, refs[1:], strict=False)):
            raise ValueError(
                f"The refs of a group of {element!r} are not in ascending order without repeats: "
                f"{list(refs)!r}."
            )
        if element not in entered:
            entered[element] = set(entrants[element])
        by_member = together.setdefault(element, {})
        for ref in refs:
            if ref not in entered[element]:
                raise SnapshotError(f"Group member {ref!r} has no entry for {element!r}.")
            if ref in by_member:
                raise ValueError(
                    f"{ref!r} is in two groups of {element!r}; a member is in one group at most."
                )
            by_member[ref] = refs
        if previous is not None and (element, refs[0]) < previous:
            raise ValueError(
                "Groups are not sorted by element, then first ref: "
                f"({element!r}, {refs[0]!r}) comes after {previous!r}."
            )
        previous = (element, refs[0])
    return together


def _units(refs: list[str], grouped: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    """An element's units in canonical order (by first ref): its groups, and each other entrant."""
    if not grouped:
        return [(ref,) for ref in refs]
    units: list[tuple[str, ...]] = []
    for ref in refs:
        group = grouped.get(ref)
        if group is None:
            units.append((ref,))
        elif group[0] == ref:
            units.append(group)
    return units


def _unit_winners(
    stream: RandomStream,
    units: list[tuple[str, ...]],
    spots: int,
    wins: dict[str, int],
    limit: int | None,
) -> list[str]:
    """An element's winners: units by level (fewest earlier wins first), each level walked in a
    lazy Fisher–Yates order until the spots run out; a unit too big for the spots left is passed
    over. One step of the stream's permutation per unit examined, none once the spots are gone."""
    levels: dict[int, list[tuple[str, ...]]] = {}
    for unit in units:
        if limit is not None:
            unit = tuple(ref for ref in unit if wins.get(ref, 0) < limit)
            if not unit:
                continue
        level = max(wins.get(ref, 0) for ref in unit)
        levels.setdefault(level, []).append(unit)
    won: list[str] = []
    left = spots
    for level in sorted(levels):
        candidates = levels[level]
        order = stream.permutation(len(candidates))
        for _ in candidates:
            if left == 0:
                return won
            unit = candidates[next(order)]
            if len(unit) <= left:
                won.extend(unit)
                left -= len(unit)
    return won


def _without(unit: tuple[str, ...], winners: set[str]) -> tuple[str, ...]:
    if len(unit) == 1:
        return () if unit[0] in winners else unit
    return tuple(ref for ref in unit if ref not in winners)


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

"""Winners of weighted pools, numbered tickets and signup lotteries."""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from luckyclub.draws import (
    Element,
    ElementResult,
    RandomStream,
    SnapshotError,
    draw_lottery,
    draw_tickets,
    draw_weighted,
)
from luckyclub.draws.stream import context_label

keys = st.binary(min_size=32, max_size=32)
names = st.text(alphabet="abcdefghij", min_size=1, max_size=3)
weighted_pools = st.dictionaries(names, st.integers(1, 20), min_size=1, max_size=15)
ticket_pools = st.dictionaries(st.integers(1, 500), st.sampled_from("abcdef"), max_size=40)

# No example database written to disk; no deadline, as the machine may be busy.
examples = settings(database=None, deadline=None)


def key_for(i: int) -> bytes:
    return hashlib.sha256(f"key {i}".encode()).digest()


def ranges(pool: dict[str, int]) -> dict[str, range]:
    refs = sorted(pool)
    ends = list(accumulate(pool[r] for r in refs))
    return {r: range(end - pool[r], end) for r, end in zip(refs, ends, strict=True)}


# Weighted pools


@examples
@given(keys, weighted_pools, st.integers(0, 20), st.booleans())
def test_weighted_draws_are_reproducible_whatever_the_entry_order(key, pool, winners, distinct):
    entries = list(pool.items())
    first = draw_weighted(key, entries, winners, distinct_entrants=distinct)
    again = draw_weighted(key, reversed(entries), winners, distinct_entrants=distinct)
    assert first == again
    assert first.total_weight == sum(pool.values())


@examples
@given(keys, weighted_pools, st.integers(0, 20))
def test_with_distinct_entrants_no_entrant_wins_twice(key, pool, winners):
    result = draw_weighted(key, pool.items(), winners)
    owned = ranges(pool)

    assert len(result.winners) == min(winners, len(pool))
    assert len(set(result.entrants)) == len(result.winners)
    assert all(w.ticket in owned[w.entrant] for w in result.winners)


@examples
@given(keys, weighted_pools, st.integers(0, 40))
def test_without_distinct_entrants_tickets_are_distinct_and_owned(key, pool, winners):
    result = draw_weighted(key, pool.items(), winners, distinct_entrants=False)
    owned = ranges(pool)

    assert len(result.winners) == min(winners, sum(pool.values()))
    assert len({w.ticket for w in result.winners}) == len(result.winners)
    assert all(w.ticket in owned[w.entrant] for w in result.winners)


@examples
@given(keys, st.integers(1, 10**15))
def test_an_entrant_with_all_the_weight_always_wins(key, weight):
    result = draw_weighted(key, [("only", weight)], 3)
    assert result.entrants == ("only",)


def test_a_zero_weight_is_never_accepted():
    with pytest.raises(SnapshotError):
        draw_weighted(key_for(0), [("ann", 0), ("bob", 5)], 1)


def test_first_winners_follow_the_weights():
    pool = {"a": 1, "b": 2, "c": 3, "d": 5, "e": 7, "f": 11}  # total 29
    counts = Counter(draw_weighted(key_for(i), pool.items(), 1).entrants[0] for i in range(8_700))
    total = sum(pool.values())
    expected = [8_700 * w / total for w in pool.values()]
    assert chisquare([counts[r] for r in pool], expected).pvalue > 0.01


def test_second_winners_follow_the_weights_left_once_the_first_is_removed():
    pool = {"a": 1, "b": 3, "c": 6}
    total = sum(pool.values())
    # P(second = j) = Σ_i P(first = i) · w_j / (W − w_i)
    p_second = {
        j: sum(pool[i] / total * pool[j] / (total - pool[i]) for i in pool if i != j) for j in pool
    }
    draws = 6_000
    counts = Counter(draw_weighted(key_for(i), pool.items(), 2).entrants[1] for i in range(draws))
    assert chisquare([counts[j] for j in pool], [draws * p_second[j] for j in pool]).pvalue > 0.01


def test_the_removal_rule_maps_a_ticket_past_removed_entrants():
    # Replaying the stream by hand: winner 2 is the (below(W − w1))-th ticket of the others.
    pool = [("a", 4), ("b", 4), ("c", 4)]
    for i in range(50):
        key = key_for(i)
        result = draw_weighted(key, pool, 2)
        stream = RandomStream(key, context_label(0))
        first = stream.below(12)
        second = stream.below(8)
        assert result.winners[0].ticket == first
        removed_start = first // 4 * 4
        assert result.winners[1].ticket == (second if second < removed_start else second + 4)


@examples
@given(keys, weighted_pools, st.data())
def test_excluded_entrants_never_win_and_a_reroll_has_its_own_stream(key, pool, data):
    excluded = data.draw(st.sets(st.sampled_from(sorted(pool)), max_size=len(pool) - 1))
    result = draw_weighted(key, pool.items(), 3, exclude=excluded, reroll=1)

    assert not set(result.entrants) & excluded
    assert len(result.winners) == min(3, len(pool) - len(excluded))
    assert result == draw_weighted(key, pool.items(), 3, exclude=excluded, reroll=1)


def test_a_reroll_differs_from_the_draw_and_from_other_rerolls():
    pool = [(f"r{i:03}", 1 + i % 7) for i in range(300)]
    key = key_for(1)
    picks = {n: draw_weighted(key, pool, 5, reroll=n).entrants for n in (0, 1, 2)}
    assert len(set(picks.values())) == 3


def test_excluding_someone_not_in_the_pool_is_an_error():
    with pytest.raises(ValueError, match="not in the pool"):
        draw_weighted(key_for(0), [("ann", 1)], 1, exclude={"bob"})


# Numbered tickets


@examples
@given(keys, ticket_pools, st.integers(0, 50), st.booleans())
def test_ticket_winners_are_distinct_tickets_from_the_pool(key, tickets, winners, distinct_owners):
    result = draw_tickets(key, tickets.items(), winners, distinct_owners=distinct_owners)
    won = [w.ticket for w in result.winners]

    assert len(set(won)) == len(won)
    assert all(tickets[w.ticket] == w.entrant for w in result.winners)
    if distinct_owners:
        assert len(set(result.entrants)) == len(won) == min(winners, len(set(tickets.values())))
    else:
        assert len(won) == min(winners, len(tickets))
    assert result == draw_tickets(
        key, reversed(tickets.items()), winners, distinct_owners=distinct_owners
    )


def test_every_ticket_is_equally_likely():
    tickets = [(n, f"owner{n % 4}") for n in (3, 5, 8, 13, 21, 34, 55)]
    counts = Counter(draw_tickets(key_for(i), tickets, 1).winners[0].ticket for i in range(7_000))
    assert chisquare([counts[n] for n, _ in tickets]).pvalue > 0.01


@examples
@given(keys, ticket_pools.filter(bool), st.data())
def test_excluded_tickets_never_win_and_with_distinct_owners_neither_do_their_owners(
    key, tickets, data
):
    excluded = data.draw(st.sets(st.sampled_from(sorted(tickets)), max_size=3))
    plain = draw_tickets(key, tickets.items(), 10, exclude=excluded, reroll=2)
    assert not {w.ticket for w in plain.winners} & excluded

    barred = {tickets[n] for n in excluded}
    distinct = draw_tickets(key, tickets.items(), 10, distinct_owners=True, exclude=excluded)
    assert not set(distinct.entrants) & barred


def test_with_distinct_owners_a_ticket_of_an_earlier_winner_is_passed_over():
    tickets = [(1, "ann"), (2, "ann"), (3, "ann"), (4, "bob")]
    for i in range(30):
        key = key_for(i)
        result = draw_tickets(key, tickets, 2, distinct_owners=True)
        stream = RandomStream(key, context_label(0))
        order = [tickets[p] for p in stream.sample(4, 4)]
        first_bob = next(n for n, owner in order if owner == "bob")
        first_ann = next(n for n, owner in order if owner == "ann")
        expected = [first_ann, first_bob] if order[0][1] == "ann" else [first_bob, first_ann]
        assert [w.ticket for w in result.winners] == expected


# Signup lotteries

ELEMENTS = ["e1", "e2", "e3", "e4", "e5"]
limits = st.one_of(st.none(), st.integers(1, 3))
some_spots = st.integers(0, 4)


@st.composite
def lotteries(draw, *, grouped=True, spots=some_spots):
    """Elements in a drawn processing order, their entries, and groups cut out of each element's
    entrants: (elements, entries, groups) as draw_lottery takes them."""
    names = draw(st.lists(st.sampled_from(ELEMENTS), min_size=1, max_size=5, unique=True))
    elements = [Element(name, draw(spots)) for name in names]
    entries = [(name, ref) for name in names for ref in draw(st.sets(st.sampled_from("abcdef")))]
    groups = []
    for name in sorted(names) if grouped else ():
        refs = draw(st.permutations(sorted(r for n, r in entries if n == name)))
        while refs:
            size = draw(st.sampled_from([1, 1, 2, 3]))  # most entrants alone
            chunk, refs = sorted(refs[:size]), refs[size:]
            if len(chunk) > 1:
                groups.append((name, tuple(chunk)))
    return elements, sorted(entries), tuple(sorted(groups))


@dataclass(frozen=True)
class Seen:
    """One element of a drawn lottery: its outcome, and what stood before it was drawn."""

    element: Element
    outcome: ElementResult
    entered: list[str]
    earlier: dict[str, int]  # spots each member had won at earlier elements
    set_aside: set[str]
    units: list[tuple[str, ...]]  # groups and lone entrants, less the members set aside

    def level(self, unit: tuple[str, ...]) -> int:
        return max(self.earlier.get(ref, 0) for ref in unit)


def replay(elements, entries, groups, limit, result) -> list[Seen]:
    wins: Counter[str] = Counter()
    seen = []
    for element, outcome in zip(elements, result.elements, strict=True):
        assert outcome.name == element.name
        entered = sorted(ref for name, ref in entries if name == element.name)
        together = [refs for name, refs in groups if name == element.name]
        alone = sorted(set(entered) - {ref for refs in together for ref in refs})
        aside = {ref for ref in entered if limit is not None and wins[ref] >= limit}
        units = [
            tuple(r for r in unit if r not in aside) for unit in together + [(r,) for r in alone]
        ]
        seen.append(Seen(element, outcome, entered, dict(wins), aside, [u for u in units if u]))
        wins.update(outcome.winners)
    return seen


@examples
@given(keys, lotteries(), limits)
def test_no_member_wins_more_than_the_limit_and_no_element_more_than_its_spots(key, lottery, limit):
    elements, entries, groups = lottery
    result = draw_lottery(key, elements, entries, per_member_limit=limit, groups=groups)

    for seen in replay(elements, entries, groups, limit, result):
        winners = seen.outcome.winners
        assert len(winners) <= seen.element.spots
        assert len(set(winners)) == len(winners)
        assert set(winners) <= set(seen.entered) - seen.set_aside
    won = Counter(ref for element in result.elements for ref in element.winners)
    assert limit is None or all(count <= limit for count in won.values())


@examples
@given(keys, lotteries(spots=st.just(0)), st.data())
def test_everyone_wins_when_no_element_has_more_entrants_than_spots(key, lottery, data):
    elements, entries, groups = lottery
    entered = Counter(name for name, _ in entries)
    roomy = [Element(e.name, entered[e.name] + data.draw(st.integers(0, 2))) for e in elements]
    result = draw_lottery(key, roomy, entries, groups=groups)

    for outcome in result.elements:
        assert sorted(outcome.winners) == sorted(r for n, r in entries if n == outcome.name)
        assert outcome.waitlist == ()


@examples
@given(keys, lotteries(grouped=False), limits)
def test_no_winner_had_won_more_than_an_entrant_left_without_a_spot(key, lottery, limit):
    elements, entries, _ = lottery
    result = draw_lottery(key, elements, entries, per_member_limit=limit)

    for seen in replay(elements, entries, (), limit, result):
        winners = seen.outcome.winners
        losers = set(seen.entered) - set(winners) - seen.set_aside
        if losers:
            assert len(winners) == seen.element.spots  # someone lost: the spots were all taken
            most = max(seen.earlier.get(ref, 0) for ref in winners) if winners else 0
            assert all(seen.earlier.get(ref, 0) >= most for ref in losers)


@examples
@given(keys, lotteries(), limits)
def test_a_lower_level_runs_out_before_a_higher_level_gets_a_spot(key, lottery, limit):
    """A unit that lost although it fitted in the spots its level left over proves a higher level
    won too early: fewest earlier wins first, groups at the level of their most winning member."""
    elements, entries, groups = lottery
    result = draw_lottery(key, elements, entries, per_member_limit=limit, groups=groups)

    for seen in replay(elements, entries, groups, limit, result):
        winners = set(seen.outcome.winners)
        won = [unit for unit in seen.units if set(unit) <= winners]
        lost = [unit for unit in seen.units if not set(unit) & winners]
        assert len(won) + len(lost) == len(seen.units)
        for unit in lost:
            left_over = seen.element.spots - sum(
                len(w) for w in won if seen.level(w) <= seen.level(unit)
            )
            if len(unit) <= left_over:  # it was not passed over for its size
                assert all(seen.level(w) <= seen.level(unit) for w in won)


@examples
@given(keys, lotteries(), limits)
def test_the_same_inputs_give_the_same_result_whatever_the_entry_order(key, lottery, limit):
    elements, entries, groups = lottery
    first = draw_lottery(key, elements, entries, per_member_limit=limit, groups=groups)
    again = draw_lottery(
        key, elements, list(reversed(entries)), per_member_limit=limit, groups=groups
    )
    assert first == again


def test_another_key_gives_another_result():
    elements = [Element(f"event {i}", 3) for i in range(4)]
    entries = [(element.name, f"m{j:02}") for element in elements for j in range(12)]
    groups = tuple((element.name, ("m00", "m01")) for element in elements)
    results = {draw_lottery(key_for(i), elements, entries, groups=groups) for i in range(8)}
    assert len(results) == 8


@examples
@given(keys, lotteries(), limits)
def test_the_waitlist_holds_each_entrant_who_did_not_win_once_and_no_winner(key, lottery, limit):
    elements, entries, groups = lottery
    result = draw_lottery(key, elements, entries, per_member_limit=limit, groups=groups)

    for seen in replay(elements, entries, groups, limit, result):
        waitlist = seen.outcome.waitlist
        assert not set(waitlist) & set(seen.outcome.winners)
        assert sorted(waitlist) == sorted(set(seen.entered) - set(seen.outcome.winners))
        for name, refs in groups:  # a group's members who wait, wait side by side in ref order
            waiting = [ref for ref in refs if ref in waitlist] if name == seen.element.name else []
            if waiting:
                start = waitlist.index(waiting[0])
                assert list(waitlist[start : start + len(waiting)]) == waiting

    off = draw_lottery(
        key, elements, entries, per_member_limit=limit, groups=groups, waitlist=False
    )
    assert all(outcome.waitlist == () for outcome in off.elements)


@examples
@given(keys, lotteries(), limits)
def test_a_group_wins_together_side_by_side_or_not_at_all(key, lottery, limit):
    elements, entries, groups = lottery
    result = draw_lottery(key, elements, entries, per_member_limit=limit, groups=groups)

    for seen in replay(elements, entries, groups, limit, result):
        winners = seen.outcome.winners
        for name, refs in groups:
            if name != seen.element.name:
                continue
            able = [ref for ref in refs if ref not in seen.set_aside]
            if able and able[0] in winners:
                start = winners.index(able[0])
                assert list(winners[start : start + len(able)]) == able
            else:
                assert not set(able) & set(winners)


def test_a_group_too_big_for_the_spots_left_is_passed_over_for_a_smaller_unit():
    elements = [Element("Sat", 2)]
    entries = [("Sat", ref) for ref in ("ann", "bob", "cat", "dan")]
    groups = (("Sat", ("ann", "bob", "cat")),)  # three members never fit in two spots
    for i in range(20):
        (sat,) = draw_lottery(key_for(i), elements, entries, groups=groups).elements
        assert sat.winners == ("dan",)
        assert sat.waitlist == ("ann", "bob", "cat")


def test_a_member_who_has_won_fewer_spots_comes_first():
    elements = [Element("Sat", 1), Element("Sun", 1)]
    entries = [("Sat", "ann"), ("Sun", "ann"), ("Sun", "bob")]
    for i in range(20):
        sat, sun = draw_lottery(key_for(i), elements, entries).elements
        assert (sat.winners, sun.winners, sun.waitlist) == (("ann",), ("bob",), ("ann",))


def test_a_group_comes_when_its_member_with_the_most_wins_would():
    elements = [Element("Sat", 1), Element("Sun", 2)]
    entries = [("Sat", "ann")] + [("Sun", ref) for ref in ("ann", "bob", "cat", "dan")]
    groups = (("Sun", ("ann", "bob")),)  # bob has won nothing, but ann has won Sat
    for i in range(20):
        _, sun = draw_lottery(key_for(i), elements, entries, groups=groups).elements
        assert sorted(sun.winners) == ["cat", "dan"]


def test_a_member_at_the_limit_is_set_aside_from_their_group_but_stays_on_the_waitlist():
    elements = [Element("Sat", 1), Element("Sun", 5)]
    entries = [("Sat", "ann"), ("Sun", "ann"), ("Sun", "bob")]
    result = draw_lottery(
        key_for(0), elements, entries, per_member_limit=1, groups=(("Sun", ("ann", "bob")),)
    )

    sat, sun = result.elements
    assert sat.winners == ("ann",)
    assert sun.winners == ("bob",)  # 5 spots, but ann is at her limit: bob wins alone
    assert sun.waitlist == ("ann",)


def test_an_undersubscribed_element_lets_everyone_win_and_no_waitlist_means_none():
    result = draw_lottery(
        key_for(0), [Element("Sat", 10)], [("Sat", "ann"), ("Sat", "bob")], waitlist=False
    )
    assert sorted(result.elements[0].winners) == ["ann", "bob"]
    assert result.elements[0].waitlist == ()


def walk(stream: RandomStream, units: list[tuple[str, ...]], spots: int) -> list[str]:
    """One level's winners, by hand: one permutation step per unit examined."""
    order, won = stream.permutation(len(units)), []
    for _ in units:
        if spots == 0:
            break  # no further step is read
        unit = units[next(order)]
        if len(unit) <= spots:
            won += unit
            spots -= len(unit)
    return won


def shuffled(stream: RandomStream, units: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(ref for i in stream.permutation(len(units)) for ref in units[i])


def test_lottery_reads_one_stream_one_step_per_unit_examined_then_the_waitlist():
    elements = [Element("B", 2), Element("A", 1)]  # processed in the order given, not sorted
    entries = [("B", ref) for ref in "wxyz"] + [("A", ref) for ref in "wxyz"]
    groups = (("B", ("x", "y")),)
    for i in range(30):
        key = key_for(i)
        b, a = draw_lottery(key, elements, entries, groups=groups).elements

        stream = RandomStream(key, context_label(0))
        b_units = [("w",), ("x", "y"), ("z",)]
        b_won = walk(stream, b_units, 2)
        b_rest = [u for u in (tuple(r for r in unit if r not in b_won) for unit in b_units) if u]
        assert (b.winners, b.waitlist) == (tuple(b_won), shuffled(stream, b_rest))
        a_won = walk(stream, [(r,) for r in "wxyz" if r not in b_won], 1)  # no spot yet: first
        a_rest = [(r,) for r in "wxyz" if r not in a_won]
        assert (a.winners, a.waitlist) == (tuple(a_won), shuffled(stream, a_rest))


def test_lottery_refuses_entries_for_unknown_elements_and_bad_limits():
    with pytest.raises(SnapshotError):
        draw_lottery(key_for(0), [Element("Sat", 1)], [("Sun", "ann")])
    with pytest.raises(ValueError):
        draw_lottery(key_for(0), [Element("Sat", 1)], [], per_member_limit=0)
    with pytest.raises(ValueError):
        draw_lottery(key_for(0), [Element("Sat", 1), Element("Sat", 2)], [])


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ((("Mon", ("ann", "bob")),), "'Mon', which is not one of the elements"),
        ((("Sat", ("ann",)),), "needs 2 or more members, not 1"),
        ((("Sat", ("bob", "ann")),), "not in ascending order without repeats"),
        ((("Sat", ("ann", "ann")),), "not in ascending order without repeats"),
        ((("Sat", ("ann", "eve")),), "'eve' has no entry for 'Sat'"),
        ((("Sat", ("ann", "bob")), ("Sat", ("bob", "cat"))), "'bob' is in two groups of 'Sat'"),
        ((("Sun", ("ann", "bob")), ("Sat", ("ann", "bob"))), "not sorted by element, then first"),
        ((("Sat", ("bob", "cat")), ("Sat", ("ann", "dan"))), "not sorted by element, then first"),
        ((("Sat", "ab"),), "A group is (element, tuple of refs)"),
        ((("Sat", ("ann", 7)),), "a ref that is not text"),
    ],
)
def test_lottery_refuses_groups_that_break_the_rules(groups, message):
    elements = [Element("Sat", 1), Element("Sun", 1)]
    entries = [("Sat", r) for r in ("ann", "bob", "cat", "dan")] + [("Sun", "ann"), ("Sun", "bob")]
    with pytest.raises(ValueError, match=re.escape(message)):
        draw_lottery(key_for(0), elements, entries, groups=groups)

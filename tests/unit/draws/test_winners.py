"""Winners of weighted pools, numbered tickets and signup lotteries."""

import hashlib
from collections import Counter
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from luckyclub.draws import (
    Element,
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

lottery_inputs = st.lists(
    st.tuples(st.sampled_from(["e1", "e2", "e3", "e4"]), st.integers(0, 4)),
    min_size=1,
    max_size=4,
    unique_by=lambda e: e[0],
).flatmap(
    lambda elements: st.tuples(
        st.just([Element(name, spots) for name, spots in elements]),
        st.sets(st.tuples(st.sampled_from([n for n, _ in elements]), st.sampled_from("abcdefg"))),
    )
)


@examples
@given(keys, lottery_inputs, st.one_of(st.none(), st.integers(1, 3)))
def test_lottery_respects_spots_and_the_per_member_limit_across_elements(key, inputs, limit):
    elements, entries = inputs
    result = draw_lottery(key, elements, entries, per_member_limit=limit)

    wins: Counter[str] = Counter()
    for element, outcome in zip(elements, result.elements, strict=True):
        entered = sorted(ref for name, ref in entries if name == element.name)
        eligible = [r for r in entered if limit is None or wins[r] < limit]
        assert outcome.name == element.name
        assert len(outcome.winners) == min(element.spots, len(eligible))
        assert set(outcome.winners) <= set(eligible)
        assert len(set(outcome.winners)) == len(outcome.winners)
        wins.update(outcome.winners)
        # The waitlist is a permutation of everyone who entered and did not win here.
        assert sorted(outcome.waitlist) == sorted(set(entered) - set(outcome.winners))
    assert limit is None or all(count <= limit for count in wins.values())
    assert result == draw_lottery(
        key, elements, list(reversed(sorted(entries))), per_member_limit=limit
    )


def test_a_member_at_the_limit_is_skipped_for_later_elements_but_stays_on_their_waitlists():
    elements = [Element("Sat", 1), Element("Sun", 5)]
    entries = [("Sat", "ann"), ("Sun", "ann"), ("Sun", "bob")]
    result = draw_lottery(key_for(0), elements, entries, per_member_limit=1)

    sat, sun = result.elements
    assert sat.winners == ("ann",)
    assert sun.winners == ("bob",)  # 5 spots, but ann is at her limit
    assert sun.waitlist == ("ann",)


def test_an_undersubscribed_element_lets_everyone_win_and_no_waitlist_means_none():
    result = draw_lottery(
        key_for(0), [Element("Sat", 10)], [("Sat", "ann"), ("Sat", "bob")], waitlist=False
    )
    assert sorted(result.elements[0].winners) == ["ann", "bob"]
    assert result.elements[0].waitlist == ()


def test_lottery_reads_one_stream_winners_then_waitlist_element_by_element():
    key = key_for(3)
    elements = [Element("B", 1), Element("A", 1)]  # processed in the order given, not sorted
    entries = [("A", "x"), ("A", "y"), ("B", "x"), ("B", "y"), ("B", "z")]
    result = draw_lottery(key, elements, entries)

    stream = RandomStream(key, context_label(0))
    b_entrants = ["x", "y", "z"]
    b_winner = b_entrants[stream.sample(3, 1)[0]]
    b_rest = [r for r in b_entrants if r != b_winner]
    b_wait = [b_rest[i] for i in stream.sample(2, 2)]
    a_winner = ["x", "y"][stream.sample(2, 1)[0]]
    assert result.elements[0].winners == (b_winner,)
    assert result.elements[0].waitlist == tuple(b_wait)
    assert result.elements[1].winners == (a_winner,)


def test_lottery_refuses_entries_for_unknown_elements_and_bad_limits():
    with pytest.raises(SnapshotError):
        draw_lottery(key_for(0), [Element("Sat", 1)], [("Sun", "ann")])
    with pytest.raises(ValueError):
        draw_lottery(key_for(0), [Element("Sat", 1)], [], per_member_limit=0)
    with pytest.raises(ValueError):
        draw_lottery(key_for(0), [Element("Sat", 1), Element("Sat", 2)], [])

"""Snapshots: canonical bytes whatever the input order, strict decoding, pseudonymous refs."""

import hashlib
import hmac
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luckyclub.draws import (
    SnapshotError,
    decode,
    encode_lottery,
    encode_tickets,
    encode_weighted,
    entrant_ref,
    entrant_refs,
    snapshot_digest,
    snapshot_lines,
)
from luckyclub.draws.snapshot import line_of

refs = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12)

# No example database written to disk; no deadline, as the machine may be busy.
examples = settings(database=None, deadline=None)


def test_weighted_snapshot_is_sorted_lines_of_ref_tab_weight():
    snapshot = encode_weighted([("bob", 2), ("ann", 10), ("Zed", 1)])

    assert snapshot == b"Zed\t1\nann\t10\nbob\t2\n"  # bytewise: capitals first
    assert snapshot_digest(snapshot) == hashlib.sha256(snapshot).hexdigest()
    assert snapshot_lines(snapshot) == [b"Zed\t1", b"ann\t10", b"bob\t2"]


def test_ticket_snapshot_is_sorted_by_number_not_by_text():
    assert encode_tickets([(10, "ann"), (9, "bob"), (100, "ann")]) == (
        b"9\tbob\n10\tann\n100\tann\n"
    )


def test_lottery_snapshot_is_sorted_by_element_then_ref():
    entries = [("Sun", "bob"), ("Sat", "cat"), ("Sun", "ann"), ("Sat", "ann")]
    assert encode_lottery(entries) == b"Sat\tann\nSat\tcat\nSun\tann\nSun\tbob\n"


def test_non_ascii_refs_are_utf8_and_sorted_by_their_bytes():
    snapshot = encode_weighted([("é", 1), ("z", 1), ("€", 1)])
    assert snapshot == "z\t1\né\t1\n€\t1\n".encode()
    assert decode("weighted", snapshot) == [("z", 1), ("é", 1), ("€", 1)]


def test_an_empty_pool_is_an_empty_snapshot():
    assert encode_weighted([]) == b""
    assert decode("tickets", b"") == []
    assert snapshot_lines(b"") == []


@pytest.mark.parametrize("weight", [0, -1, 1.0, True, "3", None])
def test_a_weight_that_is_not_a_whole_number_of_at_least_one_is_refused(weight):
    with pytest.raises(SnapshotError, match="weight"):
        encode_weighted([("ann", 1), ("bob", weight)])


@pytest.mark.parametrize("ref", ["", "a\tb", "a\nb", "a\rb", "a\x00", "a\x7f", 5, None, "\ud800"])
def test_a_ref_that_would_break_the_line_format_is_refused(ref):
    with pytest.raises(SnapshotError):
        encode_weighted([("ann", 1), (ref, 1)])
    with pytest.raises(SnapshotError):
        encode_tickets([(1, ref)])
    with pytest.raises(SnapshotError):
        encode_lottery([(ref, "ann")])


def test_duplicates_are_refused():
    with pytest.raises(SnapshotError, match="Duplicate"):
        encode_weighted([("ann", 1), ("ann", 2)])
    with pytest.raises(SnapshotError, match="Duplicate"):
        encode_tickets([(1, "ann"), (1, "bob")])
    with pytest.raises(SnapshotError, match="Duplicate"):
        encode_lottery([("Sat", "ann"), ("Sat", "ann")])


@pytest.mark.parametrize("number", [-1, 1.5, True, "7"])
def test_ticket_numbers_are_whole_numbers_from_zero(number):
    with pytest.raises(SnapshotError, match="Ticket number"):
        encode_tickets([(number, "ann")])


@pytest.mark.parametrize(
    "snapshot",
    [
        b"bob\t1\nann\t1\n",  # not sorted
        b"ann\t1\nann\t2\n",  # duplicate
        b"ann\t01\n",  # leading zero
        b"ann\t+1\n",
        b"ann\t 1\n",
        b"ann\t0\n",
        b"ann\t1",  # no final newline
        b"ann\t1\r\n",
        b"ann\t1\t2\n",
        b"ann1\n",
        b"\t1\n",
        b"ann\t\xd9\xa5\n",  # an Arabic-Indic digit: int() would accept it
        b"\xff\t1\n",
        b"ann\t" + b"9" * 5000 + b"\n",
    ],
)
def test_decoding_refuses_anything_but_the_canonical_form(snapshot):
    with pytest.raises(SnapshotError):
        decode("weighted", snapshot)


def test_decoding_tickets_refuses_unsorted_or_padded_numbers():
    for snapshot in (b"2\tann\n1\tbob\n", b"01\tann\n", b"1\tann\n1\tbob\n"):
        with pytest.raises(SnapshotError):
            decode("tickets", snapshot)


@examples
@given(st.dictionaries(refs, st.integers(1, 10**12), max_size=30))
def test_weighted_snapshots_round_trip_and_ignore_input_order(weights):
    entries = list(weights.items())
    snapshot = encode_weighted(entries)

    assert encode_weighted(reversed(entries)) == snapshot
    assert decode("weighted", snapshot) == sorted(entries, key=lambda e: e[0].encode())


@examples
@given(st.sets(st.tuples(refs, refs), max_size=30))
def test_lottery_snapshots_round_trip(pairs):
    snapshot = encode_lottery(pairs)
    assert decode("lottery", snapshot) == sorted(pairs)


@examples
@given(st.dictionaries(st.integers(0, 10**9), refs, max_size=30))
def test_ticket_snapshots_round_trip(tickets):
    snapshot = encode_tickets(tickets.items())
    assert decode("tickets", snapshot) == sorted(tickets.items())


def test_an_entrant_ref_is_a_keyed_hash_of_pool_and_user():
    ref = entrant_ref("server secret", "raffle:12", 7)

    assert re.fullmatch(r"[0-9a-f]{32}", ref)
    assert ref == entrant_ref(b"server secret", "raffle:12", 7)  # stable within the pool
    assert ref != entrant_ref("server secret", "raffle:13", 7)  # unlinkable across pools
    assert ref != entrant_ref("server secret", "raffle:12", 8)
    assert ref != entrant_ref("another secret", "raffle:12", 7)
    assert ref != hashlib.sha256(b"raffle:127").hexdigest()[:32]  # not guessable without the key


def test_entrant_ref_separates_pool_and_user_unambiguously():
    assert entrant_ref("k", "raffle:1", 23) != entrant_ref("k", "raffle:12", 3)
    with pytest.raises(ValueError):
        entrant_ref("k", "pool\x00", 1)
    with pytest.raises(ValueError):
        entrant_ref("", "pool", 1)
    with pytest.raises(ValueError):
        entrant_ref("k", "pool", -1)


@pytest.mark.parametrize("key", ["k", "server secret", "x" * 64, "y" * 65, b"\x00\xff" * 50])
def test_entrant_refs_in_a_batch_are_the_hmac_of_each_member(key):
    raw = key.encode() if isinstance(key, str) else key
    expected = [
        hmac.new(
            raw, b"luckyclub-entrant-v1\x00raffle:12\x00" + str(n).encode(), "sha256"
        ).hexdigest()[:32]
        for n in (0, 7, 12345)
    ]
    assert list(entrant_refs(key, "raffle:12", [0, 7, 12345])) == expected
    assert entrant_ref(key, "raffle:12", 7) == expected[1]


def test_line_of_finds_a_line_by_its_first_field_and_only_a_whole_field():
    snapshot = encode_tickets([(1, "a" * 32), (12, "b" * 32), (2, "c" * 32)])

    assert line_of(snapshot, "1") == ["1", "a" * 32]
    assert line_of(snapshot, "12") == ["12", "b" * 32]
    assert line_of(snapshot, "3") is None
    assert line_of(b"", "1") is None

"""drand quicknet: the round schedule, offline verification, fetching from local relays."""

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from luckyclub.draws import (
    CHAIN_HASH,
    BeaconInvalid,
    BeaconUnavailable,
    fetch_round,
    round_at,
    round_for_close,
    round_time,
    verify_beacon,
)
from tests.drand_relay import RANDOMNESS, ROUND, SIGNATURE, serve

# Same length, a valid hex string, not the signature of round 1000.
FORGED = "b" + "4" * 95
GENESIS = 1692803367


def test_round_schedule_follows_genesis_and_a_three_second_period():
    assert round_at(GENESIS) == 1
    assert round_at(GENESIS + 2.9) == 1
    assert round_at(GENESIS + 3) == 2
    assert round_time(1) == GENESIS
    assert round_time(ROUND) == GENESIS + 999 * 3
    assert round_at(datetime.fromtimestamp(GENESIS + 30, UTC)) == 11
    with pytest.raises(ValueError):
        round_at(GENESIS - 1)
    with pytest.raises(ValueError):
        round_at(datetime(2024, 1, 1))  # naive: ambiguous


def test_the_bound_round_is_the_first_published_after_close_plus_margin():
    close = GENESIS + 998 * 3 + 1  # round 999 was published 1 s before
    assert round_for_close(close) == 1000
    assert round_time(round_for_close(close)) > close
    assert round_for_close(close, margin_seconds=30) == 1010
    assert round_time(round_for_close(close, 30)) > close + 30
    # Closing exactly when a round is published: that round existed at close, so the next one.
    assert round_for_close(round_time(1000)) == 1001


def test_the_real_test_vector_verifies():
    assert verify_beacon(ROUND, SIGNATURE) == RANDOMNESS
    assert verify_beacon(ROUND, SIGNATURE.upper(), RANDOMNESS) == RANDOMNESS


@pytest.mark.parametrize(
    ("round_number", "signature", "randomness"),
    [
        (ROUND, FORGED, None),
        (ROUND + 1, SIGNATURE, None),  # right signature, wrong round
        (ROUND, SIGNATURE, "00" * 32),  # right signature, claimed randomness differs
        (ROUND, "zz" * 48, None),  # not hex: drand_verify would panic on it
        (ROUND, SIGNATURE[:-2], None),
        (0, SIGNATURE, None),
        (2**64, SIGNATURE, None),
    ],
)
def test_a_wrong_signature_round_or_randomness_is_beacon_invalid(
    round_number, signature, randomness
):
    with pytest.raises(BeaconInvalid):
        verify_beacon(round_number, signature, randomness)


def _serve(answer) -> Iterator[tuple[str, list[str]]]:
    with serve(answer) as relay:
        yield relay


def _round_json(signature: str = SIGNATURE, randomness: str = RANDOMNESS) -> bytes:
    return json.dumps({"round": ROUND, "randomness": randomness, "signature": signature}).encode()


@pytest.fixture
def good_relay():
    def answer(path):
        if path == f"/{CHAIN_HASH}/public/{ROUND}":
            return _round_json(), 200
        return b'{"error": "not found"}', 404

    yield from _serve(answer)


@pytest.fixture
def garbage_relay():
    yield from _serve(lambda path: (b"<html>gateway says hello</html>", 200))


@pytest.fixture
def forging_relay():
    yield from _serve(lambda path: (_round_json(signature=FORGED), 200))


@pytest.fixture
def lying_relay():
    yield from _serve(lambda path: (_round_json(randomness="11" * 32), 200))


@pytest.fixture
def down_relay():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def test_a_round_is_fetched_from_a_relay_and_verified(good_relay):
    url, paths = good_relay
    beacon = fetch_round([url + "/"], ROUND)

    assert (beacon.round, beacon.randomness, beacon.signature) == (ROUND, RANDOMNESS, SIGNATURE)
    assert paths == [f"/{CHAIN_HASH}/public/{ROUND}"]


def test_relays_that_are_down_or_answer_garbage_are_skipped(down_relay, garbage_relay, good_relay):
    with httpx.Client() as client:
        beacon = fetch_round([down_relay, garbage_relay[0], good_relay[0]], ROUND, client)
    assert beacon.randomness == RANDOMNESS
    assert garbage_relay[1] == [f"/{CHAIN_HASH}/public/{ROUND}"]


def test_no_relay_answering_is_beacon_unavailable(down_relay, garbage_relay, good_relay):
    with pytest.raises(BeaconUnavailable, match="not available from any relay"):
        fetch_round([down_relay, garbage_relay[0]], ROUND, timeout=2)
    with pytest.raises(BeaconUnavailable):  # too early: the relay has no such round yet
        fetch_round([good_relay[0]], ROUND + 1)
    with pytest.raises(BeaconUnavailable):
        fetch_round([], ROUND)


def test_a_relay_with_a_forged_signature_or_wrong_randomness_is_beacon_invalid(
    forging_relay, lying_relay, down_relay
):
    with pytest.raises(BeaconInvalid, match="No relay gave a valid"):
        fetch_round([forging_relay[0], down_relay], ROUND)
    with pytest.raises(BeaconInvalid):
        fetch_round([lying_relay[0]], ROUND)


def test_an_honest_relay_after_a_forging_one_still_gives_the_round(forging_relay, good_relay):
    assert fetch_round([forging_relay[0], good_relay[0]], ROUND).randomness == RANDOMNESS

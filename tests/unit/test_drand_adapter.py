"""The drand adapter: rounds fetched from local relays on 127.0.0.1 and verified before use."""

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from luckyclub.core.settings import get_settings
from luckyclub.draws import CHAIN_HASH, BeaconInvalid, BeaconUnavailable
from luckyclub.integrations.drand import fetch_round
from tests.drand_relay import RANDOMNESS, ROUND, SIGNATURE, serve

# Same length, a valid hex string, not the signature of round 1000.
FORGED = "b" + "4" * 95


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
    beacon = fetch_round(ROUND, relays=[url + "/"])

    assert (beacon.round, beacon.randomness, beacon.signature) == (ROUND, RANDOMNESS, SIGNATURE)
    assert paths == [f"/{CHAIN_HASH}/public/{ROUND}"]


def test_relays_that_are_down_or_answer_garbage_are_skipped(down_relay, garbage_relay, good_relay):
    with httpx.Client() as client:
        relays = [down_relay, garbage_relay[0], good_relay[0]]
        beacon = fetch_round(ROUND, relays=relays, client=client)
    assert beacon.randomness == RANDOMNESS
    assert garbage_relay[1] == [f"/{CHAIN_HASH}/public/{ROUND}"]


def test_no_relay_answering_is_beacon_unavailable(down_relay, garbage_relay, good_relay):
    with pytest.raises(BeaconUnavailable, match="not available from any relay"):
        fetch_round(ROUND, relays=[down_relay, garbage_relay[0]], timeout=2)
    with pytest.raises(BeaconUnavailable):  # too early: the relay has no such round yet
        fetch_round(ROUND + 1, relays=[good_relay[0]])
    with pytest.raises(BeaconUnavailable):
        fetch_round(ROUND, relays=[])


def test_a_relay_with_a_forged_signature_or_wrong_randomness_is_beacon_invalid(
    forging_relay, lying_relay, down_relay
):
    with pytest.raises(BeaconInvalid, match="No relay gave a valid"):
        fetch_round(ROUND, relays=[forging_relay[0], down_relay])
    with pytest.raises(BeaconInvalid):
        fetch_round(ROUND, relays=[lying_relay[0]])


def test_an_honest_relay_after_a_forging_one_still_gives_the_round(forging_relay, good_relay):
    assert fetch_round(ROUND, relays=[forging_relay[0], good_relay[0]]).randomness == RANDOMNESS


def test_without_relays_given_the_relays_in_the_settings_are_asked(good_relay, monkeypatch):
    monkeypatch.setenv("DRAND_RELAYS", good_relay[0])
    get_settings.cache_clear()
    try:
        assert fetch_round(ROUND).randomness == RANDOMNESS
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

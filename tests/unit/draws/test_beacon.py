"""drand quicknet: the round schedule and offline verification (fetching: test_drand_adapter)."""

from datetime import UTC, datetime

import pytest

from luckyclub.draws import (
    BeaconInvalid,
    round_at,
    round_for_close,
    round_time,
    verify_beacon,
)
from tests.drand_relay import RANDOMNESS, ROUND, SIGNATURE

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

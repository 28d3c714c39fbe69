"""The randomness stream: key derivation, HMAC blocks, unbiased integers, Fisher–Yates."""

import hashlib
import hmac

import pytest
from scipy.stats import chisquare

from luckyclub.draws import RandomStream, commitment, draw_key, new_seed
from luckyclub.draws.stream import context_label, uniform_below

SEED = bytes(range(32))
KEY = hashlib.sha256(b"test key").digest()


def test_seeds_are_32_fresh_bytes():
    seeds = {new_seed() for _ in range(50)}

    assert len(seeds) == 50
    assert all(len(seed) == 32 for seed in seeds)


def test_commitment_is_sha256_of_the_seed():
    assert commitment(SEED) == hashlib.sha256(SEED).hexdigest()


def test_a_seed_that_is_not_32_bytes_is_refused():
    with pytest.raises(ValueError):
        commitment(b"short")
    with pytest.raises(ValueError):
        draw_key(bytes(33), None)


def test_the_key_is_never_the_published_commitment_even_without_a_beacon():
    assert draw_key(SEED, None).hex() != commitment(SEED)
    assert draw_key(SEED, None) == hashlib.sha256(b"luckyclub-draw-v1/key" + SEED).digest()


def test_the_key_depends_on_the_beacon():
    assert draw_key(SEED, bytes(32)) != draw_key(SEED, bytes(31) + b"\x01")
    assert draw_key(SEED, bytes(32)) != draw_key(SEED, None)


def test_stream_blocks_are_hmac_of_context_and_big_endian_counter():
    stream = RandomStream(KEY, "luckyclub-draw-v1/draw")
    values = [stream.next_u64() for _ in range(8)]

    expected = []
    for counter in (0, 1):
        block = hmac.new(
            KEY, b"luckyclub-draw-v1/draw" + counter.to_bytes(8, "big"), hashlib.sha256
        ).digest()
        expected += [int.from_bytes(block[i : i + 8], "big") for i in range(0, 32, 8)]
    assert values == expected


def test_reroll_streams_are_separate_from_the_draw():
    assert context_label(0) == "luckyclub-draw-v1/draw"
    assert context_label(2) == "luckyclub-draw-v1/reroll/2"
    first = RandomStream(KEY, context_label(0)).next_u64()
    assert first != RandomStream(KEY, context_label(1)).next_u64()


def test_a_value_in_the_biased_top_range_is_rejected_not_folded():
    # n = 3: 2^64 mod 3 = 1, so only 2^64 − 1 is rejected.
    values = iter([2**64 - 1, 2**64 - 2])
    assert uniform_below(3, lambda: next(values)) == (2**64 - 2) % 3
    # n = 2^63 + 1: everything from 2^63 + 1 up is rejected, almost half of all values.
    values = iter([2**63 + 5, 2**64 - 1, 2**63])
    assert uniform_below(2**63 + 1, lambda: next(values)) == 2**63


def test_accepted_values_cover_every_residue_equally():
    for n in (3, 7, 10, 1000, 2**32 + 1, 2**64 - 59):
        limit = 2**64 - 2**64 % n
        assert limit % n == 0  # each residue has exactly limit / n preimages
        assert 2**64 - limit < n


def test_a_power_of_two_never_rejects():
    values = iter([2**64 - 1])
    assert uniform_below(8, lambda: next(values)) == 7


def test_below_refuses_empty_ranges():
    stream = RandomStream(KEY, "x")
    for n in (0, -1, 2**64 + 1, 2.0):
        with pytest.raises(ValueError):
            stream.below(n)


def test_uniform_integers_pass_a_chi_square_test():
    for n, draws in ((7, 35_000), (10, 30_000), (37, 37_000)):
        stream = RandomStream(KEY, f"chi-square/{n}")
        counts = [0] * n
        for _ in range(draws):
            counts[stream.below(n)] += 1
        assert chisquare(counts).pvalue > 0.01, (n, counts)


def test_sample_is_a_partial_fisher_yates_shuffle():
    stream, replay = RandomStream(KEY, "fy"), RandomStream(KEY, "fy")
    chosen = stream.sample(10, 4)

    a = list(range(10))
    for i in range(4):
        j = i + replay.below(10 - i)
        a[i], a[j] = a[j], a[i]
    assert chosen == a[:4]


def test_sample_gives_distinct_positions_and_a_full_sample_is_a_permutation():
    stream = RandomStream(KEY, "perm")
    assert sorted(stream.sample(50, 50)) == list(range(50))
    chosen = stream.sample(10**12, 20)
    assert len(set(chosen)) == 20 and all(0 <= c < 10**12 for c in chosen)
    with pytest.raises(ValueError):
        stream.sample(3, 4)


def test_every_permutation_of_four_is_equally_likely():
    stream = RandomStream(KEY, "perm-4")
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(24_000):
        order = tuple(stream.sample(4, 4))
        counts[order] = counts.get(order, 0) + 1
    assert len(counts) == 24
    assert chisquare(list(counts.values())).pvalue > 0.01

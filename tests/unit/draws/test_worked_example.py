"""The worked example in docs/fairness.md: every number printed there is the engine's."""

import hashlib
import hmac
from pathlib import Path

import pytest

from luckyclub.draws import (
    BeaconRound,
    Element,
    LotteryDraw,
    RandomStream,
    WeightedDraw,
    commitment,
    draw_key,
    draw_lottery,
    draw_weighted,
    encode_lottery,
    encode_weighted,
    entrant_ref,
    inclusion_proof,
    make_proof,
    merkle_root,
    round_at,
    round_for_close,
    round_time,
    snapshot_digest,
    snapshot_lines,
    verify,
)
from luckyclub.draws.merkle import leaf_hash
from luckyclub.draws.stream import context_label

DOC = (Path(__file__).parents[3] / "docs" / "fairness.md").read_text(encoding="utf-8")

SEED = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
COMMITMENT = "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
ENTRIES = [("ann", 1), ("bob", 2), ("cat", 6), ("dan", 3), ("eve", 5)]
SNAPSHOT_TEXT = r"ann\t1\nbob\t2\ncat\t6\ndan\t3\neve\t5\n"
DIGEST = "cda2453885b50d53e4c30f02686c701fcd6d29ab7bb4b7909e6988511b7ccfe1"
LEAVES = {
    "ann": "e2abfa51a352263ef505ea51cd312fe4c154d996012e3601d345a37c8c333e5b",
    "bob": "2a9525621729c251b1147a0f354705090cb165f1b697fc35cb6d41789b46251a",
    "cat": "d0c981913be6d82df0052804eea0d198aae134fdefe6cd0e1bbfd829a2c99ca9",
    "dan": "adb19566e45cee9246d1237e2ddc5eec7312b20fb96be199bf52e64db8312e0b",
    "eve": "9a69af15cec1217fcdeec67c3b7bb81b930e5a16c8b3b9cedb76e1607fb9dfbd",
}
NODE_AB = "d419d76a866d7377e6452df76da1c6d45b92b173edfe9deb295f3dd1533b260b"
NODE_CD = "0bbbb1fd0f9d995c3c1e15453db0a86f38fcef4f2a48e19bc43e25d5ebb16f67"
NODE_ABCD = "636dcbf48117cb5f7f8ca9d7ab064eb2fb20ea53c02c954790dbb46e4dcd67f6"
ROOT = "3b3e8ff1684c51d3854d7c3e6868876c5c2f575509182d85b61450ce2334e8bf"
CLOSED_AT, MARGIN, ROUND = 1692806331, 30, 1000
SIGNATURE = (
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
    "e342b73a8dd2bacbe47e4b6b63ed5e39"
)
RANDOMNESS = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
KEY = "c72f1ca12ed4202eedf98c4919c596821be553509a819850a29638c03faa5c57"
KEY_WITHOUT_BEACON = "086797a035d5f4b57dddcb101d43d2d6f48fe6db706a1e3ffaffbabc35e916b6"
BLOCK0 = "d6d50fbdfdea0de9 13cc88848b15b803 b02125cdf4449f15 1152a8fe3bfcb9ac"
X = [
    15480296602839158249,
    1426665284820121603,
    12691466791403429653,
    1248245856616626604,
    4403266103435833811,
    11905538975244688932,
    1794799342036797524,
    12153684538958443352,
    8827264422700003519,
    7783336213158876180,
]
REROLL_X = 13973243954598309684
LOTTERY_ENTRIES = [("Fri", "cat"), ("Fri", "fay"), ("Sat", "ann"), ("Sat", "cat")]
LOTTERY_ENTRIES += [("Sun", ref) for ref in ("ann", "bob", "cat", "dan", "eve", "fay")]
LOTTERY_TEXT = "".join(rf"{element}\t{ref}\n" for element, ref in LOTTERY_ENTRIES)
LOTTERY_ELEMENTS = (Element("Fri", 2), Element("Sat", 2), Element("Sun", 2))
LOTTERY_GROUPS = (("Sun", ("bob", "dan")),)
LOTTERY_PRINTED = [
    'groups   = [{"element": "Sun", "refs": ["bob", "dan"]}]',
    "Winners: **fay, cat**",
    "Winners: **ann, cat**",
    "**eve, ann**",
    "Waitlist: **fay, bob, dan, cat**",
]


@pytest.mark.parametrize(
    "printed",
    [
        COMMITMENT,
        SNAPSHOT_TEXT,
        DIGEST,
        *LEAVES.values(),
        NODE_AB,
        NODE_CD,
        NODE_ABCD,
        ROOT,
        str(CLOSED_AT),
        SIGNATURE,
        RANDOMNESS,
        KEY,
        KEY_WITHOUT_BEACON,
        BLOCK0,
        *map(str, X),
        str(REROLL_X),
        LOTTERY_TEXT,
        *LOTTERY_PRINTED,
        "d72f9517edca34d17291ec1a8fce66b9",
    ],
)
def test_the_doc_prints_the_example_numbers(printed):
    assert printed in DOC


def test_seed_commitment_and_entrant_ref():
    assert commitment(SEED) == COMMITMENT
    assert entrant_ref("example-secret", "raffle-42", 7) == "d72f9517edca34d17291ec1a8fce66b9"


def test_snapshot_digest_and_merkle_tree():
    snapshot = encode_weighted(ENTRIES)
    assert snapshot == SNAPSHOT_TEXT.replace(r"\t", "\t").replace(r"\n", "\n").encode()
    assert snapshot_digest(snapshot) == DIGEST
    lines = snapshot_lines(snapshot)
    assert [leaf_hash(line).hex() for line in lines] == list(LEAVES.values())

    def node(left: str, right: str) -> str:
        return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()

    assert node(LEAVES["ann"], LEAVES["bob"]) == NODE_AB
    assert node(LEAVES["cat"], LEAVES["dan"]) == NODE_CD
    assert node(NODE_AB, NODE_CD) == NODE_ABCD
    assert node(NODE_ABCD, LEAVES["eve"]) == ROOT == merkle_root(lines)
    assert inclusion_proof(lines, 3).path == (LEAVES["cat"], NODE_AB, LEAVES["eve"])


def test_beacon_binding_and_key():
    assert round_at(CLOSED_AT + MARGIN) == 999
    assert round_for_close(CLOSED_AT, MARGIN) == ROUND
    assert round_time(ROUND) == 1692806364
    assert hashlib.sha256(bytes.fromhex(SIGNATURE)).hexdigest() == RANDOMNESS
    assert draw_key(SEED, bytes.fromhex(RANDOMNESS)).hex() == KEY
    assert draw_key(SEED, None).hex() == KEY_WITHOUT_BEACON


def test_stream_block_and_integers():
    key = bytes.fromhex(KEY)
    block = hmac.new(key, b"luckyclub-draw-v1/draw" + bytes(8), hashlib.sha256).hexdigest()
    assert block == BLOCK0.replace(" ", "")
    stream = RandomStream(key, context_label(0))
    assert [stream.next_u64() for _ in X] == X
    assert RandomStream(key, context_label(1)).next_u64() == REROLL_X


def test_weighted_winners_distinct_not_distinct_and_reroll():
    key = bytes.fromhex(KEY)
    distinct = draw_weighted(key, ENTRIES, 3)
    assert [(w.ticket, w.entrant) for w in distinct.winners] == [
        (4, "cat"),
        (10, "dan"),
        (14, "eve"),
    ]
    assert (X[0] % 17, X[1] % 11, X[2] % 8) == (4, 4, 5)

    repeated = draw_weighted(key, ENTRIES, 3, distinct_entrants=False)
    assert [(w.ticket, w.entrant) for w in repeated.winners] == [
        (4, "cat"),
        (0, "ann"),
        (15, "eve"),
    ]
    assert (X[1] % 16, X[2] % 15) == (3, 13)

    reroll = draw_weighted(key, ENTRIES, 1, exclude={"cat", "dan"}, reroll=1)
    assert [(w.ticket, w.entrant) for w in reroll.winners] == [(13, "eve")]
    assert REROLL_X % 8 == 4


def test_lottery_winners_and_waitlists():
    assert encode_lottery(LOTTERY_ENTRIES).decode() == LOTTERY_TEXT.replace(r"\t", "\t").replace(
        r"\n", "\n"
    )
    result = draw_lottery(
        bytes.fromhex(KEY),
        LOTTERY_ELEMENTS,
        LOTTERY_ENTRIES,
        per_member_limit=2,
        groups=LOTTERY_GROUPS,
    )
    fri, sat, sun = result.elements
    assert (fri.winners, fri.waitlist) == (("fay", "cat"), ())
    assert (sat.winners, sat.waitlist) == (("ann", "cat"), ())
    assert (sun.winners, sun.waitlist) == (("eve", "ann"), ("fay", "bob", "dan", "cat"))
    # The steps the doc shows: Fri's and Sun's levels, then Sun's waitlist.
    assert (X[0] % 2, X[4] % 2, X[6] % 2, X[7] % 3, X[8] % 2) == (1, 1, 0, 2, 1)


def test_the_example_lottery_proof_verifies():
    proof = make_proof(
        seed=SEED,
        snapshot=encode_lottery(LOTTERY_ENTRIES),
        parameters=LotteryDraw(LOTTERY_ELEMENTS, per_member_limit=2, groups=LOTTERY_GROUPS),
        closed_at=CLOSED_AT,
        beacon=BeaconRound(ROUND, RANDOMNESS, SIGNATURE),
        beacon_margin_seconds=MARGIN,
    )
    assert proof["parameters"]["groups"] == [{"element": "Sun", "refs": ["bob", "dan"]}]
    assert proof["result"]["elements"][2] == {
        "name": "Sun",
        "winners": ["eve", "ann"],
        "waitlist": ["fay", "bob", "dan", "cat"],
    }
    assert verify(proof).ok


def test_the_example_proof_verifies():
    proof = make_proof(
        seed=SEED,
        snapshot=encode_weighted(ENTRIES),
        parameters=WeightedDraw(winners=3),
        closed_at=CLOSED_AT,
        beacon=BeaconRound(ROUND, RANDOMNESS, SIGNATURE),
        beacon_margin_seconds=MARGIN,
    )
    assert proof["result"]["winners"][1] == {"ticket": 10, "entrant": "dan"}
    assert (proof["snapshot_digest"], proof["merkle_root"]) == (DIGEST, ROOT)
    assert verify(proof).ok

"""The public proof: made by running the draw, checked by re-running it, every difference named."""

import copy
import json

import pytest

from luckyclub.draws import (
    ALGORITHM,
    BeaconRound,
    Element,
    LotteryDraw,
    TicketDraw,
    WeightedDraw,
    encode_lottery,
    encode_tickets,
    encode_weighted,
    make_proof,
    round_time,
    verify,
)
from luckyclub.draws.proof import parameters_from_dict

SEED = bytes(range(32))
BEACON = BeaconRound(
    round=1000,
    randomness="fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
    signature=(
        "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
        "e342b73a8dd2bacbe47e4b6b63ed5e39"
    ),
)
MARGIN = 30
CLOSED_AT = round_time(999) - MARGIN  # so the first round after close + margin is 1000
POOL = [(f"entrant{i:02}", 1 + i % 5) for i in range(40)]


@pytest.fixture
def proof() -> dict:
    proof = make_proof(
        seed=SEED,
        snapshot=encode_weighted(POOL),
        parameters=WeightedDraw(winners=3),
        closed_at=CLOSED_AT,
        beacon=BEACON,
        beacon_margin_seconds=MARGIN,
    )
    return json.loads(json.dumps(proof))  # what a verifier downloads


def test_a_good_proof_is_verified(proof):
    report = verify(proof)
    assert report.ok
    assert report.summary == "verified"
    assert proof["algorithm"] == ALGORITHM
    assert len(proof["result"]["winners"]) == 3


def test_a_tampered_seed_no_longer_matches_the_commitment(proof):
    proof["seed"] = "ff" + proof["seed"][2:]
    report = verify(proof)

    assert not report.ok
    assert report.differences[0].startswith("commitment does not match the seed: expected ")
    assert any(d.startswith("winner ") for d in report.differences)  # a new seed, new winners


def test_a_tampered_snapshot_is_named_with_both_digests(proof):
    published = proof["snapshot_digest"]
    proof["snapshot"] = proof["snapshot"].replace("entrant07\t3", "entrant07\t300")
    report = verify(proof)

    digest_line = next(d for d in report.differences if d.startswith("snapshot digest differs"))
    assert digest_line.endswith(f"got {published}")
    assert any(d.startswith("merkle root differs") for d in report.differences)


def test_a_tampered_beacon_randomness_is_named(proof):
    proof["beacon"]["randomness"] = "00" * 32
    assert verify(proof).differences == (
        f"beacon randomness differs: expected {BEACON.randomness} got {'00' * 32}",
    )


def test_a_tampered_beacon_signature_is_named(proof):
    proof["beacon"]["signature"] = "b" + "4" * 95
    (difference,) = verify(proof).differences
    assert difference.startswith("beacon signature does not verify")


def test_a_beacon_round_other_than_the_bound_one_is_named(proof):
    proof["closed_at"] += 3  # now round 1001 is the first after close + margin
    assert verify(proof).differences == (
        "beacon round differs: expected 1001 (the first drand round after close + 30 s) got 1000",
    )


def test_a_tampered_winner_is_named_by_position(proof):
    real = proof["result"]["winners"][1]
    proof["result"]["winners"][1] = {"ticket": 0, "entrant": "entrant00"}
    assert verify(proof).differences == (
        f"winner 2 differs: expected ticket {real['ticket']} (entrant {real['entrant']}) "
        "got ticket 0 (entrant entrant00)",
    )


def test_a_missing_winner_is_named(proof):
    proof["result"]["winners"].pop()
    assert verify(proof).differences == ("number of winners differs: expected 3 got 2",)


def test_changed_parameters_change_the_expected_winners(proof):
    proof["parameters"]["winners"] = 4
    assert "number of winners differs: expected 4 got 3" in verify(proof).differences


def test_a_malformed_proof_is_reported_not_raised(proof):
    for mutate in (
        lambda p: p.pop("seed"),
        lambda p: p.update(seed="nothex"),
        lambda p: p.update(algorithm="luckyclub-draw-v9"),
        lambda p: p.update(parameters={"winners": "3"}),
        lambda p: p.update(snapshot="no newline"),
        lambda p: p.update(result=None),
        lambda p: p["beacon"].pop("round"),
    ):
        broken = copy.deepcopy(proof)
        mutate(broken)
        report = verify(broken)
        assert not report.ok and report.summary.startswith("not verified")
    assert not verify([]).ok  # type: ignore[arg-type]


def test_a_draw_without_a_beacon_records_why_and_verifies():
    proof = make_proof(
        seed=SEED,
        snapshot=encode_tickets([(n, f"owner{n % 3}") for n in range(1, 30)]),
        parameters=TicketDraw(winners=2, distinct_owners=True),
        closed_at=CLOSED_AT,
        beacon=None,
        no_beacon_reason="The beacon is off for this competition.",
    )
    assert proof["beacon"] is None
    assert verify(proof).ok
    proof["no_beacon_reason"] = ""
    assert verify(proof).differences == (
        "the draw has no beacon and the proof gives no reason why",
    )


def test_a_draw_without_a_beacon_must_say_why():
    with pytest.raises(ValueError, match="no_beacon_reason"):
        make_proof(
            seed=SEED,
            snapshot=b"",
            parameters=WeightedDraw(winners=1),
            closed_at=CLOSED_AT,
            beacon=None,
        )


def test_make_proof_refuses_a_beacon_round_the_draw_is_not_bound_to():
    with pytest.raises(ValueError, match="bound to drand round 1001"):
        make_proof(
            seed=SEED,
            snapshot=encode_weighted(POOL),
            parameters=WeightedDraw(winners=1),
            closed_at=CLOSED_AT + 3,
            beacon=BEACON,
            beacon_margin_seconds=MARGIN,
        )


def test_a_reroll_proof_verifies_and_excludes_earlier_winners(proof):
    earlier = [w["entrant"] for w in proof["result"]["winners"]]
    reroll = make_proof(
        seed=SEED,
        snapshot=encode_weighted(POOL),
        parameters=WeightedDraw(winners=1, exclude=tuple(earlier), reroll=1),
        closed_at=CLOSED_AT,
        beacon=BEACON,
        beacon_margin_seconds=MARGIN,
    )
    assert verify(reroll).ok
    assert reroll["result"]["winners"][0]["entrant"] not in earlier
    reroll["parameters"]["reroll"] = 2
    assert any(d.startswith("winner 1 differs") for d in verify(reroll).differences)


LOTTERY_ENTRIES = [("Sat", r) for r in "abcde"] + [("Sun", r) for r in "abcdef"]
LOTTERY = LotteryDraw(
    elements=(Element("Sat", 2), Element("Sun", 3)),
    per_member_limit=1,
    groups=(("Sat", ("a", "b")), ("Sun", ("c", "d", "e"))),
)


@pytest.fixture
def lottery_proof() -> dict:
    proof = make_proof(
        seed=SEED,
        snapshot=encode_lottery(LOTTERY_ENTRIES),
        parameters=LOTTERY,
        closed_at=CLOSED_AT,
        beacon=BEACON,
        beacon_margin_seconds=MARGIN,
    )
    return json.loads(json.dumps(proof))


def test_a_lottery_proof_writes_its_groups_and_verifies(lottery_proof):
    assert lottery_proof["parameters"] == {
        "elements": [{"name": "Sat", "spots": 2}, {"name": "Sun", "spots": 3}],
        "per_member_limit": 1,
        "waitlist": True,
        "groups": [
            {"element": "Sat", "refs": ["a", "b"]},
            {"element": "Sun", "refs": ["c", "d", "e"]},
        ],
    }
    assert parameters_from_dict("lottery", lottery_proof["parameters"]) == LOTTERY
    assert verify(lottery_proof).ok


def test_a_lottery_proof_names_a_changed_waitlist(lottery_proof):
    waitlist = lottery_proof["result"]["elements"][1]["waitlist"]
    waitlist[0], waitlist[1] = waitlist[1], waitlist[0]
    assert verify(lottery_proof).differences == (
        f"element 'Sun' waitlist position 1 differs: expected {waitlist[1]!r} got {waitlist[0]!r}",
        f"element 'Sun' waitlist position 2 differs: expected {waitlist[0]!r} got {waitlist[1]!r}",
    )


def test_a_lottery_proof_without_its_groups_draws_other_winners(lottery_proof):
    lottery_proof["parameters"]["groups"] = []
    assert any(" winner" in d for d in verify(lottery_proof).differences)


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        (None, "parameters are malformed"),
        ([{"element": "Sat", "refs": "ab"}], "parameters are malformed"),
        ([["Sat", ["a", "b"]]], "parameters are malformed"),
        ([{"element": "Sat", "refs": ["b", "a"]}], "ascending order without repeats"),
        ([{"element": "Sat", "refs": ["a", "f"]}], "'f' has no entry for 'Sat'"),
        (
            [{"element": "Sun", "refs": ["c", "d"]}, {"element": "Sat", "refs": ["a", "b"]}],
            "not sorted by element, then first ref",
        ),
    ],
)
def test_a_lottery_proof_with_groups_that_break_the_rules_is_refused(lottery_proof, groups, reason):
    lottery_proof["parameters"]["groups"] = groups
    (difference,) = verify(lottery_proof).differences
    assert reason in difference


def test_the_verify_command_checks_a_lottery_proof_file_and_an_entrants_lines(
    lottery_proof, tmp_path, capsys
):
    from luckyclub import cli

    good, bad = tmp_path / "lottery.json", tmp_path / "tampered.json"
    good.write_text(json.dumps(lottery_proof))
    assert cli.main(["verify", str(good), "--ref", "c", "--entries", "2"]) == 0
    out = capsys.readouterr().out
    assert "c entered 'Sat', 'Sun'" in out
    assert "verified: luckyclub-draw-v1, drand round 1000, 2 result(s) re-run" in out

    sun = lottery_proof["result"]["elements"][1]
    sun["waitlist"] = sun["waitlist"][::-1]
    bad.write_text(json.dumps(lottery_proof))
    assert cli.main(["verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "not verified" in out and "element 'Sun' waitlist position 1 differs" in out


# The rules docs/fairness.md states for independent verifiers ("Exact rules").


def _reroll_proof(exclude: tuple[str, ...]) -> dict:
    proof = make_proof(
        seed=SEED,
        snapshot=encode_weighted(POOL),
        parameters=WeightedDraw(winners=1, exclude=exclude, reroll=1),
        closed_at=CLOSED_AT,
        beacon=BEACON,
        beacon_margin_seconds=MARGIN,
    )
    return json.loads(json.dumps(proof))


def test_a_proof_lists_exclusions_ascending_once_and_a_verifier_refuses_any_other_form():
    proof = _reroll_proof(("entrant07", "entrant03"))
    assert proof["parameters"]["exclude"] == ["entrant03", "entrant07"]
    assert verify(proof).ok

    for listed in (["entrant07", "entrant03"], ["entrant03", "entrant03", "entrant07"]):
        proof["parameters"]["exclude"] = listed
        (difference,) = verify(proof).differences
        assert "parameters are malformed" in difference and "ascending" in difference


def test_excluding_an_entrant_who_is_not_in_the_pool_is_refused():
    proof = _reroll_proof(("entrant03",))
    proof["parameters"]["exclude"] = ["entrant03", "nobody"]
    (difference,) = verify(proof).differences
    assert "cannot be re-run" in difference and "'nobody': it is not in the pool" in difference


def test_total_weight_counts_every_entry_of_the_snapshot_before_exclusions():
    proof = _reroll_proof(("entrant03", "entrant07"))
    assert proof["result"]["total_weight"] == sum(weight for _, weight in POOL)


def test_a_pool_of_more_than_two_to_the_64_tickets_is_refused_in_words():
    snapshot = encode_weighted([("a", 2**63), ("b", 2**63), ("c", 1)])
    with pytest.raises(ValueError, match="at most 2\\^64"):
        make_proof(
            seed=SEED,
            snapshot=snapshot,
            parameters=WeightedDraw(winners=1),
            closed_at=CLOSED_AT,
            beacon=None,
            no_beacon_reason="test",
        )
    exactly = encode_weighted([("a", 2**63), ("b", 2**63)])
    proof = make_proof(
        seed=SEED,
        snapshot=exactly,
        parameters=WeightedDraw(winners=2),
        closed_at=CLOSED_AT,
        beacon=None,
        no_beacon_reason="test",
    )
    assert verify(json.loads(json.dumps(proof))).ok


@pytest.mark.parametrize("name", ["", "Sat\tx", "Sat\x7f", "Sat"])
def test_lottery_element_names_follow_the_snapshot_field_rules(name):
    with pytest.raises(ValueError, match="Element names must be unique, non-empty"):
        make_proof(
            seed=SEED,
            snapshot=encode_lottery([("Sat", "a")]),
            parameters=LotteryDraw(elements=(Element("Sat", 1), Element(name, 1))),
            closed_at=CLOSED_AT,
            beacon=None,
            no_beacon_reason="test",
        )


def test_a_lottery_without_waitlists_writes_empty_waitlists_and_zero_spots_is_allowed():
    proof = make_proof(
        seed=SEED,
        snapshot=encode_lottery([("Sat", "a"), ("Sat", "b"), ("Sun", "a")]),
        parameters=LotteryDraw(elements=(Element("Sat", 0), Element("Sun", 1)), waitlist=False),
        closed_at=CLOSED_AT,
        beacon=None,
        no_beacon_reason="test",
    )
    assert proof["result"]["elements"] == [
        {"name": "Sat", "winners": [], "waitlist": []},
        {"name": "Sun", "winners": ["a"], "waitlist": []},
    ]
    proof["result"]["elements"][0].pop("waitlist")
    assert (
        "element 'Sat' waitlist positions are missing from the result"
        in verify(json.loads(json.dumps(proof))).differences
    )


def test_a_snapshot_element_missing_from_the_parameters_is_refused():
    with pytest.raises(ValueError, match="not one of the elements"):
        make_proof(
            seed=SEED,
            snapshot=encode_lottery([("Sat", "a"), ("Sun", "a")]),
            parameters=LotteryDraw(elements=(Element("Sat", 1),)),
            closed_at=CLOSED_AT,
            beacon=None,
            no_beacon_reason="test",
        )

"""The public proof of a draw (a JSON object) and the check that re-runs it from scratch.

make_proof runs the draw from the frozen snapshot bytes and records everything needed to repeat it;
verify repeats it and names every difference it finds. Field by field in docs/fairness.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from luckyclub.draws.beacon import (
    CHAIN_HASH,
    GENESIS,
    NETWORK,
    BeaconInvalid,
    BeaconRound,
    round_for_close,
    verify_beacon,
)
from luckyclub.draws.merkle import merkle_root
from luckyclub.draws.snapshot import (
    LOTTERY,
    TICKETS,
    WEIGHTED,
    SnapshotError,
    decode_columns,
    snapshot_digest,
    snapshot_lines,
)
from luckyclub.draws.stream import ALGORITHM, commitment, draw_key
from luckyclub.draws.winners import (
    Element,
    Group,
    LotteryResult,
    TicketResult,
    WeightedResult,
    draw_lottery,
    draw_tickets_columns,
    draw_weighted_columns,
)

_HEX32 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class WeightedDraw:
    """How a weighted pool (a raffle) is drawn."""

    winners: int
    distinct_entrants: bool = True
    exclude: tuple[str, ...] = ()
    reroll: int = 0


@dataclass(frozen=True)
class TicketDraw:
    """How a numbered-ticket pool (a competition) is drawn."""

    winners: int
    distinct_owners: bool = False
    exclude: tuple[int, ...] = ()
    reroll: int = 0


@dataclass(frozen=True)
class LotteryDraw:
    """How a signup lottery is drawn: its elements in processing order, and the groups of family
    members entered together for one element, sorted by element, then first ref."""

    elements: tuple[Element, ...]
    per_member_limit: int | None = None
    waitlist: bool = True
    groups: tuple[Group, ...] = ()


DrawParameters = WeightedDraw | TicketDraw | LotteryDraw
DrawResult = WeightedResult | TicketResult | LotteryResult


@dataclass(frozen=True)
class VerifyReport:
    """What verify found: no differences means the draw is verified."""

    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def summary(self) -> str:
        if self.ok:
            return "verified"
        count = len(self.differences)
        return f"not verified: {count} difference{'s' if count > 1 else ''}"


def kind_of(parameters: DrawParameters) -> str:
    return {WeightedDraw: WEIGHTED, TicketDraw: TICKETS, LotteryDraw: LOTTERY}[type(parameters)]


def run_draw(key: bytes, snapshot: bytes, parameters: DrawParameters) -> DrawResult:
    """The draw on exactly the snapshot's entries (decoded strictly) with the given parameters."""
    first, second = decode_columns(kind_of(parameters), snapshot)
    if isinstance(parameters, WeightedDraw):
        return draw_weighted_columns(
            key,
            first,
            second,
            parameters.winners,
            distinct_entrants=parameters.distinct_entrants,
            exclude=parameters.exclude,
            reroll=parameters.reroll,
        )
    if isinstance(parameters, TicketDraw):
        return draw_tickets_columns(
            key,
            first,
            second,
            parameters.winners,
            distinct_owners=parameters.distinct_owners,
            exclude=parameters.exclude,
            reroll=parameters.reroll,
        )
    return draw_lottery(
        key,
        parameters.elements,
        zip(first, second, strict=True),
        per_member_limit=parameters.per_member_limit,
        waitlist=parameters.waitlist,
        groups=parameters.groups,
    )


def make_proof(
    *,
    seed: bytes,
    snapshot: bytes,
    parameters: DrawParameters,
    closed_at: int | datetime,
    beacon: BeaconRound | None,
    beacon_margin_seconds: int = 0,
    no_beacon_reason: str | None = None,
) -> dict:
    """Run the draw and return its public proof (JSON-able); the result is proof["result"]."""
    closed = _closed_at_seconds(closed_at)
    if beacon is None:
        if not no_beacon_reason:
            raise ValueError("A draw without a beacon must say why (no_beacon_reason).")
        beacon_field = None
    else:
        expected = round_for_close(closed, beacon_margin_seconds)
        if beacon.round != expected:
            raise ValueError(
                f"The draw is bound to drand round {expected}, not {beacon.round} "
                f"(close + {beacon_margin_seconds} s)."
            )
        verify_beacon(beacon.round, beacon.signature, beacon.randomness)
        beacon_field = beacon.to_dict() | {"margin_seconds": beacon_margin_seconds}
        no_beacon_reason = None
    randomness = None if beacon is None else bytes.fromhex(beacon.randomness)
    result = run_draw(draw_key(seed, randomness), snapshot, parameters)
    return {
        "algorithm": ALGORITHM,
        "kind": kind_of(parameters),
        "commitment": commitment(seed),
        "seed": seed.hex(),
        "closed_at": closed,
        "beacon": beacon_field,
        "no_beacon_reason": no_beacon_reason,
        "snapshot": snapshot.decode("utf-8"),
        "snapshot_digest": snapshot_digest(snapshot),
        "merkle_root": merkle_root(snapshot_lines(snapshot)),
        "parameters": parameters_to_dict(parameters),
        "result": result_to_dict(result),
    }


def parameters_to_dict(parameters: DrawParameters) -> dict:
    if isinstance(parameters, WeightedDraw):
        return {
            "winners": parameters.winners,
            "distinct_entrants": parameters.distinct_entrants,
            "exclude": sorted(parameters.exclude),
            "reroll": parameters.reroll,
        }
    if isinstance(parameters, TicketDraw):
        return {
            "winners": parameters.winners,
            "distinct_owners": parameters.distinct_owners,
            "exclude": sorted(parameters.exclude),
            "reroll": parameters.reroll,
        }
    return {
        "elements": [{"name": e.name, "spots": e.spots} for e in parameters.elements],
        "per_member_limit": parameters.per_member_limit,
        "waitlist": parameters.waitlist,
        "groups": [{"element": name, "refs": list(refs)} for name, refs in parameters.groups],
    }


def parameters_from_dict(kind: str, data: dict) -> DrawParameters:
    """The parameters of a proof; ValueError/KeyError/TypeError when they are malformed."""
    if kind == WEIGHTED:
        return WeightedDraw(
            winners=_int(data["winners"]),
            distinct_entrants=_bool(data["distinct_entrants"]),
            exclude=_ascending([_str(ref) for ref in data["exclude"]]),
            reroll=_int(data["reroll"]),
        )
    if kind == TICKETS:
        return TicketDraw(
            winners=_int(data["winners"]),
            distinct_owners=_bool(data["distinct_owners"]),
            exclude=_ascending([_int(number) for number in data["exclude"]]),
            reroll=_int(data["reroll"]),
        )
    limit = data["per_member_limit"]
    return LotteryDraw(
        elements=tuple(Element(_str(e["name"]), _int(e["spots"])) for e in data["elements"]),
        per_member_limit=None if limit is None else _int(limit),
        waitlist=_bool(data["waitlist"]),
        groups=tuple(
            (_str(group["element"]), tuple(_str(ref) for ref in _list(group["refs"])))
            for group in map(_dict, _list(data["groups"]))
        ),
    )


def result_to_dict(result: DrawResult) -> dict:
    if isinstance(result, LotteryResult):
        return {
            "elements": [
                {"name": e.name, "winners": list(e.winners), "waitlist": list(e.waitlist)}
                for e in result.elements
            ]
        }
    winners = [{"ticket": w.ticket, "entrant": w.entrant} for w in result.winners]
    if isinstance(result, WeightedResult):
        return {"total_weight": result.total_weight, "winners": winners}
    return {"winners": winners}


def verify(proof: dict) -> VerifyReport:
    """Re-run everything in a proof; every mismatch becomes one sentence in the report."""
    differences: list[str] = []
    try:
        _verify(proof, differences)
    except _Stop as stop:
        differences.append(str(stop))
    except (TypeError, ValueError, KeyError, AttributeError) as error:  # a shape not foreseen
        differences.append(f"the proof is malformed: {type(error).__name__} {error}")
    return VerifyReport(differences=tuple(differences))


class _Stop(Exception):
    """A difference after which nothing further can be checked."""


def _verify(proof: dict, differences: list[str]) -> None:
    if not isinstance(proof, dict):
        raise _Stop("the proof is not a JSON object")
    field = _Fields(proof)
    if field("algorithm") != ALGORITHM:
        raise _Stop(f"algorithm is {proof['algorithm']!r}; this verifier implements {ALGORITHM}")
    kind = field("kind")
    if kind not in (WEIGHTED, TICKETS, LOTTERY):
        raise _Stop(f"kind is {kind!r}; expected weighted, tickets or lottery")

    seed_hex = field("seed")
    if not isinstance(seed_hex, str) or not _HEX32.fullmatch(seed_hex):
        raise _Stop("seed is not 64 lowercase hex digits (32 bytes)")
    seed = bytes.fromhex(seed_hex)
    expected_commitment = commitment(seed)
    if field("commitment") != expected_commitment:
        differences.append(
            f"commitment does not match the seed: expected {expected_commitment} "
            f"(SHA-256 of the seed) got {proof['commitment']}"
        )

    text = field("snapshot")
    if not isinstance(text, str):
        raise _Stop("snapshot is not text")
    snapshot = text.encode("utf-8")
    _same(
        differences,
        "snapshot digest",
        snapshot_digest(snapshot),
        field("snapshot_digest"),
        "SHA-256 of the proof's snapshot",
    )
    try:
        lines = snapshot_lines(snapshot)
    except SnapshotError as error:
        raise _Stop(f"snapshot is malformed: {error}") from None
    _same(
        differences,
        "merkle root",
        merkle_root(lines),
        field("merkle_root"),
        "over the proof's snapshot",
    )

    randomness = _check_beacon(field, differences)

    try:
        parameters = parameters_from_dict(kind, _dict(field("parameters")))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _Stop(f"parameters are malformed: {type(error).__name__} {error}") from None
    try:
        expected = result_to_dict(run_draw(draw_key(seed, randomness), snapshot, parameters))
    except ValueError as error:  # SnapshotError included
        raise _Stop(f"the draw cannot be re-run: {error}") from None
    _compare_result(kind, expected, field("result"), differences)


def _check_beacon(field: _Fields, differences: list[str]) -> bytes | None:
    """The beacon randomness the draw used (None for no beacon), after checking it."""
    closed_at = field("closed_at")
    beacon = field("beacon")
    if beacon is None:
        reason = field("no_beacon_reason")
        if not isinstance(reason, str) or not reason.strip():
            differences.append("the draw has no beacon and the proof gives no reason why")
        return None
    if not isinstance(beacon, dict):
        raise _Stop("beacon is neither null nor an object")
    sub = _Fields(beacon, "beacon.")
    if sub("network") != NETWORK or sub("chain_hash") != CHAIN_HASH:
        differences.append(
            f"beacon is not drand quicknet: expected chain {CHAIN_HASH} "
            f"got {beacon['network']} {beacon['chain_hash']}"
        )
    round_number, margin = sub("round"), sub("margin_seconds")
    if type(closed_at) is not int or type(margin) is not int or margin < 0:
        differences.append("closed_at and beacon.margin_seconds must be whole numbers of seconds")
    elif closed_at < GENESIS:
        differences.append("closed_at is before drand quicknet began; no round can be bound")
    else:
        bound = round_for_close(closed_at, margin)
        if round_number != bound:
            differences.append(
                f"beacon round differs: expected {bound} (the first drand round after close "
                f"+ {margin} s) got {round_number!r}"
            )
    claimed = sub("randomness")
    try:
        verified = verify_beacon(round_number, sub("signature"))
    except BeaconInvalid as error:
        differences.append(f"beacon signature does not verify: {error}")
        if not isinstance(claimed, str) or not _HEX32.fullmatch(claimed):
            raise _Stop("beacon randomness is not 64 lowercase hex digits") from None
        return bytes.fromhex(claimed)
    if claimed != verified:
        differences.append(f"beacon randomness differs: expected {verified} got {claimed}")
    return bytes.fromhex(verified)


def _compare_result(kind: str, expected: dict, claimed: object, differences: list[str]) -> None:
    if not isinstance(claimed, dict):
        differences.append("result is not an object")
        return
    if kind == WEIGHTED and claimed.get("total_weight") != expected["total_weight"]:
        differences.append(
            f"total weight differs: expected {expected['total_weight']} "
            f"got {claimed.get('total_weight')}"
        )
    if kind in (WEIGHTED, TICKETS):
        _compare_list(
            "winner", expected["winners"], claimed.get("winners"), _describe_winner, differences
        )
        return
    elements = claimed.get("elements")
    if not isinstance(elements, list):
        differences.append("result has no list of elements")
        return
    if len(elements) != len(expected["elements"]):
        differences.append(
            f"number of elements differs: expected {len(expected['elements'])} got {len(elements)}"
        )
    for want, got in zip(expected["elements"], elements, strict=False):
        name = want["name"]
        if not isinstance(got, dict) or got.get("name") != name:
            differences.append(f"element {name!r} is missing or out of order in the result")
            continue
        for part, label in (("winners", "winner"), ("waitlist", "waitlist position")):
            _compare_list(f"element {name!r} {label}", want[part], got.get(part), repr, differences)


def _compare_list(label, expected: list, claimed: object, describe, differences: list[str]) -> None:
    if not isinstance(claimed, list):
        differences.append(f"{label}s are missing from the result")
        return
    if len(claimed) != len(expected):
        differences.append(
            f"number of {label}s differs: expected {len(expected)} got {len(claimed)}"
        )
    for position, (want, got) in enumerate(zip(expected, claimed, strict=False), start=1):
        if want != got:
            differences.append(
                f"{label} {position} differs: expected {describe(want)} got {describe(got)}"
            )


def _describe_winner(winner: object) -> str:
    if isinstance(winner, dict):
        return f"ticket {winner.get('ticket')} (entrant {winner.get('entrant')})"
    return repr(winner)


def _same(differences: list[str], what: str, expected: str, claimed: object, source: str) -> None:
    if claimed != expected:
        differences.append(f"{what} differs: expected {expected} ({source}) got {claimed}")


class _Fields:
    """Reads required fields, stopping with "the proof is missing field …" when one is absent."""

    def __init__(self, data: dict, prefix: str = "") -> None:
        self._data, self._prefix = data, prefix

    def __call__(self, name: str) -> object:
        if name not in self._data:
            raise _Stop(f"the proof is missing field '{self._prefix}{name}'")
        return self._data[name]


def _closed_at_seconds(closed_at: int | datetime) -> int:
    if isinstance(closed_at, datetime):
        if closed_at.tzinfo is None:
            raise ValueError("Give closed_at as a timezone-aware datetime (UTC).")
        return math.floor(closed_at.timestamp())
    if type(closed_at) is not int:
        raise TypeError("closed_at is UNIX seconds (an int) or a timezone-aware datetime.")
    return closed_at


def _ascending(values: list) -> tuple:
    """An `exclude` list as a proof writes it: ascending, each value once (one form per draw)."""
    if any(a >= b for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("exclude is not in ascending order without repeats")
    return tuple(values)


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"{value!r} is not a whole number")
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise TypeError(f"{value!r} is not true or false")
    return value


def _list(value: object) -> list:
    if not isinstance(value, list):
        raise TypeError(f"{value!r} is not a list")
    return value


def _dict(value: object) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{value!r} is not an object")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not text")
    return value

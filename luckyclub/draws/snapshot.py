"""The frozen list of entries a draw is run on: canonical bytes, their digest, and entrant refs.

A snapshot is UTF-8 text, one entry a line, each line two fields joined by a tab and ended by a
newline, sorted so that the same entries always give the same bytes (docs/fairness.md, "Snapshot").
Pools can hold a million entrants, so entries are kept as parallel lists ("columns") and checked
with whole-list operations rather than one Python object per entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import islice
from operator import itemgetter, lt

WEIGHTED = "weighted"
TICKETS = "tickets"
LOTTERY = "lottery"
KINDS = (WEIGHTED, TICKETS, LOTTERY)

_REF_LABEL = b"luckyclub-entrant-v1"
_BLOCK = 64  # SHA-256's block size, in bytes: an HMAC key is padded to it
_IPAD = bytes(byte ^ 0x36 for byte in range(256))  # translation tables: key XOR ipad, key XOR opad
_OPAD = bytes(byte ^ 0x5C for byte in range(256))
_FIELD = re.compile(r"[^\x00-\x1f\x7f]+")
# Control characters, as the UTF-8 bytes that encode them (no multi-byte sequence holds these).
_CONTROL = bytes([*range(0x00, 0x20), 0x7F])
_CONTROL_BUT_TAB_LF = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class SnapshotError(ValueError):
    """Entries or snapshot bytes that break the snapshot rules; the message says which and where."""


def entrant_ref(secret_key: bytes | str, pool_id: str, user_id: int) -> str:
    """A pseudonym for one member in one pool: stable within the pool, unlinkable across pools.

    HMAC-SHA256(secret_key, "luckyclub-entrant-v1" 0x00 pool_id 0x00 decimal user_id), the first
    32 hex digits (128 bits). Only the server, holding the key, can tell who a ref is.
    """
    return next(entrant_refs(secret_key, pool_id, [user_id]))


def entrant_refs(secret_key: bytes | str, pool_id: str, user_ids: Iterable[int]) -> Iterator[str]:
    """entrant_ref of many members of one pool, in their order, made as they are read: a million
    in well under a second.

    The HMAC (RFC 2104) is spelled out with hashlib so that its keyed inner and outer hashes, and
    the inner hash of the message's common start, are computed once and copied for each member;
    hmac.new per member costs three times as much.
    """
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    if not secret_key:
        raise ValueError("An entrant ref needs a non-empty secret key.")
    if not pool_id or "\x00" in pool_id:
        raise ValueError("A pool id is a non-empty text without NUL characters.")
    if len(secret_key) > _BLOCK:
        secret_key = hashlib.sha256(secret_key).digest()
    secret_key = secret_key.ljust(_BLOCK, b"\x00")
    inner = hashlib.sha256(secret_key.translate(_IPAD))
    inner.update(b"\x00".join((_REF_LABEL, pool_id.encode("utf-8"), b"")))
    outer = hashlib.sha256(secret_key.translate(_OPAD))
    return _refs(inner, outer, user_ids)


def _refs(inner, outer, user_ids: Iterable[int]) -> Iterator[str]:
    for user_id in user_ids:
        if type(user_id) is not int or user_id < 0:
            raise ValueError("A user id is a whole number, 0 or more.")
        message = inner.copy()
        message.update(b"%d" % user_id)
        mac = outer.copy()
        mac.update(message.digest())
        yield mac.hexdigest()[:32]


# Columns: entries in canonical order, checked.


def weighted_columns(entries: Iterable[tuple[str, int]]) -> tuple[list[str], list[int]]:
    """Refs and weights of a weighted pool in canonical order (ref ascending)."""
    pairs = list(entries)
    with suppress(TypeError):  # refs that are not all text: reported by _check_fields below
        pairs.sort(key=_FIRST)
    refs = list(map(_FIRST, pairs))
    weights = list(map(_SECOND, pairs))
    _check_fields(refs, "entrant ref")
    if weights and (set(map(type, weights)) != {int} or min(weights) < 1):
        ref, weight = next(p for p in pairs if type(p[1]) is not int or p[1] < 1)
        raise SnapshotError(
            f"Entrant {ref!r} has weight {weight!r}; a weight is a whole number, 1 or more."
        )
    _check_increasing(refs, "entrant ref")
    return refs, weights


def ticket_columns(entries: Iterable[tuple[int, str]]) -> tuple[list[int], list[str]]:
    """Ticket numbers and owners of a ticket pool in canonical order (number ascending)."""
    pairs = list(entries)
    numbers = list(map(_FIRST, pairs))
    if numbers and (set(map(type, numbers)) != {int} or min(numbers) < 0):
        bad = next(n for n in numbers if type(n) is not int or n < 0)
        raise SnapshotError(f"Ticket number {bad!r} is not a whole number, 0 or more.")
    pairs.sort(key=_FIRST)
    numbers = list(map(_FIRST, pairs))
    owners = list(map(_SECOND, pairs))
    _check_fields(owners, "entrant ref")
    _check_increasing(numbers, "ticket number")
    return numbers, owners


def lottery_pairs(entries: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(element, entrant ref) pairs of a lottery in canonical order (element, then ref)."""
    pairs = [(element, ref) for element, ref in entries]
    _check_fields(list(map(_FIRST, pairs)), "element")
    _check_fields(list(map(_SECOND, pairs)), "entrant ref")
    pairs.sort()
    _check_increasing(pairs, "lottery entry")
    return pairs


# Encoding and decoding.


def encode_weighted(entries: Iterable[tuple[str, int]]) -> bytes:
    """One line "ref<TAB>weight<LF>" per entrant, sorted by ref."""
    return _join(*weighted_columns(entries))


def encode_tickets(entries: Iterable[tuple[int, str]]) -> bytes:
    """One line "ticket_no<TAB>ref<LF>" per ticket, sorted by ticket number."""
    return _join(*ticket_columns(entries))


def encode_lottery(entries: Iterable[tuple[str, str]]) -> bytes:
    """One line "element<TAB>ref<LF>" per lottery entry, sorted by element, then ref."""
    pairs = lottery_pairs(entries)
    return _join(list(map(_FIRST, pairs)), list(map(_SECOND, pairs)))


def decode_columns(kind: str, snapshot: bytes) -> tuple[list, list]:
    """The two columns of canonical snapshot bytes; anything not exactly canonical is refused."""
    if kind not in KINDS:
        raise SnapshotError(f"Unknown pool kind {kind!r}; expected one of {', '.join(KINDS)}.")
    try:
        text = snapshot.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SnapshotError(f"Snapshot is not valid UTF-8 (byte {error.start}).") from None
    if text and not text.endswith("\n"):
        raise SnapshotError("A snapshot ends with a newline.")
    lines = text.count("\n")
    fields = text.replace("\n", "\t").split("\t")
    if len(fields) != 2 * lines + 1:
        raise SnapshotError("Every snapshot line has exactly two fields separated by one tab.")
    if len(snapshot.translate(None, _CONTROL_BUT_TAB_LF)) != len(snapshot) or not all(fields[:-1]):
        raise SnapshotError("A snapshot field is empty or holds a control character.")
    first, second = fields[0:-1:2], fields[1:-1:2]
    if kind == LOTTERY:
        _check_increasing(list(zip(first, second, strict=True)), "lottery entry")
        return first, second
    digits = second if kind == WEIGHTED else first
    if not all(map(_DECIMAL.fullmatch, digits)):
        raise SnapshotError("A snapshot number is not written in decimal without leading zeros.")
    try:
        numbers = list(map(int, digits))
    except ValueError:  # more digits than Python converts by default
        raise SnapshotError("A snapshot number is too long.") from None
    if kind == WEIGHTED:
        if numbers and min(numbers) < 1:
            raise SnapshotError("A snapshot weight is 0; weights are 1 or more.")
        _check_increasing(first, "entrant ref")
        return first, numbers
    _check_increasing(numbers, "ticket number")
    return numbers, second


def decode(kind: str, snapshot: bytes) -> list[tuple]:
    """The entries of canonical snapshot bytes, as (field, field) pairs in snapshot order."""
    return list(zip(*decode_columns(kind, snapshot), strict=True))


def snapshot_digest(snapshot: bytes) -> str:
    """SHA-256 of the snapshot bytes, lowercase hex."""
    return hashlib.sha256(snapshot).hexdigest()


def line_of(snapshot: bytes, first: str) -> list[str] | None:
    """The fields of the line whose first field is `first` (a ref, a ticket number), or None.
    A byte search, without splitting the snapshot's (possibly million) lines."""
    key = f"{first}\t".encode()
    start = 0 if snapshot.startswith(key) else snapshot.find(b"\n" + key) + 1
    if start == 0 and not snapshot.startswith(key):
        return None
    return snapshot[start : snapshot.index(b"\n", start)].decode("utf-8").split("\t")


def snapshot_lines(snapshot: bytes) -> list[bytes]:
    """The Merkle leaves of a snapshot: its lines without their final newline, in order."""
    if snapshot and not snapshot.endswith(b"\n"):
        raise SnapshotError("A snapshot ends with a newline.")
    return snapshot.split(b"\n")[:-1]


_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def _join(first: list, second: list) -> bytes:
    return "".join([f"{a}\t{b}\n" for a, b in zip(first, second, strict=True)]).encode("utf-8")


def _check_fields(values: list, what: str) -> None:
    """Every value is non-empty text without control characters (so without tabs or newlines)."""
    if not values:
        return
    if set(map(type, values)) == {str} and all(values):
        try:
            joined = "".join(values).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            joined = b"\x00"
        if len(joined.translate(None, _CONTROL)) == len(joined):
            return
    bad = next(v for v in values if not valid_field(v))
    raise SnapshotError(
        f"Invalid {what} {bad!r}: it must be non-empty text without tabs, newlines or other "
        "control characters."
    )


def valid_field(value: object) -> bool:
    if not isinstance(value, str) or not _FIELD.fullmatch(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_increasing(sorted_values: list, what: str) -> None:
    if all(map(lt, sorted_values, islice(sorted_values, 1, None))):
        return
    for previous, current in zip(sorted_values, islice(sorted_values, 1, None), strict=False):
        if not previous < current:
            raise SnapshotError(f"Duplicate {what} {current!r} in the entries.")

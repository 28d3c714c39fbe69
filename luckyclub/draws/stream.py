"""The draw's randomness: a key from the seed and the beacon, and a stream of integers from it.

Everything here is specified byte by byte in docs/fairness.md; an independent implementation that
follows it gets the same integers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from itertools import islice

ALGORITHM = "luckyclub-draw-v1"
SEED_BYTES = 32
_KEY_LABEL = f"{ALGORITHM}/key".encode("ascii")
_U64 = 1 << 64


def new_seed() -> bytes:
    """A fresh 32-byte seed for a pool; keep it secret until the draw."""
    return secrets.token_bytes(SEED_BYTES)


def commitment(seed: bytes) -> str:
    """What is published when a pool opens: SHA-256 of the seed, lowercase hex."""
    _check_seed(seed)
    return hashlib.sha256(seed).hexdigest()


def draw_key(seed: bytes, beacon_randomness: bytes | None) -> bytes:
    """SHA-256("luckyclub-draw-v1/key" ‖ seed ‖ beacon randomness), the randomness empty if none.

    The label keeps the key apart from the published commitment SHA-256(seed): without it, a draw
    with no beacon would have the commitment itself as its key, and anyone could run the draw early.
    """
    _check_seed(seed)
    if beacon_randomness is None:
        beacon_randomness = b""
    elif len(beacon_randomness) != 32:
        raise ValueError("Beacon randomness must be 32 bytes.")
    return hashlib.sha256(_KEY_LABEL + seed + beacon_randomness).digest()


def context_label(reroll: int = 0) -> str:
    """The stream a draw reads: "…/draw" for the draw itself, "…/reroll/N" for its N-th reroll."""
    if type(reroll) is not int or reroll < 0:
        raise ValueError("A reroll number is a whole number, 0 for the draw itself.")
    return f"{ALGORITHM}/draw" if reroll == 0 else f"{ALGORITHM}/reroll/{reroll}"


class RandomStream:
    """Block i = HMAC-SHA256(key, context ‖ i as 8 bytes big-endian), i = 0, 1, 2, …

    Each 32-byte block is read as four unsigned 64-bit big-endian integers, in order.
    """

    def __init__(self, key: bytes, context: str) -> None:
        self._prefix = hmac.new(key, context.encode("ascii"), hashlib.sha256)
        self._block = 0
        self._pending: list[int] = []

    def next_u64(self) -> int:
        if not self._pending:
            mac = self._prefix.copy()
            mac.update(self._block.to_bytes(8, "big"))
            digest = mac.digest()
            self._block += 1
            # Reversed so pop() hands them out first to last.
            self._pending = [int.from_bytes(digest[i : i + 8], "big") for i in (24, 16, 8, 0)]
        return self._pending.pop()

    def below(self, n: int) -> int:
        """A uniform integer in [0, n): reject x ≥ 2^64 − (2^64 mod n), then x mod n."""
        return uniform_below(n, self.next_u64)

    def sample(self, n: int, k: int) -> list[int]:
        """k distinct positions of range(n), in drawn order: the first k steps of permutation(n)."""
        if type(k) is not int or not 0 <= k <= n:
            raise ValueError(f"Cannot draw {k} distinct positions out of {n}.")
        return list(islice(self.permutation(n), k))

    def permutation(self, n: int) -> Iterator[int]:
        """The positions of range(n) in shuffled order, one Fisher–Yates step per position asked.

        Same result as: a = [0, …, n−1]; for i = 0, 1, …: j = i + below(n − i); swap a[i] and a[j];
        give a[i]. Only moved positions are stored, so n may be large when few are asked for.
        """
        moved: dict[int, int] = {}
        for i in range(n):
            j = i + self.below(n - i)
            yield moved.get(j, j)
            moved[j] = moved.get(i, i)


def uniform_below(n: int, next_u64: Callable[[], int]) -> int:
    """Rejection sampling over 64-bit integers; every value of [0, n) equally likely."""
    if type(n) is not int or not 1 <= n <= _U64:
        raise ValueError(f"Cannot draw a number below {n!r}: it must be between 1 and 2^64.")
    limit = _U64 - _U64 % n
    while True:
        x = next_u64()
        if x < limit:
            return x % n


def _check_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise ValueError("A seed is exactly 32 bytes.")

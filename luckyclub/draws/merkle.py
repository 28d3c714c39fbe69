"""A Merkle tree over the snapshot lines, so each entrant can prove their line is in the snapshot.

Leaf hash = SHA-256(0x00 ‖ line), node hash = SHA-256(0x01 ‖ left ‖ right); on a level with an odd
number of hashes the last one moves up unchanged. The root of no leaves is SHA-256 of nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

_LEAF = b"\x00"
_NODE = b"\x01"


@dataclass(frozen=True)
class InclusionProof:
    """Leaf `index` of a tree of `size` leaves, and the sibling hashes (hex) from leaf to root.

    A level where the path's node is the promoted last one has no sibling and adds nothing.
    """

    index: int
    size: int
    path: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"index": self.index, "size": self.size, "path": list(self.path)}

    @classmethod
    def from_dict(cls, data: dict) -> InclusionProof:
        return cls(index=int(data["index"]), size=int(data["size"]), path=tuple(data["path"]))


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(_LEAF + leaf).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """The root hash (hex) of the tree over `leaves`, in their order."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = _leaf_level(leaves)
    while len(level) > 1:
        level = _parent_level(level)
    return level[0].hex()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> InclusionProof:
    """The proof that leaves[index] is in the tree of `leaves` at that position."""
    return MerkleTree.over(leaves).proof(index)


class MerkleTree:
    """Every level of the tree over some leaves, kept so that any leaf's inclusion proof is read in
    a few steps (one hash per level) instead of rebuilding the tree: for the many proofs of one
    snapshot. Each level is one bytes object of 32-byte hashes, the leaf hashes first."""

    def __init__(self, levels: list[bytes], size: int) -> None:
        self._levels = levels
        self.size = size

    @classmethod
    def over(cls, leaves: Sequence[bytes]) -> MerkleTree:
        sha256 = hashlib.sha256
        level = b"".join([sha256(_LEAF + leaf).digest() for leaf in leaves])
        levels = [level]
        while len(level) > 32:
            width = len(level) // 32
            paired = (width - width % 2) * 32
            # A left and a right child lie side by side: their node hashes the 64 bytes at once.
            parents = [sha256(_NODE + level[i : i + 64]).digest() for i in range(0, paired, 64)]
            if width % 2:
                parents.append(level[-32:])
            level = b"".join(parents)
            levels.append(level)
        return cls(levels, len(leaves))

    @property
    def root(self) -> str:
        return self._levels[-1].hex() if self.size else hashlib.sha256(b"").hexdigest()

    def proof(self, index: int) -> InclusionProof:
        if not 0 <= index < self.size:
            raise IndexError(f"Leaf {index} is not in a tree of {self.size} leaves.")
        path = []
        position = index
        for level in self._levels[:-1]:
            sibling = position ^ 1
            if sibling * 32 < len(level):
                path.append(level[sibling * 32 : sibling * 32 + 32].hex())
            position //= 2
        return InclusionProof(index=index, size=self.size, path=tuple(path))


def verify_inclusion(leaf: bytes, proof: InclusionProof, root: str) -> bool:
    """True when `leaf` at proof.index, hashed up along proof.path, gives `root`."""
    if not 0 <= proof.index < proof.size:
        return False
    try:
        path = [bytes.fromhex(step) for step in proof.path]
    except (TypeError, ValueError):
        return False
    if any(len(step) != 32 for step in path):
        return False
    current = leaf_hash(leaf)
    position, width, steps = proof.index, proof.size, iter(path)
    while width > 1:
        if position % 2 == 1:
            current = _node(next(steps, b""), current)
        elif position + 1 < width:
            current = _node(current, next(steps, b""))
        position //= 2
        width = (width + 1) // 2
    return next(steps, None) is None and current.hex() == root.lower()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(_NODE + left + right).digest()


def _leaf_level(leaves: Sequence[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    return [sha256(_LEAF + leaf).digest() for leaf in leaves]


def _parent_level(level: list[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    parents = [
        sha256(_NODE + left + right).digest()
        for left, right in zip(level[::2], level[1::2], strict=False)
    ]
    if len(level) % 2:
        parents.append(level[-1])
    return parents

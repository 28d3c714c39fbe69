"""Checks a verifier makes against what was published apart from the proof: the snapshot file (and
the digest and root published when entries closed), and one entrant's own line in it.

A proof is self-consistent by construction: whoever rewrote a snapshot line could recompute its
digest and root too. What ties the proof to the draw is that its snapshot is the one published at
close, and that each entrant finds their own line in it. docs/fairness.md, "Checking the snapshot".
"""

from __future__ import annotations

from dataclasses import dataclass

from luckyclub.draws.merkle import merkle_root
from luckyclub.draws.snapshot import (
    LOTTERY,
    TICKETS,
    SnapshotError,
    decode_columns,
    snapshot_digest,
    snapshot_lines,
)


def snapshot_differences(
    proof: dict, published: bytes, *, digest: str | None = None, root: str | None = None
) -> list[str]:
    """How the published snapshot (and the digest and root published at close, when given)
    differ from the proof's; an empty list when they are the same."""
    differences = []
    published_digest = snapshot_digest(published)
    if published_digest != proof.get("snapshot_digest"):
        differences.append(
            f"the published snapshot's SHA-256 is {published_digest}, "
            f"the proof says {proof.get('snapshot_digest')}"
        )
    try:
        published_root = merkle_root(snapshot_lines(published))
    except SnapshotError as error:
        differences.append(f"the published snapshot is malformed: {error}")
    else:
        if published_root != proof.get("merkle_root"):
            differences.append(
                f"the published snapshot's Merkle root is {published_root}, "
                f"the proof says {proof.get('merkle_root')}"
            )
    if isinstance(proof.get("snapshot"), str) and proof["snapshot"].encode("utf-8") != published:
        differences.append("the proof's snapshot is not the published snapshot, byte for byte")
    for what, value, claimed in (
        ("digest", digest, proof.get("snapshot_digest")),
        ("Merkle root", root, proof.get("merkle_root")),
    ):
        if value is not None and value.lower() != claimed:
            differences.append(
                f"the {what} published at close is {value}, the proof says {claimed}"
            )
    return differences


@dataclass(frozen=True)
class EntrantLines:
    """Where one entrant stands in a snapshot: their lines, each with its Merkle check."""

    ref: str
    lines: tuple[str, ...]  # without the newline, fields joined by a tab
    indexes: tuple[int, ...]
    size: int
    verified: bool  # the snapshot holding these lines has the given Merkle root

    @property
    def found(self) -> bool:
        return bool(self.lines)

    def describe(self, kind: str) -> str:
        """One sentence: what the entrant holds in this snapshot."""
        if not self.found:
            return f"{self.ref} is not in the snapshot"
        if kind == TICKETS:
            numbers = ", ".join(line.split("\t")[0] for line in self.lines)
            count = len(self.lines)
            return f"{self.ref} holds {count} ticket{'s' if count != 1 else ''}: {numbers}"
        if kind == LOTTERY:
            names = ", ".join(repr(line.split("\t")[0]) for line in self.lines)
            return f"{self.ref} entered {names}"
        weight = int(self.lines[0].split("\t")[1])
        return (
            f"{self.ref} holds {weight:,} entr{'y' if weight == 1 else 'ies'} "
            f"(line {self.indexes[0] + 1:,} of {self.size:,})"
        )

    def held(self, kind: str) -> int:
        """The entrant's entries (weighted), tickets (tickets) or elements entered (lottery)."""
        if kind not in (TICKETS, LOTTERY) and self.lines:
            return int(self.lines[0].split("\t")[1])
        return len(self.lines)


def entrant_lines(kind: str, snapshot: bytes, ref: str, root: str) -> EntrantLines:
    """Every line of `ref` in a canonical snapshot; verified when the snapshot has `root`, which
    proves each line's inclusion at once (a member without the whole snapshot uses the inclusion
    proof of /api/draws/{id}/entry instead)."""
    first, second = decode_columns(kind, snapshot)
    refs = second if kind in (TICKETS, LOTTERY) else first
    indexes = tuple(i for i, value in enumerate(refs) if value == ref)
    leaves = snapshot_lines(snapshot)
    verified = bool(indexes) and merkle_root(leaves) == root
    return EntrantLines(
        ref=ref,
        lines=tuple(leaves[i].decode("utf-8") for i in indexes),
        indexes=indexes,
        size=len(leaves),
        verified=verified,
    )

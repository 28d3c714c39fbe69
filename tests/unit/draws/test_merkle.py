"""Merkle roots and inclusion proofs over snapshot lines."""

import hashlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luckyclub.draws import InclusionProof, inclusion_proof, merkle_root, verify_inclusion
from luckyclub.draws.merkle import MerkleTree

# No example database written to disk; no deadline, as the machine may be busy.
examples = settings(database=None, deadline=None)


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def test_three_leaves_pair_the_first_two_and_promote_the_third():
    a, b, c = b"a", b"b", b"c"
    assert merkle_root([a, b, c]) == node(node(leaf(a), leaf(b)), leaf(c)).hex()


def test_five_leaves_promote_the_last_leaf_twice():
    leaves = [b"1", b"2", b"3", b"4", b"5"]
    left = node(node(leaf(b"1"), leaf(b"2")), node(leaf(b"3"), leaf(b"4")))
    assert merkle_root(leaves) == node(left, leaf(b"5")).hex()


def test_one_leaf_and_no_leaves():
    assert merkle_root([b"only"]) == leaf(b"only").hex()
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()


def test_a_leaf_cannot_pose_as_an_inner_node():
    # Domain separation: the root of two leaves is not the leaf hash of their concatenation.
    a, b = leaf(b"a"), leaf(b"b")
    assert merkle_root([a + b]) != merkle_root([b"a", b"b"])


@examples
@given(st.integers(1, 70), st.data())
def test_every_leaf_of_a_random_tree_proves_its_inclusion(size, data):
    leaves = data.draw(st.lists(st.binary(max_size=20), min_size=size, max_size=size))
    root = merkle_root(leaves)
    for index, value in enumerate(leaves):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(value, proof, root)
        assert InclusionProof.from_dict(proof.to_dict()) == proof


@examples
@given(st.lists(st.binary(max_size=20), max_size=70))
def test_a_kept_tree_has_the_root_and_the_proofs_of_the_leaves(leaves):
    # The tree kept for many proofs (one per entry check) is the tree merkle_root computes.
    tree = MerkleTree.over(leaves)
    assert tree.root == merkle_root(leaves)
    for index, value in enumerate(leaves):
        assert verify_inclusion(value, tree.proof(index), tree.root)


@examples
@given(st.integers(2, 70), st.data())
def test_a_tampered_leaf_or_proof_does_not_verify(size, data):
    leaves = [f"line {i}".encode() for i in range(size)]
    root = merkle_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(leaves, index)

    assert not verify_inclusion(leaves[index] + b"x", proof, root)
    other = (index + 1) % size
    assert not verify_inclusion(leaves[other], proof, root)  # right proof, wrong leaf
    assert not verify_inclusion(leaves[index], replace(proof, index=other), root)
    step = data.draw(st.integers(0, len(proof.path) - 1))
    flipped = list(proof.path)
    flipped[step] = ("1" if flipped[step][0] == "0" else "0") + flipped[step][1:]
    assert not verify_inclusion(leaves[index], replace(proof, path=tuple(flipped)), root)
    assert not verify_inclusion(leaves[index], replace(proof, path=proof.path[:-1]), root)
    assert not verify_inclusion(leaves[index], replace(proof, path=(*proof.path, "00" * 32)), root)
    assert not verify_inclusion(leaves[index], replace(proof, path=("zz",)), root)


def test_a_proof_for_a_missing_index_is_an_error():
    with pytest.raises(IndexError):
        inclusion_proof([b"a"], 1)

"""transparency.merkle against the shared vectors, a naive RFC 9162 reference, and properties."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import load_vectors
from tests.transparency import naive
from transparency.errors import (
    ConsistencyProofError,
    InclusionProofError,
    ProofArgumentError,
    VerificationError,
)
from transparency.merkle import (
    EMPTY_ROOT,
    Node,
    append_leaves,
    frontier_nodes,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

V = load_vectors("tlog/merkle.json")


def b64(s: str) -> bytes:
    return base64.b64decode(s)


class DictReader:
    """An in-memory NodeReader over every complete node of a tree."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        created, _ = append_leaves(0, [], [leaf_hash(d) for d in leaves])
        self.nodes: dict[Node, bytes] = dict(created)
        self.reads = 0

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        self.reads += 1
        return [self.nodes[n] for n in nodes]


LEAVES = [f"leaf {i}".encode() for i in range(300)]
READER = DictReader(LEAVES)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# -- known answers --------------------------------------------------------------------


@pytest.mark.parametrize("case", V["hasher"], ids=lambda c: c["desc"])
def test_hasher_vectors(case: dict) -> None:
    if case["op"] == "empty_root":
        got = EMPTY_ROOT
        assert root_hash([]) == got
    elif case["op"] == "leaf_hash":
        got = leaf_hash(bytes.fromhex(case["input_hex"]))
    else:
        got = node_hash(bytes.fromhex(case["left_hex"]), bytes.fromhex(case["right_hex"]))
    assert got.hex() == case["want_hex"]


def test_reference_tree() -> None:
    ref = V["reference_tree"]
    leaves = [bytes.fromhex(h) for h in ref["leaf_inputs_hex"]]
    for n, want in enumerate(ref["root_hashes_hex_by_tree_size"]):
        assert root_hash([leaf_hash(d) for d in leaves[:n]]).hex() == want
        assert naive.mth(leaves[:n]).hex() == want
    reader = DictReader(leaves)
    for level, row in enumerate(ref["node_hashes_hex_by_level"]):
        for index, want in enumerate(row):
            assert reader.nodes[(level, index)].hex() == want


@pytest.mark.parametrize("case", V["inclusion_proofs"], ids=lambda c: c["desc"])
def test_inclusion_vectors(case: dict) -> None:
    args = (
        b64(case["leaf_hash_b64"]),
        case["leaf_index"],
        case["tree_size"],
        [b64(p) for p in case["proof_b64"]],
        b64(case["root_b64"]),
    )
    if case["want_valid"]:
        verify_inclusion(*args)
    else:
        with pytest.raises(VerificationError):
            verify_inclusion(*args)


@pytest.mark.parametrize("case", V["consistency_proofs"], ids=lambda c: c["desc"])
def test_consistency_vectors(case: dict) -> None:
    args = (
        case["size1"],
        case["size2"],
        [b64(p) for p in case["proof_b64"]],
        b64(case["root1_b64"]),
        b64(case["root2_b64"]),
    )
    if case["want_valid"]:
        verify_consistency(*args)
    else:
        # ConsistencyProofError, or ProofArgumentError for a root that is not 32 bytes.
        with pytest.raises(VerificationError):
            verify_consistency(*args)


def test_tessera_testdata_log() -> None:
    log = V["tessera_testdata_log"]
    leaves = [s.encode("ascii") for s in log["leaves_ascii"]]
    reader = DictReader(leaves)
    for n, want in enumerate(log["root_b64_by_tree_size"]):
        assert root_hash([leaf_hash(d) for d in leaves[:n]]) == b64(want)
        if n:
            assert tree_root(n, reader) == b64(want)
    for case in log["derived_inclusion_proofs_COMPUTED"]:
        proof = [b64(p) for p in case["proof_b64"]]
        assert leaf_hash(case["leaf_ascii"].encode()) == b64(case["leaf_hash_b64"])
        assert prove_inclusion(case["leaf_index"], case["tree_size"], reader) == proof
        verify_inclusion(
            b64(case["leaf_hash_b64"]), case["leaf_index"], case["tree_size"], proof,
            b64(case["root_b64"]),
        )  # fmt: skip
    for case in log["derived_consistency_proofs_COMPUTED"]:
        proof = [b64(p) for p in case["proof_b64"]]
        assert prove_consistency(case["size1"], case["size2"], reader) == proof
        verify_consistency(
            case["size1"], case["size2"], proof, b64(case["root1_b64"]), b64(case["root2_b64"])
        )


@pytest.mark.parametrize("case", V["witness_request_consistency_examples"], ids=lambda c: c["desc"])
def test_witness_request_examples(case: dict) -> None:
    if "proof_hex" in case:
        proof = [bytes.fromhex(p) for p in case["proof_hex"]]
    else:
        proof = [b64(p) for p in case["proof_b64"]]
    args = (case["size1"], case["size2"], proof, b64(case["root1_b64"]), b64(case["root2_b64"]))
    if case["want_valid"]:
        verify_consistency(*args)
    else:
        with pytest.raises(ConsistencyProofError):
            verify_consistency(*args)


# -- cross-check against the naive RFC reference ------------------------------------------


def test_every_size_to_130_matches_naive_reference() -> None:
    """Every tree size 1..130, every index and every (size1, size2) pair."""
    leaves = LEAVES[:130]
    roots = [naive.mth(leaves[:n]) for n in range(131)]
    for n in range(1, 131):
        assert root_hash([leaf_hash(d) for d in leaves[:n]]) == roots[n]
        assert tree_root(n, READER) == roots[n]
        for m in range(n):
            want = naive.path(m, leaves[:n])
            got = prove_inclusion(m, n, READER)
            assert got == want, (m, n)
            verify_inclusion(leaf_hash(leaves[m]), m, n, got, roots[n])
        for m in range(1, n + 1):
            want = naive.proof(m, leaves[:n])
            got = prove_consistency(m, n, READER)
            assert got == want, (m, n)
            verify_consistency(m, n, got, roots[m], roots[n])


def test_proofs_read_storage_once() -> None:
    reader = DictReader(LEAVES[:130])
    prove_inclusion(77, 130, reader)
    prove_consistency(77, 130, reader)
    assert reader.reads == 2


def test_append_leaves_in_batches_matches_one_append() -> None:
    frontier: list[bytes] = []
    size, nodes = 0, {}
    for batch in (1, 2, 5, 8, 17, 100):
        created, frontier = append_leaves(
            size, frontier, [leaf_hash(d) for d in LEAVES[size : size + batch]]
        )
        nodes.update(created)
        size += batch
    assert size == 133
    assert nodes == {k: v for k, v in READER.nodes.items() if (k[1] + 1) << k[0] <= size}
    assert [nodes[n] for n in frontier_nodes(size)] == frontier


def test_same_root_with_another_size_is_not_detected_by_inclusion_verification() -> None:
    """RFC 9162 §2.1.3.2 binds the path shape, not the size: the proof of leaf 0 in a
    size-5 tree also "verifies" against the size-5 root when size 6 is claimed. Callers must
    take size and root together from one signed checkpoint (documented in docs/spec/log.md)."""
    proof = prove_inclusion(0, 5, READER)
    root5 = tree_root(5, READER)
    verify_inclusion(leaf_hash(LEAVES[0]), 0, 6, proof, root5)
    with pytest.raises(InclusionProofError):  # with the true size-6 root it fails
        verify_inclusion(leaf_hash(LEAVES[0]), 0, 6, proof, tree_root(6, READER))


# -- properties ---------------------------------------------------------------------------

SIZES = st.integers(min_value=1, max_value=300)


@st.composite
def inclusion_cases(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(SIZES)
    return draw(st.integers(0, n - 1)), n


@st.composite
def consistency_cases(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(2, 300))
    return draw(st.integers(1, n - 1)), n


@settings(max_examples=150, deadline=None)
@given(inclusion_cases(), st.data())
def test_inclusion_prove_verify_and_any_change_fails(
    case: tuple[int, int], data: st.DataObject
) -> None:
    m, n = case
    leaf, root = leaf_hash(LEAVES[m]), tree_root(n, READER)
    proof = prove_inclusion(m, n, READER)
    verify_inclusion(leaf, m, n, proof, root)
    assert root_from_inclusion_proof(leaf, m, n, proof) == root

    bit = data.draw(st.integers(0, 255))
    with pytest.raises(InclusionProofError):
        verify_inclusion(flip(leaf, bit), m, n, proof, root)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, m, n, proof, flip(root, bit))
    if proof:
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, m, n, bad, root)
        with pytest.raises(InclusionProofError):  # truncated
            verify_inclusion(leaf, m, n, proof[:-1], root)
    with pytest.raises(InclusionProofError):  # extended
        verify_inclusion(leaf, m, n, [*proof, root], root)
    # Another index, or another size with that tree's true root, must fail.
    m2 = data.draw(st.integers(0, n - 1).filter(lambda x: x != m) if n > 1 else st.just(m))
    if m2 != m:
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, m2, n, proof, root)
    n2 = data.draw(st.integers(m + 1, 300).filter(lambda x: x != n) if m + 1 < 300 else st.just(n))
    if n2 != n:
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, m, n2, proof, tree_root(n2, READER))


@settings(max_examples=150, deadline=None)
@given(consistency_cases(), st.data())
def test_consistency_prove_verify_and_any_change_fails(
    case: tuple[int, int], data: st.DataObject
) -> None:
    m, n = case
    root1, root2 = tree_root(m, READER), tree_root(n, READER)
    proof = prove_consistency(m, n, READER)
    verify_consistency(m, n, proof, root1, root2)
    assert root_from_consistency_proof(m, n, proof, root1) == root2

    bit = data.draw(st.integers(0, 255))
    i = data.draw(st.integers(0, len(proof) - 1))
    bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
    for args in (
        (m, n, bad, root1, root2),
        (m, n, proof, flip(root1, bit), root2),
        (m, n, proof, root1, flip(root2, bit)),
        (m, n, proof[:-1], root1, root2),
        (m, n, [*proof, root2], root1, root2),
    ):
        with pytest.raises(ConsistencyProofError):
            verify_consistency(*args)
    m2 = data.draw(st.integers(1, n).filter(lambda x: x != m))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(m2, n, proof, tree_root(m2, READER), root2)
    n2 = data.draw(st.integers(m, 300).filter(lambda x: x != n))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(m, n2, proof, root1, tree_root(n2, READER))


@settings(max_examples=150, deadline=None)
@given(inclusion_cases(), st.integers(0, 9))
def test_inclusion_single_bit_flip_of_index_or_size(case: tuple[int, int], bit: int) -> None:
    """A flipped index always fails. A flipped size, with the same root, fails exactly when
    it changes the proof's shape: RFC 9162 verification learns nothing else from the size
    (e.g. leaf 0 of 5 "verifies" as leaf 0 of 7). Size and root must come from one checkpoint."""
    m, n = case
    leaf, root = leaf_hash(LEAVES[m]), tree_root(n, READER)
    proof = prove_inclusion(m, n, READER)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, m ^ (1 << bit), n, proof, root)
    n2 = n ^ (1 << bit)
    if n2 > m and naive.path_shape(m, n2) == naive.path_shape(m, n):
        verify_inclusion(leaf, m, n2, proof, root)
    else:
        with pytest.raises(VerificationError):
            verify_inclusion(leaf, m, n2, proof, root)


def test_consistency_size_flip_with_same_roots_is_not_detected() -> None:
    """The consistency verifier, too, only sees sizes through the proof shape."""
    proof = prove_consistency(195, 199, READER)
    root1, root2 = tree_root(195, READER), tree_root(199, READER)
    verify_consistency(195, 198, proof, root1, root2)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(195, 198, proof, root1, tree_root(198, READER))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(194, 199, proof, root1, root2)


H = b"\x00" * 32


@pytest.mark.parametrize(
    "call",
    [
        lambda: prove_inclusion(-1, 5, READER),
        lambda: prove_inclusion(5, 5, READER),
        lambda: prove_inclusion(0, 0, READER),
        lambda: prove_inclusion(0, -3, READER),
        lambda: prove_consistency(6, 5, READER),
        lambda: prove_consistency(-1, 5, READER),
        lambda: root_from_inclusion_proof(H[:31], 0, 1, []),
        lambda: root_from_inclusion_proof(H, 0, 2, [H + b"\x00"]),
        lambda: root_from_inclusion_proof(H, 2, 2, [H]),
        lambda: root_from_inclusion_proof(H, True, 2, [H]),
        lambda: root_from_consistency_proof(0, 2, [], H),
        lambda: root_from_consistency_proof(1, 2, [H[:5]], H),
        lambda: root_from_consistency_proof(3, 2, [H], H),
        lambda: root_from_consistency_proof(1, 1 << 64, [H], H),
    ],
)
def test_malformed_arguments_raise(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProofArgumentError):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: verify_inclusion(H, 0, 1, [], H[:31]),
        lambda: verify_inclusion(H, 1, 1, [], H),
        lambda: verify_inclusion(H, -1, 1, [], H),
        lambda: verify_consistency(1, 1, [H], H, H),
        lambda: verify_consistency(2, 1, [], H, H),
        lambda: verify_consistency(1, 2, [], H, H[:1]),
    ],
)
def test_malformed_verification_raises_verification_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VerificationError):
        call()


def test_naive_reference_is_the_rfc_definition() -> None:
    """Guard the oracle itself with the RFC 9162 §2.1.5 example (7 leaves)."""
    d = [bytes([i]) for i in range(7)]
    h = [hashlib.sha256(b"\x00" + x).digest() for x in d]
    a, b, c = node_hash(h[0], h[1]), node_hash(h[2], h[3]), node_hash(h[4], h[5])
    assert naive.path(3, d) == [h[2], a, node_hash(c, h[6])]  # RFC: path for d is [c, g, l]
    assert naive.proof(4, d) == [node_hash(c, h[6])]  # RFC: PROOF(4, D[7]) = [l]
    assert naive.mth(d) == node_hash(node_hash(a, b), node_hash(c, h[6]))

"""RFC 9162 Merkle trees over SHA-256: hashing, proofs and their verification.

Implements RFC 9162 §2.1 (the RFC 6962 tree, with leaf prefix 0x00 and node
prefix 0x01): the tree hash, inclusion proofs (§2.1.3) and consistency proofs
(§2.1.4), plus the verification algorithms of §2.1.3.2 and §2.1.4.2.

Pure: bytes and integers in, bytes out. Storage enters only through the
`NodeReader` protocol, which reads hashes of *complete* subtrees, addressed
as (level, index): node (l, i) is the root of leaves [i·2^l, (i+1)·2^l).
Proof generation first computes which complete nodes it needs (one batch
read), then combines them, so a SQL reader answers one query per proof.

Deliberately left out: the subtree proofs of draft-ietf-plants-merkle-tree-certs
and any hash other than SHA-256.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from transparency.errors import (
    ConsistencyProofError,
    InclusionProofError,
    ProofArgumentError,
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""A complete subtree: (level, index), covering leaves [index·2^level, (index+1)·2^level)."""


class NodeReader(Protocol):
    """Reads stored hashes of complete subtrees, in the order asked."""

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]: ...


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        length = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise ProofArgumentError(f"{name} must be {HASH_SIZE} bytes, got {length}")


def _check_size(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 64:
        raise ProofArgumentError(f"{name} must be an integer in [0, 2^64), got {value!r}")


# -- tree hash -----------------------------------------------------------------


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves; SHA-256("") for none. O(n) time, O(log n) memory."""
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the left frontier
    for h in leaf_hashes:
        level, cur = 0, h
        while stack and stack[-1][0] == level:
            cur = node_hash(stack.pop()[1], cur)
            level += 1
        stack.append((level, cur))
    return fold_frontier([h for _, h in stack])


def fold_frontier(frontier: Sequence[bytes]) -> bytes:
    """Root of a tree from its frontier (complete subtrees, largest first)."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for h in reversed(frontier[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees, left to right, whose fold is MTH(D[start:end]).

    `start` must be aligned to the largest power of two not exceeding
    end - start (always true for the ranges RFC 9162 proofs use)."""
    nodes: list[Node] = []
    pos = start
    remaining = end - start
    while remaining > 0:
        level = remaining.bit_length() - 1
        size = 1 << level
        if pos % size:
            raise ProofArgumentError(f"range [{start}, {end}) is not aligned")
        nodes.append((level, pos >> level))
        pos += size
        remaining -= size
    return nodes


def frontier_nodes(tree_size: int) -> list[Node]:
    """The complete subtrees whose fold is the root of a tree of this size."""
    return range_nodes(0, tree_size)


def tree_root(tree_size: int, reader: NodeReader) -> bytes:
    """The root of the first tree_size leaves, from stored complete-subtree hashes."""
    return fold_frontier(reader.read_nodes(frontier_nodes(tree_size)))


# -- appending -----------------------------------------------------------------


def append_leaves(
    tree_size: int, frontier: Sequence[bytes], leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[Node, bytes]], list[bytes]]:
    """Append leaves to a tree given its frontier.

    Returns every complete node the append creates (leaves included, as level
    0) and the new frontier. `frontier` must be the hashes of
    `frontier_nodes(tree_size)`."""
    levels = [lvl for lvl, _ in frontier_nodes(tree_size)]
    if len(levels) != len(frontier):
        raise ProofArgumentError(
            f"frontier of a size-{tree_size} tree has {len(levels)} hashes, got {len(frontier)}"
        )
    stack = list(zip(levels, frontier, strict=True))
    created: list[tuple[Node, bytes]] = []
    index = tree_size
    for h in leaf_hashes:
        _check_hash("leaf hash", h)
        level, cur = 0, bytes(h)
        created.append(((0, index), cur))
        while stack and stack[-1][0] == level:
            cur = node_hash(stack.pop()[1], cur)
            level += 1
            created.append(((level, (index + 1 >> level) - 1), cur))
        stack.append((level, cur))
        index += 1
    return created, [h for _, h in stack]


# -- inclusion -----------------------------------------------------------------


def inclusion_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make PATH(index, D[tree_size]), in proof order."""
    out: list[tuple[int, int]] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def _read_ranges(ranges: Sequence[tuple[int, int]], reader: NodeReader) -> list[bytes]:
    per_range = [range_nodes(a, b) for a, b in ranges]
    flat = [n for nodes in per_range for n in nodes]
    hashes = reader.read_nodes(flat)
    out: list[bytes] = []
    pos = 0
    for nodes in per_range:
        out.append(fold_frontier(hashes[pos : pos + len(nodes)]))
        pos += len(nodes)
    return out


def prove_inclusion(index: int, tree_size: int, reader: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[tree_size])."""
    _check_size("tree size", tree_size)
    _check_size("index", index)
    if index >= tree_size:
        raise ProofArgumentError(f"index {index} is not below tree size {tree_size}")
    return _read_ranges(inclusion_ranges(index, tree_size), reader)


def inclusion_proof_length(index: int, tree_size: int) -> int:
    inner = (index ^ (tree_size - 1)).bit_length()
    return inner + bin(index >> inner).count("1")


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """RFC 9162 §2.1.3.2: the root the proof leads to. Raises on malformed arguments."""
    _check_size("tree size", tree_size)
    _check_size("index", index)
    _check_hash("leaf hash", leaf_hash)
    if index >= tree_size:
        raise ProofArgumentError(f"index {index} is not below tree size {tree_size}")
    want = inclusion_proof_length(index, tree_size)
    if len(proof) != want:
        raise ProofArgumentError(
            f"inclusion proof for index {index} in size {tree_size} has {len(proof)} hashes, "
            f"needs {want}"
        )
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in proof:
        _check_hash("proof hash", p)
        if sn == 0:  # unreachable after the length check; kept as the RFC states it
            raise ProofArgumentError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofArgumentError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise unless `proof` shows leaf `leaf_hash` at `index` of the tree with `root`."""
    _check_hash("root", root)
    try:
        computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    except ProofArgumentError as e:
        raise InclusionProofError(
            str(e), index=index, tree_size=tree_size, expected=bytes(root), computed=None
        ) from e
    if computed != root:
        raise InclusionProofError(
            "inclusion proof does not lead to the root",
            index=index,
            tree_size=tree_size,
            expected=bytes(root),
            computed=computed,
        )


# -- consistency ---------------------------------------------------------------


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose tree hashes make PROOF(size1, D[size2]), in proof order."""
    out: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def prove_consistency(size1: int, size2: int, reader: NodeReader) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(size1, D[size2]); empty when size1 is 0 or equals size2."""
    _check_size("size1", size1)
    _check_size("size2", size2)
    if size1 > size2:
        raise ProofArgumentError(f"size1 {size1} is larger than size2 {size2}")
    if size1 in (0, size2):
        return []
    return _read_ranges(consistency_ranges(size1, size2), reader)


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """RFC 9162 §2.1.4.2: check the proof against root1 and return the root of size2 it implies."""
    _check_size("size1", size1)
    _check_size("size2", size2)
    _check_hash("root1", root1)
    if size1 == 0:
        raise ProofArgumentError("a consistency proof from the empty tree proves nothing")
    if size1 > size2:
        raise ProofArgumentError(f"size1 {size1} is larger than size2 {size2}")
    if size1 == size2:
        if proof:
            raise ProofArgumentError("consistency proof between equal sizes must be empty")
        return bytes(root1)
    if not proof:
        raise ProofArgumentError("consistency proof is empty")
    for p in proof:
        _check_hash("proof hash", p)
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofArgumentError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofArgumentError("consistency proof is too short")
    if fr != root1:
        raise ConsistencyProofError(
            "consistency proof does not lead to the old root",
            size1=size1,
            size2=size2,
            expected=(bytes(root1), b""),
            computed=(fr, sr),
        )
    return sr


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Raise unless `proof` shows the size2 tree with root2 extends the size1 tree with root1."""
    _check_hash("root2", root2)
    try:
        computed = root_from_consistency_proof(size1, size2, proof, root1)
    except ProofArgumentError as e:
        raise ConsistencyProofError(
            str(e), size1=size1, size2=size2, expected=(root1, root2), computed=None
        ) from e
    except ConsistencyProofError as e:
        raise ConsistencyProofError(
            e.args[0],
            size1=size1,
            size2=size2,
            expected=(bytes(root1), bytes(root2)),
            computed=e.computed,
        ) from e
    if computed != root2:
        raise ConsistencyProofError(
            "consistency proof does not lead to the new root",
            size1=size1,
            size2=size2,
            expected=(bytes(root1), bytes(root2)),
            computed=(bytes(root1), computed),
        )

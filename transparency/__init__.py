"""fairdraw transparency: a generic append-only RFC 9162 Merkle log served as C2SP tlog-tiles.

Knows nothing about draws. The pure core (merkle, note, checkpoint, tiles) is
importable without any I/O dependency; storage, the sequencer and the HTTP
read API live beside it and are imported explicitly.
"""

from transparency.errors import (
    ConsistencyProofError,
    FormatError,
    InclusionProofError,
    ProofArgumentError,
    SignatureError,
    StorageError,
    TransparencyError,
    VerificationError,
)
from transparency.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeReader,
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

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ConsistencyProofError",
    "FormatError",
    "InclusionProofError",
    "NodeReader",
    "ProofArgumentError",
    "SignatureError",
    "StorageError",
    "TransparencyError",
    "VerificationError",
    "leaf_hash",
    "node_hash",
    "prove_consistency",
    "prove_inclusion",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

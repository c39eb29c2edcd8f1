"""fairdraw transparency: a generic append-only RFC 9162 Merkle log served as C2SP tlog-tiles.

Knows nothing about draws. The pure core (merkle, note, checkpoint, tiles) is
importable without any I/O dependency; storage, the sequencer and the HTTP
read API live beside it and are imported explicitly.
"""

from transparency.checkpoint import (
    Checkpoint,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
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
from transparency.note import Note, OpenedNote, format_note, open_note, parse_note, sign_note
from transparency.note_keys import Signer, Verifier, generate_signer, parse_verifier_key
from transparency.signature_line import NoteSignature
from transparency.tiles import TileRef, parse_tile_path, tile_path, tiles_for_size

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Checkpoint",
    "ConsistencyProofError",
    "FormatError",
    "InclusionProofError",
    "NodeReader",
    "Note",
    "NoteSignature",
    "OpenedNote",
    "ProofArgumentError",
    "SignatureError",
    "Signer",
    "StorageError",
    "TileRef",
    "TransparencyError",
    "VerificationError",
    "Verifier",
    "format_checkpoint",
    "format_note",
    "generate_signer",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "parse_tile_path",
    "parse_verifier_key",
    "prove_consistency",
    "prove_inclusion",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "tile_path",
    "tiles_for_size",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

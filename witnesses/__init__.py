"""fairdraw witnesses: tlog-witness server, cosignature/v1, witness policy, log-side collector.

Public entry point kept here for verifiers: `verify_cosignature(vkey,
checkpoint_body, signature_line) -> int` (the verified timestamp; raises on any
failure)."""

from witnesses.cosignature import verify_cosignature

__all__ = ["verify_cosignature"]

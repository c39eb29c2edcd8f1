/**
 * The exception tree of the portal verifier (mirrors transparency/errors.py).
 *
 * Every error is a FairdrawError. Malformed input is a FormatError naming what
 * is wrong; a failed check is a VerificationError carrying its evidence
 * (`evidence` holds expected vs computed values as hex/strings). Verification
 * never signals failure by returning false.
 */

export class FairdrawError extends Error {
  constructor(message, evidence = undefined) {
    super(message);
    this.name = new.target.name;
    if (evidence !== undefined) this.evidence = evidence;
  }
}

/** Input that is not in the canonical form a spec requires. */
export class FormatError extends FairdrawError {}

/** A proof, root, signature or recomputation did not verify. */
export class VerificationError extends FairdrawError {}

/** Impossible proof arguments (index >= size, hash of the wrong length...). */
export class ProofArgumentError extends VerificationError {}

/** An inclusion proof does not lead to the expected root. */
export class InclusionProofError extends VerificationError {}

/** A consistency proof does not link the two roots. */
export class ConsistencyProofError extends VerificationError {}

/** A signed note has no verifiable signature, or a known key's signature is bad. */
export class SignatureError extends VerificationError {}

/** Two configured verifier keys share one (name, key id) pair. */
export class AmbiguousKeyError extends FormatError {}

/** The witness policy is not satisfied. */
export class PolicyError extends VerificationError {}

/** A beacon round does not verify against the pinned chain. */
export class BeaconError extends VerificationError {}

/** Draw inputs that the draw-v1 algorithm cannot accept. */
export class DrawInputError extends FormatError {}

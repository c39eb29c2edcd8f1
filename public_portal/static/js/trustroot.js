/**
 * The trust root a person can check, and the browser's memory of each log.
 *
 * `trustFingerprint(trust)`: SHA-256 over the RFC 8785 canonical JSON of the
 * parsed trust.json, in full (64 lowercase hex) and short (the first 16 hex in
 * 4 groups of 4, `3f2a-91bc-0d4e-77a1`), the value printed in the draw plan's
 * 公告 (docs/spec/verification.md "Trust root"). Python: fairdraw/trust.py
 * `trust_fingerprint`; both read tests/vectors/trust/fingerprint.json.
 *
 * `compareMemory(previous, current)`: the remembered record of one log, keyed
 * by (origin, log key id), against the one just verified; Python:
 * fairdraw/clientstate.py `compare_memory`, both read
 * tests/vectors/trust/memory.json. Records have the state file's shape
 * `{origin, key_id, trust_fingerprint, tree_size, root_hash}` (docs/clients.md
 * "State file"). Red statuses are `trust-changed`, `rollback` and `fork`;
 * `extends` means the caller must verify an RFC 9162 consistency proof from the
 * remembered checkpoint to the current one before it stores the new record.
 *
 * Pure: no storage, no clock. Where the page keeps the records (localStorage)
 * and how it shows them is the page's business.
 */
import { canonicalBytes } from './jcs.js';
import { sha256Sync } from './hashing.js';
import { bytesToHex } from './bytes.js';
import { FormatError } from './errors.js';

/** The short form has this many groups of 4 hex digits (64 bits of the full fingerprint). */
export const SHORT_GROUPS = 4;

/** `{short, full}` fingerprint of a parsed trust.json; FormatError outside the canonical subset. */
export function trustFingerprint(trust) {
  if (trust === null || typeof trust !== 'object' || Array.isArray(trust)) {
    throw new FormatError('trust.json must be a JSON object');
  }
  const full = bytesToHex(sha256Sync(canonicalBytes(trust)));
  const groups = [];
  for (let i = 0; i < SHORT_GROUPS; i++) groups.push(full.slice(4 * i, 4 * i + 4));
  return { short: groups.join('-'), full };
}

/** The key under which a log is remembered: one record per (origin, log key id). */
export function memoryKey(origin, keyId) {
  return `${origin}\n${keyId}`;
}

function size(record, which) {
  const n = record.tree_size;
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n) || n < 0) throw new FormatError(`${which}.tree_size must be a non-negative integer`);
  return BigInt(n);
}

const short = (hex) => (typeof hex === 'string' ? hex.slice(0, 16) : String(hex));

/**
 * Compare the remembered record of a log with the verified current one.
 * Returns `{status, reason}`; `reason` starts with `status + ': '`.
 * A remembered record without `trust_fingerprint` (migrated from an older state)
 * adopts the current fingerprint; the checkpoints are still compared.
 */
export function compareMemory(previous, current) {
  if (current === null || typeof current !== 'object') throw new FormatError('current record is missing');
  const now = size(current, 'current');
  if (previous === null || previous === undefined) {
    return { status: 'new', reason: `new: first time this browser sees log ${current.origin} (key ${current.key_id}) at size ${now}` };
  }
  if (previous.origin !== current.origin || previous.key_id !== current.key_id) {
    throw new FormatError(`records of different logs compared: ${previous.origin} ${previous.key_id} vs ${current.origin} ${current.key_id}`);
  }
  const before = size(previous, 'previous');
  const seen = `size ${before} root ${previous.root_hash}`;
  const served = `size ${now} root ${current.root_hash}`;
  if (previous.trust_fingerprint != null && previous.trust_fingerprint !== current.trust_fingerprint) {
    return {
      status: 'trust-changed',
      reason: `trust-changed: trust.json of log ${current.origin} changed under the same log key: `
        + `remembered fingerprint ${short(previous.trust_fingerprint)}, now ${short(current.trust_fingerprint)}; `
        + 'compare it with the fingerprint the detachment publishes',
    };
  }
  if (now < before) {
    return { status: 'rollback', reason: `rollback: the log rolled back: saw ${seen}, now ${served}` };
  }
  if (now === before) {
    if (previous.root_hash !== current.root_hash) {
      return { status: 'fork', reason: `fork: the log forked (same size, another root): saw ${seen}, now ${served}` };
    }
    return { status: 'same', reason: `same: the checkpoint seen before (${served})` };
  }
  return { status: 'extends', reason: `extends: the log grew from ${seen} to ${served}; check consistency before remembering` };
}

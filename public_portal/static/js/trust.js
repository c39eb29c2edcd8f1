/**
 * trust.json: what the browser pins before it reads anything from a portal
 * (docs/spec/portal-js.md "trust.json shapes"; the Python twin is
 * fairdraw/trust.py `parse_trust`, held equal by tests/vectors/adversarial/trust.json).
 *
 * parseTrust(json) checks every field the verifier reads and returns
 *   {origin, logVerifierKeys, policy, beacons, marginSeconds, raw}
 * or throws a FormatError whose message starts with "trust.json" and names the
 * field: nothing can be verified against a malformed trust file.
 *
 * - log.origin: a non-empty string; log.vkeys (a non-empty list) or log.vkey:
 *   C2SP Ed25519 (type 0x01) verifier keys, no two with one public key;
 * - witness_policy: policy.js `parsePolicy` (quorum "none" is refused there);
 * - beacons: an object (chain hash -> chain info object, `local` a boolean when
 *   given). Checking each chain info (scheme, key, chain hash recomputed) is
 *   drand.js's and the beacon-identity check's job, not this module's;
 * - margin_seconds: an integer in [0, 2^53), default 60 (DESIGN §2). A negative
 *   margin would let cosignatures made AFTER the round time count as commitment.
 * Pure: no I/O (the caller fetches the file and shows its fingerprint).
 */
import { FormatError } from './errors.js';
import { ED25519, parseVerifierKey } from './note.js';
import { parsePolicy } from './policy.js';
import { equalBytes } from './bytes.js';

export const DEFAULT_MARGIN_SECONDS = 60;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const fail = (message) => new FormatError(`trust.json ${message}`);

function logKeys(log) {
  const vkeys = has(log, 'vkeys') ? log.vkeys : [log.vkey];
  if (!Array.isArray(vkeys) || vkeys.length === 0 || !vkeys.every((v) => typeof v === 'string')) {
    throw fail('needs log.vkey or a non-empty log.vkeys list');
  }
  const seen = [];
  vkeys.forEach((vkey, n) => {
    let v;
    try {
      v = parseVerifierKey(vkey);
    } catch (e) {
      throw fail(`log key ${n}: ${e.message}`);
    }
    // SPEC(tlog-policy): log keys are Ed25519 (type 0x01), no two with one public key.
    if (v.type !== ED25519) throw fail(`log key ${n}: log keys must be Ed25519 (type 0x01)`);
    if (seen.some((k) => equalBytes(k, v.publicKey))) throw fail(`log key ${n}: two log keys have the same public key`);
    seen.push(v.publicKey);
  });
  return vkeys.slice();
}

/** Check a parsed trust.json object; see the module comment for the fields. */
export function parseTrust(json) {
  if (!isObject(json)) throw fail('must be a JSON object');
  const { log } = json;
  if (!isObject(log) || typeof log.origin !== 'string' || log.origin === '') throw fail('needs log.origin (a non-empty string)');
  const logVerifierKeys = logKeys(log);
  if (!isObject(json.witness_policy)) throw fail('needs a witness_policy object');
  let policy;
  try {
    policy = parsePolicy(json.witness_policy);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    throw fail(`witness_policy: ${e.message}`);
  }
  const beacons = has(json, 'beacons') ? json.beacons : {};
  if (!isObject(beacons)) throw fail('beacons must be an object');
  for (const [key, info] of Object.entries(beacons)) {
    if (!isObject(info)) throw fail(`beacons[${key}] must be an object`);
    if (has(info, 'local') && typeof info.local !== 'boolean') throw fail(`beacons[${key}].local must be a boolean`);
  }
  const marginSeconds = has(json, 'margin_seconds') ? json.margin_seconds : DEFAULT_MARGIN_SECONDS;
  if (!Number.isSafeInteger(marginSeconds) || marginSeconds < 0) {
    throw fail('margin_seconds must be an integer in [0, 2^53)');
  }
  return { origin: log.origin, logVerifierKeys, policy, beacons, marginSeconds, raw: json };
}

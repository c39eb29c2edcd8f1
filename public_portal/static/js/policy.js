/**
 * Witness policy for the portal: which cosignatures a checkpoint needs.
 *
 * A k-of-n subset of c2sp.org/tlog-policy / the Sigsum policy model, as JSON
 * in trust.json (shape documented in docs/spec/portal-js.md §Policy):
 *   {"witnesses": [{"name": "w1", "vkey": "<cosignature/v1 vkey>", "url"?}, ...],
 *    "groups": [{"name": "g", "k": 2 | "threshold": 2|"all"|"any", "members": ["w1", ...]}, ...],
 *    "quorum": "g", "logs"?: [{"vkey", "url"?}]}
 * The same rules as witnesses/policy.py `policy_from_json` (held equal by
 * tests/vectors/adversarial/policies.json): names [A-Za-z0-9._:/-]{1,128},
 * unique across witnesses and groups, "none" reserved; members name witnesses
 * or EARLIER groups (so no cycles); unknown fields refused; at most 64 of
 * each; no two witnesses (or logs) with one public key. A 0x01 Ed25519 vkey is
 * accepted for a witness and converted to its cosignature/v1 (0x04) key, as
 * Armored Witnesses publish. Quorum "none" is refused: a verifier's policy
 * needs witnesses, or the log alone could prove a commitment.
 * Evaluation: every line of a policy witness's (name, key id) is verified, a
 * repeat too (a bad one rejects the note); per witness its EARLIEST timestamp
 * counts. Left out: ML-DSA witnesses.
 */
import { FormatError, PolicyError, SignatureError } from './errors.js';
import { ED25519, cosignatureVerifierKey, keyIdHex, parseNote, parseVerifierKey } from './note.js';
import { COSIGNATURE_V1, verifyCosignature } from './cosignature.js';
import { equalBytes } from './bytes.js';

const NAME = /^[A-Za-z0-9._:\/-]{1,128}$/;
const MAX_ITEMS = 64;
const NONE = 'none';
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

function noUnknown(obj, allowed, where) {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k)).sort();
  if (unknown.length) throw new FormatError(`${where} has unknown fields ${JSON.stringify(unknown)}`);
}

function items(json, key, allowed) {
  const value = has(json, key) ? json[key] : [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new FormatError(`policy ${key} must be a list of objects`);
  if (value.length > MAX_ITEMS) throw new FormatError(`policy ${key} holds more than ${MAX_ITEMS} items`);
  value.forEach((item, n) => {
    noUnknown(item, allowed, `policy ${key}[${n}]`);
    if (has(item, 'url') && item.url !== null && (typeof item.url !== 'string' || item.url === '')) {
      throw new FormatError(`policy ${key}[${n}]: "url" must be a non-empty string`);
    }
  });
  return value;
}

function checkName(name, where) {
  if (typeof name !== 'string' || !NAME.test(name) || name === NONE) {
    throw new FormatError(`${where}: name ${JSON.stringify(name)} is not [A-Za-z0-9._:/-]{1,128} (or is "none")`);
  }
  return name;
}

function threshold(g, where) {
  if (has(g, 'k') === has(g, 'threshold')) throw new FormatError(`${where}: give exactly one of "k" and "threshold"`);
  const t = has(g, 'k') ? g.k : g.threshold;
  if (has(g, 'threshold') && t === 'all') return g.members.length;
  if (has(g, 'threshold') && t === 'any') return 1;
  if (!Number.isSafeInteger(t)) throw new FormatError(`${where}: k must be an integer (threshold: an integer, "all" or "any"), got ${JSON.stringify(t)}`);
  return t;
}

/** Validate the policy JSON; returns {witnesses: Map(name -> verifier), groups: Map(name -> {k, members}), quorum}. */
export function parsePolicy(json) {
  if (!isObject(json)) throw new FormatError('witness policy must be an object');
  noUnknown(json, ['logs', 'witnesses', 'groups', 'quorum'], 'witness policy');
  const logs = items(json, 'logs', ['vkey', 'url']);
  const witnesses = items(json, 'witnesses', ['name', 'vkey', 'url']);
  const groups = items(json, 'groups', ['name', 'k', 'threshold', 'members']);
  const { quorum } = json;
  const logKeys = [];
  logs.forEach((l, n) => {
    const v = parseVerifierKey(l.vkey);
    // SPEC(tlog-policy): log keys must use signature type 0x01 (Ed25519); no duplicate logs.
    if (v.type !== ED25519) throw new FormatError(`policy logs[${n}]: log keys must be Ed25519 (type 0x01)`);
    if (logKeys.some((k) => equalBytes(k, v.publicKey))) throw new FormatError('two log lines have the same public key');
    logKeys.push(v.publicKey);
  });
  const wit = new Map();
  const grp = new Map();
  const taken = (name) => wit.has(name) || grp.has(name);
  witnesses.forEach((w, n) => {
    const name = checkName(w.name, `policy witnesses[${n}]`);
    if (taken(name)) throw new FormatError(`policy name ${name} is defined twice`);
    if (typeof w.vkey !== 'string' || w.vkey === '') throw new FormatError(`policy witnesses[${n}]: "vkey" must be a non-empty string`);
    let v = parseVerifierKey(w.vkey);
    if (v.type === ED25519) v = parseVerifierKey(cosignatureVerifierKey(w.vkey));
    if (v.type !== COSIGNATURE_V1) throw new FormatError(`witness ${name} key is not a cosignature/v1 key`);
    for (const other of wit.values()) {
      // SPEC(tlog-policy): duplicate witnesses (same public key) are not allowed: one key
      // under two key names would otherwise count twice.
      if (equalBytes(other.publicKey, v.publicKey)) throw new FormatError(`witness ${name} repeats the public key of another witness`);
    }
    wit.set(name, v);
  });
  groups.forEach((g, n) => {
    const where = `policy groups[${n}]`;
    const name = checkName(g.name, where);
    if (taken(name)) throw new FormatError(`policy name ${name} is defined twice`);
    if (!Array.isArray(g.members) || !g.members.every((m) => typeof m === 'string')) throw new FormatError(`${where}: "members" must be a list of names`);
    const k = threshold(g, where);
    if (g.members.length === 0) throw new FormatError(`policy group ${name} has no members`);
    if (new Set(g.members).size !== g.members.length) throw new FormatError(`policy group ${name} lists a member twice`);
    for (const m of g.members) {
      if (!taken(m)) throw new FormatError(`policy group ${name} names ${JSON.stringify(m)}, which is not a witness or an earlier group`);
    }
    if (k < 1 || k > g.members.length) throw new FormatError(`policy group ${name} needs 1 <= k <= ${g.members.length}, got ${k}`);
    grp.set(name, { k, members: g.members.slice() });
  });
  if (quorum === NONE) throw new FormatError('policy quorum "none" is refused: a verifier needs witnesses');
  if (typeof quorum !== 'string' || !taken(quorum)) throw new FormatError(`policy quorum ${JSON.stringify(quorum)} names no group or witness`);
  return { witnesses: wit, groups: grp, quorum };
}

/** True iff the witnesses named in `have` (iterable of witness names) satisfy the quorum. */
export function satisfiedBy(policy, have) {
  const set = new Set(have);
  const memo = new Map();
  const sat = (name) => {
    if (memo.has(name)) return memo.get(name);
    let ok;
    if (policy.witnesses.has(name)) ok = set.has(name);
    else {
      const g = policy.groups.get(name);
      ok = g.members.filter(sat).length >= g.k;
    }
    memo.set(name, ok);
    return ok;
  };
  return sat(policy.quorum);
}

/** Throw PolicyError (with evidence) unless `have` satisfies the quorum. */
export function requireQuorum(policy, have, context = 'checkpoint') {
  const names = [...new Set(have)].sort();
  if (!satisfiedBy(policy, names)) {
    throw new PolicyError(`${context}: witness policy "${policy.quorum}" is not met (cosigned by ${names.length ? names.join(', ') : 'no configured witness'})`, {
      quorum: policy.quorum, cosigned_by: names,
    });
  }
}

/**
 * Verify every cosignature line of configured witnesses on a signed
 * checkpoint note (bytes). Unknown lines are ignored; EVERY line of a
 * configured witness's (name, key id) is verified, a repeat too, and a bad one
 * throws SignatureError (a witness never signs garbage). One entry per witness,
 * in the order of its first line, with its EARLIEST verified timestamp.
 * Returns [{witness, keyId, timestamp (bigint)}].
 */
export async function collectCosignatures(noteBytes, policy) {
  const note = parseNote(noteBytes);
  const earliest = new Map();
  for (const sig of note.signatures) {
    for (const [witness, v] of policy.witnesses) {
      if (v.name !== sig.name || v.keyId !== sig.keyId) continue;
      let timestamp;
      try {
        timestamp = await verifyCosignature(v.publicKey, note.text, sig.signature, witness);
      } catch (e) {
        throw new SignatureError(`cosignature of witness ${witness} (${v.name}+${keyIdHex(v.keyId)}) does not verify: ${e.message}`, { witness });
      }
      const seen = earliest.get(witness);
      if (seen === undefined || timestamp < seen.timestamp) earliest.set(witness, { witness, keyId: v.keyId, timestamp });
    }
  }
  return [...earliest.values()];
}

/**
 * witnesses/policy.py `check`: the cosignatures counted toward the policy
 * (those with timestamp <= notAfter when given, a bigint) must meet its quorum,
 * else PolicyError. Returns the counted [{witness, keyId, timestamp}].
 */
export async function checkPolicy(noteBytes, policy, { notAfter = undefined, context = 'checkpoint' } = {}) {
  const all = await collectCosignatures(noteBytes, policy);
  const counted = notAfter === undefined ? all : all.filter((c) => c.timestamp <= BigInt(notAfter));
  requireQuorum(policy, counted.map((c) => c.witness), context);
  return counted;
}

/**
 * Witness policy for the portal: which cosignatures a checkpoint needs.
 *
 * A k-of-n subset of c2sp.org/tlog-policy / the Sigsum policy model, as JSON
 * in trust.json (shape documented in docs/spec/portal-js.md §Policy):
 *   {"witnesses": [{"name": "w1", "vkey": "<cosignature/v1 vkey>"}, ...],
 *    "groups": [{"name": "g", "k": 2, "members": ["w1", "w2", ...]}, ...],
 *    "quorum": "g"}
 * Members name witnesses or EARLIER groups (so no cycles); quorum names a
 * group or a witness. A 0x01 Ed25519 vkey is accepted for a witness and
 * converted to its cosignature/v1 (0x04) key, as Armored Witnesses publish.
 * Left out: log entries in the policy, "none" quorums, ML-DSA witnesses.
 */
import { FormatError, PolicyError, SignatureError } from './errors.js';
import { ED25519, cosignatureVerifierKey, keyIdHex, parseNote, parseVerifierKey } from './note.js';
import { COSIGNATURE_V1, verifyCosignature } from './cosignature.js';

const NAME = /^[A-Za-z0-9._:\/-]{1,128}$/;

/** Validate the policy JSON; returns {witnesses: Map(name -> verifier), groups: Map(name -> {k, members}), quorum}. */
export function parsePolicy(json) {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new FormatError('witness policy must be an object');
  const { witnesses = [], groups = [], quorum } = json;
  if (!Array.isArray(witnesses) || !Array.isArray(groups)) throw new FormatError('policy witnesses and groups must be lists');
  const wit = new Map();
  const grp = new Map();
  const taken = (name) => wit.has(name) || grp.has(name);
  for (const w of witnesses) {
    if (!w || typeof w.name !== 'string' || !NAME.test(w.name)) throw new FormatError(`policy witness name ${JSON.stringify(w && w.name)} is invalid`);
    if (taken(w.name)) throw new FormatError(`policy name ${w.name} is defined twice`);
    let v = parseVerifierKey(w.vkey);
    if (v.type === ED25519) v = parseVerifierKey(cosignatureVerifierKey(w.vkey));
    if (v.type !== COSIGNATURE_V1) throw new FormatError(`witness ${w.name} key is not a cosignature/v1 key`);
    for (const other of wit.values()) {
      if (other.name === v.name && other.keyId === v.keyId) throw new FormatError(`witness ${w.name} repeats the key of another witness`);
    }
    wit.set(w.name, v);
  }
  for (const g of groups) {
    if (!g || typeof g.name !== 'string' || !NAME.test(g.name)) throw new FormatError(`policy group name ${JSON.stringify(g && g.name)} is invalid`);
    if (taken(g.name)) throw new FormatError(`policy name ${g.name} is defined twice`);
    if (!Array.isArray(g.members) || g.members.length === 0) throw new FormatError(`policy group ${g.name} has no members`);
    if (new Set(g.members).size !== g.members.length) throw new FormatError(`policy group ${g.name} lists a member twice`);
    for (const m of g.members) {
      if (!taken(m)) throw new FormatError(`policy group ${g.name} names ${JSON.stringify(m)}, which is not a witness or an earlier group`);
    }
    if (!Number.isSafeInteger(g.k) || g.k < 1 || g.k > g.members.length) {
      throw new FormatError(`policy group ${g.name} needs 1 <= k <= ${g.members.length}, got ${g.k}`);
    }
    grp.set(g.name, { k: g.k, members: g.members.slice() });
  }
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
 * checkpoint note (bytes). Unknown lines are ignored; a configured witness's
 * bad line throws SignatureError (a witness never signs garbage); one line
 * per witness counts. Returns [{witness, keyId, timestamp (bigint)}] in note order.
 */
export async function collectCosignatures(noteBytes, policy) {
  const note = parseNote(noteBytes);
  const out = [];
  const seen = new Set();
  for (const sig of note.signatures) {
    for (const [witness, v] of policy.witnesses) {
      if (v.name !== sig.name || v.keyId !== sig.keyId || seen.has(witness)) continue;
      seen.add(witness);
      let timestamp;
      try {
        timestamp = await verifyCosignature(v.publicKey, note.text, sig.signature, witness);
      } catch (e) {
        throw new SignatureError(`cosignature of witness ${witness} (${v.name}+${keyIdHex(v.keyId)}) does not verify: ${e.message}`, { witness });
      }
      out.push({ witness, keyId: v.keyId, timestamp });
    }
  }
  return out;
}

// The adversarial vector corpus (tests/vectors/adversarial/*.json) against the browser code.
// tests/test_adversarial_vectors.py runs the SAME files through the Python side, so both
// give one verdict per case (notes, cosignatures, policies, trust.json, announces, teams).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, hex } from './vectors.mjs';
import { openNote, parseCosignerKey, verifyCosignatureLine } from '../../../public_portal/static/js/note.js';
import { openCheckpoint } from '../../../public_portal/static/js/checkpoint.js';
import { parsePolicy, checkPolicy } from '../../../public_portal/static/js/policy.js';
import { parseTrust } from '../../../public_portal/static/js/trust.js';
import { parseAnnounce, computeDraw } from '../../../public_portal/static/js/draw.js';
import { keyIdHex } from '../../../public_portal/static/js/note.js';
import {
  AmbiguousKeyError, FormatError, PolicyError, SignatureError,
} from '../../../public_portal/static/js/errors.js';
import { utf8 } from '../../../public_portal/static/js/bytes.js';
import { canonicalize } from '../../../public_portal/static/js/jcs.js';

const FILES = ['notes', 'cosignatures', 'policies', 'trust', 'announces'];

/** A vector's note: a string, {b64} or {concat: [string | {repeat, times}]}. */
export function noteBytes(value) {
  if (typeof value === 'string') return utf8(value);
  if (value.b64 !== undefined) return Uint8Array.from(Buffer.from(value.b64, 'base64'));
  return utf8(value.concat.map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join(''));
}

function noteKind(e) {
  if (e instanceof AmbiguousKeyError) return 'ambiguous_key';
  if (e instanceof FormatError) return 'malformed';
  if (e instanceof SignatureError) return /no verifiable/.test(e.message) ? 'no_verifiable_signature' : 'invalid_signature';
  throw e;
}

const ids = (sigs) => sigs.map((s) => `${s.name}+${keyIdHex(s.keyId)}`);

/** The verdict of the JS implementation, in the vectors' vocabulary. */
async function run(c) {
  switch (c.op) {
    case 'open_note':
      try {
        const opened = await openNote(noteBytes(c.note), c.verifier_keys);
        return { result: 'ok', verified: ids(opened.verified) };
      } catch (e) { return { result: noteKind(e), message: e.message }; }
    case 'open_checkpoint':
      try {
        const { checkpoint, note } = await openCheckpoint(noteBytes(c.note), c.verifier_keys, c.origin);
        return { result: 'ok', verified: ids(note.verified), tree_size: checkpoint.treeSize.toString() };
      } catch (e) { return { result: noteKind(e), message: e.message }; }
    case 'verify_cosignature_line':
      try {
        const ts = await verifyCosignatureLine(c.vkey, utf8(c.body), c.line);
        return { result: 'ok', timestamp: ts.toString() };
      } catch (e) { return { result: noteKind(e), message: e.message }; }
    case 'parse_cosigner_key':
      try {
        const k = parseCosignerKey(c.vkey);
        return { result: 'ok', name: k.name, key_id: keyIdHex(k.keyId) };
      } catch (e) { return { result: noteKind(e), message: e.message }; }
    case 'parse_policy':
    case 'check_policy': {
      let policy;
      try {
        policy = parsePolicy(c.policy);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return { result: 'policy_format', message: e.message };
      }
      if (c.op === 'parse_policy') return { result: 'ok', witnesses: [...policy.witnesses.keys()], quorum: policy.quorum };
      try {
        const notAfter = c.not_after === null ? undefined : BigInt(c.not_after);
        const counted = await checkPolicy(noteBytes(c.note), policy, { notAfter });
        return { result: 'ok', counted: Object.fromEntries(counted.map((x) => [x.witness, x.timestamp.toString()])) };
      } catch (e) {
        if (e instanceof PolicyError) return { result: 'policy_not_met', message: e.message };
        if (e instanceof SignatureError) return { result: 'invalid_cosignature', message: e.message };
        if (e instanceof FormatError) return { result: 'malformed', message: e.message };
        throw e;
      }
    }
    case 'parse_trust':
      try {
        const t = parseTrust(c.trust);
        return { result: 'ok', origin: t.origin, margin_seconds: t.marginSeconds };
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return { result: 'trust_error', message: e.message };
      }
    case 'parse_announce':
      try {
        parseAnnounce(c.announce);
        return { result: 'ok' };
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return { result: 'error', field: e.evidence && e.evidence.field, message: e.message };
      }
    case 'draw_team': {
      const computed = computeDraw(c.announce, c.units, hex(c.randomness), { inspectors: c.inspectors, experts: [] });
      const team = computed.selected[0].team;
      return { result: 'ok', members: team.members.map((m) => [m.role, m.person_id]), unfilled: team.unfilled };
    }
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/** Every expected key must be equal; `message` is a case-insensitive fragment. */
export function matches(expect, got) {
  return Object.entries(expect).every(([k, want]) => (k === 'message'
    ? String(got.message ?? '').toLowerCase().includes(want.toLowerCase())
    : got[k] !== undefined && canonicalize(got[k]) === canonicalize(want)));
}

for (const file of FILES) {
  const doc = loadVectors(`adversarial/${file}.json`);
  test(`adversarial ${file}.json: both verdicts present`, () => {
    const results = new Set(doc.vectors.map((v) => v.expect.result));
    assert.ok(results.has('ok'));
    assert.ok(results.size > 1);
  });
  for (const c of doc.vectors) {
    test(`adversarial ${file}: ${c.name}`, async () => {
      const got = await run(c);
      assert.ok(matches(c.expect, got), `${c.why}\nexpected ${JSON.stringify(c.expect)}\ngot      ${JSON.stringify(got)}`);
    });
  }
}

test('matches can fail', () => {
  assert.equal(matches({ result: 'ok' }, { result: 'malformed' }), false);
  assert.equal(matches({ result: 'malformed', message: 'origin' }, { result: 'malformed', message: 'size' }), false);
  assert.equal(matches({ result: 'ok', counted: { w1: '1' } }, { result: 'ok', counted: { w1: '2' } }), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, b64 } from './vectors.mjs';
import { cosignatureMessage, parseTimestampedSignature, verifyCosignature } from '../../../public_portal/static/js/cosignature.js';
import { parseNote, parseVerifierKey, cosignatureVerifierKey, formatVerifierKey, openNote } from '../../../public_portal/static/js/note.js';
import { parsePolicy, satisfiedBy, requireQuorum, collectCosignatures } from '../../../public_portal/static/js/policy.js';
import { setCryptoBackend } from '../../../public_portal/static/js/hashing.js';
import { ed25519 } from '../../../public_portal/static/js/vendor/noble-curves.min.js';
import { FormatError, PolicyError, SignatureError } from '../../../public_portal/static/js/errors.js';
import { encodeBase64, concatBytes, uint64be, utf8 } from '../../../public_portal/static/js/bytes.js';

const C = loadVectors('tlog/cosignatures.json');
const enc = new TextEncoder();

test('signed message vectors byte for byte (timestamps beyond 2^53 kept exact)', () => {
  for (const v of C.signed_message_vectors) {
    const msg = Buffer.from(v.message_b64, 'base64').toString('utf8');
    assert.equal(msg, v.message);
    const ts = BigInt(/^cosignature\/v1\ntime (\d+)\n/.exec(msg)[1]);
    const text = enc.encode(msg.slice(msg.indexOf('\n', 15) + 1));
    assert.equal(Buffer.from(cosignatureMessage(text, ts)).toString('base64'), v.message_b64);
  }
  assert.throws(() => cosignatureMessage(new Uint8Array(0), 1n << 63n), FormatError);
});

test('timestamp extraction vectors', () => {
  for (const v of C.timestamp_extraction) {
    const run = () => parseTimestampedSignature(b64(v.signature_b64).slice(4));
    if (v.want_error) assert.throws(run, FormatError);
    else assert.equal(run().timestamp, BigInt(v.want_timestamp));
  }
  const big = concatBytes(uint64be(1n << 63n), new Uint8Array(64));
  assert.throws(() => parseTimestampedSignature(big), FormatError);
});

for (const backend of ['webcrypto', 'noble']) {
  test(`real cosigned checkpoints verify; timestamps recovered (${backend})`, async () => {
    setCryptoBackend(backend);
    let n = 0;
    for (const cp of C.cosigned_checkpoints) {
      const note = parseNote(enc.encode(cp.note));
      assert.equal(new TextDecoder().decode(note.text), cp.checkpoint_body);
      for (const s of cp.signatures.filter((x) => x.timestamp !== undefined)) {
        const vkey = s.witness_vkey ?? cosignatureVerifierKey(s.witness_vkey_published);
        if (s.cosignature_v1_vkey_COMPUTED) assert.equal(vkey, s.cosignature_v1_vkey_COMPUTED);
        const v = parseVerifierKey(vkey);
        const line = note.signatures.find((x) => x.name === s.name && x.keyId === v.keyId);
        assert.equal(await verifyCosignature(v.publicKey, note.text, line.signature), BigInt(s.timestamp));
        const bad = line.signature.slice();
        bad[20] ^= 4;
        await assert.rejects(verifyCosignature(v.publicKey, note.text, bad), SignatureError);
        const later = line.signature.slice();
        later[7] ^= 1; // timestamp + 1 or - 1: the signature covers the time line
        await assert.rejects(verifyCosignature(v.publicKey, note.text, later), SignatureError);
        n++;
      }
      // openNote with the 0x04 keys verifies them as note signatures too
      const keys = cp.signatures.filter((x) => x.timestamp !== undefined)
        .map((s) => s.witness_vkey ?? cosignatureVerifierKey(s.witness_vkey_published));
      const opened = await openNote(enc.encode(cp.note), keys);
      assert.equal(opened.verified.length, keys.length);
      assert.ok(opened.verified.every((x) => typeof x.timestamp === 'bigint'));
    }
    setCryptoBackend('auto');
    assert.equal(n, 5);
  });
}

test('policy over the three real Rekor staging witnesses', async () => {
  const cp = C.cosigned_checkpoints.find((x) => x.id === 'sigstore-rekor-v2-three-witnesses');
  const ws = cp.signatures.filter((s) => s.witness_vkey).map((s, i) => ({ name: `w${i}`, vkey: s.witness_vkey }));
  const policy = parsePolicy({ witnesses: ws, groups: [{ name: 'two', k: 2, members: ['w0', 'w1', 'w2'] }], quorum: 'two' });
  const got = await collectCosignatures(enc.encode(cp.note), policy);
  assert.deepEqual(got.map((g) => g.witness), ['w0', 'w1', 'w2']);
  assert.ok(got.every((g) => g.timestamp === 1778700214n));
  requireQuorum(policy, got.map((g) => g.witness));
  // drop two lines: policy unmet
  const lines = cp.note.split('\n');
  const dropped = lines.filter((l) => !l.startsWith('\u2014 witness.')).join('\n');
  const fewer = await collectCosignatures(enc.encode(dropped), policy);
  assert.equal(fewer.length, 1);
  assert.throws(() => requireQuorum(policy, fewer.map((g) => g.witness)), PolicyError);
  // corrupt one configured witness line: SignatureError naming the witness
  const raw = b64(cp.signatures[1].line.split(' ')[2]);
  raw[30] ^= 1;
  const corrupt = cp.note.replace(cp.signatures[1].line.split(' ')[2], encodeBase64(raw));
  await assert.rejects(collectCosignatures(enc.encode(corrupt), policy), (e) => e instanceof SignatureError && e.evidence.witness === 'w0');
});

test('nested groups, k-of-n semantics and policy validation', () => {
  const keys = Array.from({ length: 5 }, (_, i) => {
    const pk = ed25519.getPublicKey(new Uint8Array(32).fill(i + 1));
    return { name: `w${i}`, vkey: formatVerifierKey(`witness${i}.example`, 4, pk) };
  });
  const policy = parsePolicy({
    witnesses: keys,
    groups: [
      { name: 'ours', k: 2, members: ['w0', 'w1', 'w2'] },
      { name: 'theirs', k: 1, members: ['w3', 'w4'] },
      { name: 'all', k: 2, members: ['ours', 'theirs'] },
    ],
    quorum: 'all',
  });
  assert.equal(satisfiedBy(policy, ['w0', 'w1', 'w3']), true);
  assert.equal(satisfiedBy(policy, ['w0', 'w1', 'w2']), false);
  assert.equal(satisfiedBy(policy, ['w0', 'w4']), false);
  assert.equal(satisfiedBy(policy, ['w2', 'w1', 'w4', 'w3']), true);
  const bad = [
    { witnesses: keys, groups: [{ name: 'g', k: 3, members: ['w0', 'w1'] }], quorum: 'g' },
    { witnesses: keys, groups: [{ name: 'g', k: 1, members: ['later'] }, { name: 'later', k: 1, members: ['w0'] }], quorum: 'g' },
    { witnesses: keys, groups: [{ name: 'g', k: 1, members: ['w0', 'w0'] }], quorum: 'g' },
    { witnesses: [...keys, keys[0]], groups: [], quorum: 'w0' },
    { witnesses: keys, groups: [], quorum: 'nobody' },
    { witnesses: [{ name: 'x', vkey: 'x+00000000+AAAA' }], groups: [], quorum: 'x' },
    { witnesses: keys, groups: [{ name: 'g', k: 0, members: ['w0'] }], quorum: 'g' },
  ];
  for (const p of bad) assert.throws(() => parsePolicy(p), FormatError, JSON.stringify(p.groups));
  // a 0x01 vkey is converted to its cosignature/v1 key
  const pk = ed25519.getPublicKey(new Uint8Array(32).fill(9));
  const p1 = parsePolicy({ witnesses: [{ name: 'a', vkey: formatVerifierKey('a.example', 1, pk) }], groups: [], quorum: 'a' });
  assert.equal(p1.witnesses.get('a').type, 4);
});

test('synthetic cosignatures made with noble verify through collectCosignatures', async () => {
  const sk = new Uint8Array(32).fill(7);
  const pk = ed25519.getPublicKey(sk);
  const vkey = formatVerifierKey('w.example', 4, pk);
  const policy = parsePolicy({ witnesses: [{ name: 'w', vkey }], groups: [], quorum: 'w' });
  const text = utf8('fairdraw.example/log\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n');
  const ts = 1_900_000_000n;
  const sig = ed25519.sign(cosignatureMessage(text, ts), sk);
  const raw = concatBytes(new Uint8Array([(parseVerifierKey(vkey).keyId >>> 24) & 255, (parseVerifierKey(vkey).keyId >>> 16) & 255, (parseVerifierKey(vkey).keyId >>> 8) & 255, parseVerifierKey(vkey).keyId & 255]), uint64be(ts), sig);
  const note = concatBytes(text, utf8(`\n\u2014 w.example ${encodeBase64(raw)}\n`));
  const got = await collectCosignatures(note, policy);
  assert.deepEqual(got.map((g) => [g.witness, g.timestamp]), [['w', ts]]);
});

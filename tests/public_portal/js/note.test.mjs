import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, b64 } from './vectors.mjs';
import {
  openNote, parseNote, parseVerifierKey, keyId, keyIdHex, cosignatureVerifierKey, formatVerifierKey,
} from '../../../public_portal/static/js/note.js';
import { parseCheckpoint, formatCheckpoint, openCheckpoint } from '../../../public_portal/static/js/checkpoint.js';
import { setCryptoBackend } from '../../../public_portal/static/js/hashing.js';
import { FormatError, SignatureError, AmbiguousKeyError } from '../../../public_portal/static/js/errors.js';
import { encodeBase64 } from '../../../public_portal/static/js/bytes.js';

const N = loadVectors('tlog/notes.json');

// Where our strict parser rejects a note for a different (earlier) reason than Go.
const DIVERGENCES = {
  // Go's lenient base64 accepts non-zero trailing bits in "...6gx="; STYLE §5 requires
  // base64 that re-encodes identically, so the signature line is malformed here.
  'litewitness-sigsum-size3-1': 'malformed',
};

function supported(vkeys) {
  try {
    vkeys.forEach(parseVerifierKey);
    return true;
  } catch {
    return false;
  }
}

async function outcome(v) {
  try {
    const opened = await openNote(b64(v.note_b64), v.verifier_keys);
    return { result: 'ok', opened };
  } catch (e) {
    if (e instanceof AmbiguousKeyError) return { result: 'ambiguous_key', e };
    if (e instanceof FormatError) return { result: 'malformed', e };
    if (e instanceof SignatureError) {
      return { result: /no verifiable/.test(e.message) ? 'no_verifiable_signature' : 'invalid_signature', e };
    }
    throw e;
  }
}

for (const backend of ['webcrypto', 'noble']) {
  test(`signed-note vectors open as Go's note.Open does (${backend})`, async () => {
    setCryptoBackend(backend);
    let checked = 0;
    const skipped = [];
    for (const v of N.vectors) {
      if (!supported(v.verifier_keys)) {
        skipped.push(v.id); // ECDSA (0x02) / RFC 6962 (0x05) log keys: not a fairdraw key type
        continue;
      }
      const got = await outcome(v);
      const want = DIVERGENCES[v.id] ?? v.expected.result;
      assert.equal(got.result, want, `${v.id}: ${got.e && got.e.message}`);
      if (want === 'ok') {
        assert.deepEqual(got.opened.verified.map((s) => s.id), v.expected.verified, v.id);
        assert.deepEqual(got.opened.unverified.map((s) => s.id), v.expected.unverified, v.id);
        if (v.checkpoint) {
          const cp = parseCheckpoint(got.opened.text);
          assert.equal(cp.origin, v.checkpoint.origin);
          assert.equal(cp.treeSize, BigInt(v.checkpoint.size));
          assert.equal(encodeBase64(cp.rootHash), v.checkpoint.root_b64);
          assert.deepEqual(cp.extensions, v.checkpoint.extension_lines);
        }
      }
      if (want === 'no_verifiable_signature') {
        assert.deepEqual(got.e.evidence.unverified, v.expected.unverified, v.id);
      }
      checked++;
    }
    setCryptoBackend('auto');
    assert.ok(checked >= 35, `checked ${checked}`);
    assert.deepEqual(skipped.sort(), ['formats-ecdsa-pixel6', 'formats-rfc6962-rome-borked', 'witness-readme-pixel-bt']);
  });
}

test('a flipped signature bit rejects the note; a flipped text byte too', async () => {
  const v = N.vectors.find((x) => x.id === 'c2sp-signed-note-example');
  const good = b64(v.note_b64);
  await openNote(good, v.verifier_keys);
  const text = new TextDecoder().decode(good);
  const sigLine = text.slice(text.lastIndexOf('\u2014'));
  const raw = b64(sigLine.split(' ')[2].trim());
  raw[10] ^= 1;
  const tampered = text.slice(0, text.lastIndexOf('\u2014')) + `\u2014 ${sigLine.split(' ')[1]} ${encodeBase64(raw)}\n`;
  await assert.rejects(openNote(new TextEncoder().encode(tampered), v.verifier_keys), SignatureError);
  const t2 = good.slice();
  t2[0] ^= 0x20;
  await assert.rejects(openNote(t2, v.verifier_keys), SignatureError);
});

test('two configured keys with the same name and id used by a signature: ambiguous', async () => {
  const v = N.vectors.find((x) => x.id === 'c2sp-signed-note-example');
  await assert.rejects(openNote(b64(v.note_b64), [v.verifier_keys[0], v.verifier_keys[0]]), AmbiguousKeyError);
});

test('verifier keys: id check, types, cosignature key ids', () => {
  let n = 0;
  for (const k of N.verifier_keys) {
    const fairdrawType = k.sig_type === 1 || k.sig_type === 4;
    const idOk = (k.key_id_check_COMPUTED || []).some((c) => c.startsWith('sha256(name'));
    if (k.expected_valid_per_source === true && fairdrawType) {
      const v = parseVerifierKey(k.vkey);
      assert.equal(keyIdHex(v.keyId), k.key_id_hex);
      assert.equal(formatVerifierKey(v.name, v.type, v.publicKey), k.vkey);
      if (k.cosignature_v1_key_id_for_same_key_COMPUTED) {
        assert.equal(keyIdHex(keyId(v.name, 4, v.publicKey)), k.cosignature_v1_key_id_for_same_key_COMPUTED);
      }
      n++;
    } else if (k.expected_valid_per_source === null && fairdrawType && idOk) {
      parseVerifierKey(k.vkey);
    } else {
      assert.throws(() => parseVerifierKey(k.vkey), FormatError, k.vkey);
    }
  }
  assert.ok(n >= 15);
  for (const bad of ['a+530d903a', 'example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k',
    'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=', 'exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k']) {
    assert.throws(() => parseVerifierKey(bad), FormatError, bad);
  }
  const c = loadVectors('tlog/cosignatures.json');
  for (const k of c.cosigner_keys) {
    if (k.cosignature_v1_vkey_COMPUTED) assert.equal(cosignatureVerifierKey(k.vkey), k.cosignature_v1_vkey_COMPUTED);
    else assert.equal(keyIdHex(parseVerifierKey(k.vkey).keyId), k.key_id_hex);
  }
});

test('checkpoint bodies: strict C2SP parsing, format(parse(x)) == x', () => {
  for (const c of N.checkpoint_bodies) {
    let want;
    if (c.c2sp_strict_analysis_COMPUTED) want = c.c2sp_strict_analysis_COMPUTED.ok;
    else if (c.c2sp_checkpoint_analysis) want = c.c2sp_checkpoint_analysis.startsWith('valid');
    else want = c.go_tlog_ParseTree.ok;
    if (want) {
      const cp = parseCheckpoint(c.text);
      assert.equal(new TextDecoder().decode(formatCheckpoint(cp)), c.text);
    } else {
      assert.throws(() => parseCheckpoint(c.text), FormatError, JSON.stringify(c.text.slice(0, 60)));
    }
  }
  for (const bad of ['o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n', 'o\n+1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n',
    '\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n', 'o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n',
    'o\n9223372036854775808\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n']) {
    assert.throws(() => parseCheckpoint(bad), FormatError, bad);
  }
});

test('openCheckpoint checks the origin', async () => {
  const v = N.vectors.find((x) => x.id === 'tessera-testdata-checkpoint-2');
  const { checkpoint } = await openCheckpoint(b64(v.note_b64), v.verifier_keys, 'example.com/log/testdata');
  assert.equal(checkpoint.treeSize, 2n);
  await assert.rejects(openCheckpoint(b64(v.note_b64), v.verifier_keys, 'other.example'), FormatError);
});

test('parseNote limits', () => {
  const sig = '\u2014 k AAAAAAA=\n';
  assert.throws(() => parseNote(new TextEncoder().encode('t\n\n' + sig.repeat(101))), FormatError);
  parseNote(new TextEncoder().encode('t\n\n' + sig.repeat(100)));
  assert.throws(() => parseNote(new TextEncoder().encode('t\u0001\n\n' + sig)), FormatError);
  assert.throws(() => parseNote(new Uint8Array((1 << 20) + 1)), FormatError);
});

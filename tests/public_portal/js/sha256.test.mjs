// The synchronous SHA-256 of hashing.js (noble's) against WebCrypto: every length 0..300 (all
// padding cases around the 55/56/64-byte borders), random longer messages, the FIPS 180-4
// examples, the scratch API, and that a long message does not corrupt later ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { sha256Sync, sha256Scratch, sha256ScratchInto } from '../../../public_portal/static/js/hashing.js';
import { bytesToHex, utf8 } from '../../../public_portal/static/js/bytes.js';

function randomBytes(n, rnd) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('FIPS 180-4 examples', () => {
  assert.equal(bytesToHex(sha256Sync(utf8(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(bytesToHex(sha256Sync(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(bytesToHex(sha256Sync(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  assert.equal(bytesToHex(sha256Sync(new Uint8Array(1000000).fill(0x61))),
    'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

async function webSha256(m) {
  return new Uint8Array(await webcrypto.subtle.digest('SHA-256', m));
}

test('every length 0..300 and random lengths agree with WebCrypto', async () => {
  const rnd = rng(7);
  const lengths = [...Array(301).keys(), ...Array.from({ length: 60 }, () => Math.floor(rnd() * 20000))];
  for (const n of lengths) {
    const m = randomBytes(n, rnd);
    assert.equal(bytesToHex(sha256Sync(m)), bytesToHex(await webSha256(m)), `length ${n} vs WebCrypto`);
  }
});

test('scratch API writes in place and into an offset; a subarray input works', async () => {
  const rnd = rng(11);
  const out = new Uint8Array(32 * 5).fill(0xee);
  for (let i = 0; i < 5; i++) {
    const m = randomBytes(40 + 37 * i, rnd);
    sha256Scratch(m.length).set(m, 0);
    sha256ScratchInto(m.length, out, 32 * i);
    assert.equal(bytesToHex(out.subarray(32 * i, 32 * i + 32)), bytesToHex(await webSha256(m)));
  }
  const big = randomBytes(9000, rnd);
  assert.equal(bytesToHex(sha256Sync(big.subarray(100, 8100))), bytesToHex(await webSha256(big.slice(100, 8100))));
  // After a long message grew the scratch buffer, short ones still pad correctly.
  assert.equal(bytesToHex(sha256Sync(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

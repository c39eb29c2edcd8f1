// trustroot.js against the shared vectors tests/vectors/trust/*.json (the Python tests read the same files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from './vectors.mjs';
import { trustFingerprint, compareMemory, memoryKey } from '../../../public_portal/static/js/trustroot.js';
import { FormatError } from '../../../public_portal/static/js/errors.js';

const fingerprints = loadVectors('trust/fingerprint.json');
const memory = loadVectors('trust/memory.json');

test('fingerprint vectors: full and short form, refusals', () => {
  assert.ok(fingerprints.vectors.length >= 9);
  for (const v of fingerprints.vectors) {
    const parsed = JSON.parse(v.text);
    if (v.error) {
      assert.throws(() => trustFingerprint(parsed), FormatError, v.name);
      continue;
    }
    assert.deepEqual(trustFingerprint(parsed), { short: v.short, full: v.full }, v.name);
  }
});

test('fingerprint: whitespace and key order do not matter, every value does', () => {
  const [a, b] = fingerprints.vectors;
  const trust = JSON.parse(a.text);
  assert.equal(trustFingerprint(JSON.parse(b.text)).full, trustFingerprint(trust).full);
  trust.log.origin += 'x';
  assert.notEqual(trustFingerprint(trust).full, a.full);
  assert.match(a.short, /^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
  assert.equal(a.full.slice(0, 16), a.short.replaceAll('-', ''));
  for (const bad of [null, [], 'trust', 3]) assert.throws(() => trustFingerprint(bad), FormatError);
});

test('memory vectors: status and reason prefix', () => {
  assert.ok(memory.vectors.length >= 10);
  for (const v of memory.vectors) {
    const got = compareMemory(v.previous, v.current);
    assert.equal(got.status, v.status, v.name);
    assert.ok(got.reason.startsWith(`${v.status}: `), `${v.name}: ${got.reason}`);
  }
});

test('memory: red reasons show both checkpoints; records of other logs are refused', () => {
  const fork = memory.vectors.find((v) => v.status === 'fork');
  const { reason } = compareMemory(fork.previous, fork.current);
  assert.ok(reason.includes(fork.previous.root_hash) && reason.includes(fork.current.root_hash), reason);
  assert.ok(reason.includes(`size ${fork.previous.tree_size}`), reason);
  const other = { ...fork.current, key_id: 'ffffffff' };
  assert.throws(() => compareMemory(fork.previous, other), FormatError);
  assert.throws(() => compareMemory(fork.previous, { ...fork.current, tree_size: -1 }), FormatError);
  assert.equal(compareMemory(fork.previous, { ...fork.previous, tree_size: BigInt(fork.previous.tree_size) + 1n }).status, 'extends');
  assert.notEqual(memoryKey('a/b', '01020304'), memoryKey('a/b', '01020305'));
});

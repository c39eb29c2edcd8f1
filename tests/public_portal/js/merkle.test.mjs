import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, b64, hex } from './vectors.mjs';
import {
  leafHash, nodeHash, rootHash, EMPTY_ROOT, verifyInclusion, verifyConsistency,
  inclusionRanges, consistencyRanges,
} from '../../../public_portal/static/js/merkle.js';
import { bytesToHex } from '../../../public_portal/static/js/bytes.js';
import { VerificationError, InclusionProofError, ConsistencyProofError } from '../../../public_portal/static/js/errors.js';

const M = loadVectors('tlog/merkle.json');

test('reference tree: leaf hashes, node hashes and roots of sizes 0..8', () => {
  const t = M.reference_tree;
  const leaves = t.leaf_inputs_hex.map((h) => leafHash(hex(h)));
  assert.deepEqual(leaves.map(bytesToHex), t.node_hashes_hex_by_level[0]);
  for (let n = 0; n <= leaves.length; n++) {
    assert.equal(bytesToHex(rootHash(leaves.slice(0, n))), t.root_hashes_hex_by_tree_size[n], `size ${n}`);
  }
  assert.equal(bytesToHex(EMPTY_ROOT), t.root_hashes_hex_by_tree_size[0]);
  assert.equal(bytesToHex(nodeHash(leaves[0], leaves[1])), t.node_hashes_hex_by_level[1][0]);
});

test('hasher vectors', () => {
  for (const v of M.hasher) {
    let got;
    if (v.op === 'empty_root') got = EMPTY_ROOT;
    else if (v.op === 'leaf_hash') got = leafHash(hex(v.leaf_hex ?? v.input_hex ?? ''));
    else if (v.op === 'node_hash') got = nodeHash(hex(v.left_hex), hex(v.right_hex));
    else continue;
    assert.equal(bytesToHex(got), v.want_hex, v.desc);
  }
});

test('every inclusion proof vector (positive and negative)', () => {
  let pos = 0;
  let neg = 0;
  for (const v of M.inclusion_proofs) {
    const run = () => verifyInclusion(v.leaf_index, v.tree_size, b64(v.leaf_hash_b64), v.proof_b64.map(b64), b64(v.root_b64));
    if (v.want_valid) {
      run();
      pos++;
    } else {
      assert.throws(run, InclusionProofError, v.desc);
      neg++;
    }
  }
  assert.ok(pos >= 3 && neg >= 30, `${pos} positive, ${neg} negative`);
});

test('every consistency proof vector (positive and negative)', () => {
  for (const v of M.consistency_proofs) {
    const run = () => verifyConsistency(v.size1, v.size2, b64(v.root1_b64), b64(v.root2_b64), v.proof_b64.map(b64));
    if (v.want_valid) run();
    else assert.throws(run, ConsistencyProofError, v.desc);
  }
});

test('tessera testdata log: roots and derived proofs', () => {
  const t = M.tessera_testdata_log;
  const leaves = t.leaves_ascii.map((s) => leafHash(new TextEncoder().encode(s)));
  t.root_b64_by_tree_size.forEach((r, n) => assert.equal(Buffer.from(rootHash(leaves.slice(0, n))).toString('base64'), r));
  for (const p of t.derived_inclusion_proofs_COMPUTED) {
    verifyInclusion(p.leaf_index, p.tree_size, b64(p.leaf_hash_b64), p.proof_b64.map(b64), b64(p.root_b64));
  }
  for (const p of t.derived_consistency_proofs_COMPUTED) {
    verifyConsistency(p.size1, p.size2, b64(p.root1_b64), b64(p.root2_b64), p.proof_b64.map(b64));
  }
  for (const w of M.witness_request_consistency_examples) {
    const run = () => verifyConsistency(w.size1, w.size2, b64(w.root1_b64), b64(w.root2_b64), (w.proof_hex ? w.proof_hex.map(hex) : w.proof_b64.map(b64)));
    if (w.want_valid) run();
    else assert.throws(run, VerificationError);
  }
});

test('proofs built from ranges verify for every (index, size) up to 40; any bit flip fails', () => {
  const leaves = Array.from({ length: 40 }, (_, i) => leafHash(new Uint8Array([i, i * 7])));
  const mth = ([a, b]) => rootHash(leaves.slice(a, b));
  for (let n = 1; n <= 40; n++) {
    const root = rootHash(leaves.slice(0, n));
    for (let i = 0; i < n; i++) {
      const proof = inclusionRanges(i, n).map(mth);
      verifyInclusion(i, n, leaves[i], proof, root);
      if (proof.length) {
        const bad = proof.map((p) => p.slice());
        bad[bad.length - 1][5] ^= 1;
        assert.throws(() => verifyInclusion(i, n, leaves[i], bad, root), InclusionProofError);
      }
    }
    for (let m = 1; m < n; m++) {
      const proof = consistencyRanges(m, n).map(mth);
      verifyConsistency(m, n, rootHash(leaves.slice(0, m)), root, proof);
      const bad = proof.map((p) => p.slice());
      bad[0][0] ^= 0x80;
      assert.throws(() => verifyConsistency(m, n, rootHash(leaves.slice(0, m)), root, bad), ConsistencyProofError);
    }
  }
});

test('errors carry evidence', () => {
  const leaves = [leafHash(new Uint8Array([1])), leafHash(new Uint8Array([2]))];
  const root = rootHash(leaves);
  try {
    verifyInclusion(0, 2, leaves[0], [leaves[0]], root);
    assert.fail('must throw');
  } catch (e) {
    assert.ok(e instanceof InclusionProofError);
    assert.equal(e.evidence.expected, bytesToHex(root));
    assert.equal(e.evidence.computed, bytesToHex(nodeHash(leaves[0], leaves[0])));
  }
});

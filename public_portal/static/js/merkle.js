/**
 * RFC 9162 §2.1 Merkle tree hashing and proof verification over SHA-256
 * (the browser twin of transparency/merkle.py).
 *
 * leafHash/nodeHash/rootHash, verifyInclusion (§2.1.3.2) and verifyConsistency
 * (§2.1.4.2) with the transparency-dev/merkle edge rules: hashes are exactly
 * 32 bytes, index < size, a proof from size 0 is an error, equal sizes need an
 * empty proof and equal roots. Sizes and indices may be Numbers (safe
 * integers) or bigints; the bit arithmetic runs on bigints so 64-bit sizes
 * work. Also the RFC's range decomposition (PATH / SUBPROOF as lists of
 * [start, end) leaf ranges) used by tiles.js to build proofs from tiles.
 * Failures throw errors carrying evidence; nothing returns false.
 */
import { sha256Scratch, sha256ScratchInto, sha256Sync } from './hashing.js';
import { bytesToHex, equalBytes, toBigIndex } from './bytes.js';
import { ConsistencyProofError, InclusionProofError, ProofArgumentError } from './errors.js';

export const HASH_SIZE = 32;
export const EMPTY_ROOT = sha256Sync(new Uint8Array(0));

/**
 * SPEC(RFC 9162 §2.1.1): leaf hash = SHA-256(0x00 || data), written to out[offset…+32).
 * `data` may be a subarray (e.g. one line of a fetched file); nothing is concatenated.
 */
export function leafHashInto(data, out, offset = 0) {
  const buf = sha256Scratch(data.length + 1);
  buf[0] = 0;
  buf.set(data, 1);
  return sha256ScratchInto(data.length + 1, out, offset);
}

export function leafHash(data) {
  return leafHashInto(data, new Uint8Array(HASH_SIZE), 0);
}

export function nodeHash(left, right) {
  // SPEC(RFC 9162 §2.1.1): node hash = SHA-256(0x01 || left || right).
  return nodeHashOf(left, right);
}

/**
 * MTH over `count` leaf hashes stored back to back in `hashes` (32 bytes each), computed
 * bottom-up IN PLACE (the buffer is overwritten). Pairing neighbours level by level and
 * carrying an odd last node up unchanged gives exactly the RFC 9162 §2.1.1 split at the
 * largest power of two below n: the left part is a perfect tree, the right part recurses.
 */
export function rootOfFlatLeafHashes(hashes, count) {
  if (count === 0) return EMPTY_ROOT;
  let n = count;
  while (n > 1) {
    const pairs = n >> 1;
    for (let i = 0; i < pairs; i++) {
      const buf = sha256Scratch(65);
      buf[0] = 1;
      buf.set(hashes.subarray(64 * i, 64 * i + 64), 1);
      sha256ScratchInto(65, hashes, 32 * i);
    }
    if (n & 1) hashes.copyWithin(32 * pairs, 32 * (n - 1), 32 * n);
    n = pairs + (n & 1);
  }
  return hashes.slice(0, HASH_SIZE);
}

function checkHash(name, value) {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new ProofArgumentError(`${name} must be ${HASH_SIZE} bytes, got ${value && value.length}`);
  }
}

function bigIndex(value, what) {
  try {
    return toBigIndex(value, what);
  } catch (e) {
    throw new ProofArgumentError(e.message);
  }
}

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over a list of leaf hashes (RFC 9162 §2.1.1). */
export function rootHash(leafHashes) {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  if (leafHashes.length === 1) return leafHashes[0];
  if (!leafHashes.every((h) => h.length === HASH_SIZE)) {
    // Not hashes (callers pass 32-byte values); keep the recursive definition's result.
    const k = split(leafHashes.length);
    return nodeHashOf(rootHash(leafHashes.slice(0, k)), rootHash(leafHashes.slice(k)));
  }
  const flat = new Uint8Array(HASH_SIZE * leafHashes.length);
  leafHashes.forEach((h, i) => flat.set(h, HASH_SIZE * i));
  return rootOfFlatLeafHashes(flat, leafHashes.length);
}

function nodeHashOf(left, right) {
  const buf = sha256Scratch(1 + left.length + right.length);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256ScratchInto(1 + left.length + right.length, new Uint8Array(HASH_SIZE), 0);
}

/** Leaf ranges [start, end) whose MTHs form PATH(index, D[0:size]), in proof order. */
export function inclusionRanges(index, size) {
  const out = [];
  const walk = (m, start, n) => {
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(m, start, k);
      out.push([start + k, start + n]);
    } else {
      walk(m - k, start + k, n - k);
      out.push([start, start + k]);
    }
  };
  walk(index, 0, size);
  return out;
}

/** Leaf ranges whose MTHs form PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1), in proof order. */
export function consistencyRanges(size1, size2) {
  const out = [];
  const sub = (m, start, n, b) => {
    if (m === n) {
      if (!b) out.push([start, start + n]);
      return;
    }
    const k = split(n);
    if (m <= k) {
      sub(m, start, k, b);
      out.push([start + k, start + n]);
    } else {
      sub(m - k, start + k, n - k, false);
      out.push([start, start + k]);
    }
  };
  if (size1 > 0 && size1 < size2) sub(size1, 0, size2, true);
  return out;
}

/** The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-5); throws on impossible arguments. */
export function rootFromInclusionProof(index, treeSize, leaf, proof) {
  const m = bigIndex(index, 'leaf index');
  const n = bigIndex(treeSize, 'tree size');
  checkHash('leaf hash', leaf);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  // SPEC(RFC 9162 §2.1.3.2): if leaf_index >= tree_size, fail.
  if (m >= n) throw new ProofArgumentError(`index ${m} is not below tree size ${n}`);
  let fn = m;
  let sn = n - 1n;
  let r = leaf;
  for (const p of proof) {
    // SPEC(RFC 9162 §2.1.3.2): if sn is 0, stop the iteration and fail the proof verification.
    if (sn === 0n) throw new ProofArgumentError('inclusion proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  // SPEC(RFC 9162 §2.1.3.2): compare sn to 0.
  if (sn !== 0n) throw new ProofArgumentError('inclusion proof is too short');
  return r;
}

export function verifyInclusion(index, treeSize, leaf, proof, root) {
  let computed;
  try {
    checkHash('root', root);
    computed = rootFromInclusionProof(index, treeSize, leaf, proof);
  } catch (e) {
    throw new InclusionProofError(`inclusion proof rejected: ${e.message}`, {
      index: String(index), treeSize: String(treeSize), expected: bytesToHex(root), computed: null,
    });
  }
  if (!equalBytes(computed, root)) {
    throw new InclusionProofError('inclusion proof leads to a different root', {
      index: String(index), treeSize: String(treeSize), expected: bytesToHex(root), computed: bytesToHex(computed),
    });
  }
}

/** [root1, root2] implied by a consistency proof (RFC 9162 §2.1.4.2); throws on impossible arguments. */
export function rootsFromConsistencyProof(size1, size2, root1, proof) {
  const first = bigIndex(size1, 'size1');
  const second = bigIndex(size2, 'size2');
  checkHash('root1', root1);
  proof.forEach((p, i) => checkHash(`proof[${i}]`, p));
  if (first === 0n) throw new ProofArgumentError('a consistency proof from the empty tree proves nothing');
  if (first > second) throw new ProofArgumentError(`size1 ${first} is larger than size2 ${second}`);
  if (first === second) {
    if (proof.length !== 0) throw new ProofArgumentError('consistency proof between equal sizes must be empty');
    return [root1, root1];
  }
  // SPEC(RFC 9162 §2.1.4.2): if consistency_path is an empty array, stop and fail.
  if (proof.length === 0) throw new ProofArgumentError('consistency proof is empty');
  let path = proof;
  // SPEC(RFC 9162 §2.1.4.2): if first is an exact power of 2, prepend first_hash.
  if ((first & (first - 1n)) === 0n) path = [root1, ...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofArgumentError('consistency proof is too long');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofArgumentError('consistency proof is too short');
  return [fr, sr];
}

export function verifyConsistency(size1, size2, root1, root2, proof) {
  const evidence = (computed) => ({
    size1: String(size1), size2: String(size2),
    expected: [root1, root2].map((r) => (r instanceof Uint8Array ? bytesToHex(r) : String(r))),
    computed: computed ? computed.map(bytesToHex) : null,
  });
  let computed;
  try {
    checkHash('root2', root2);
    computed = rootsFromConsistencyProof(size1, size2, root1, proof);
  } catch (e) {
    throw new ConsistencyProofError(`consistency proof rejected: ${e.message}`, evidence(null));
  }
  if (!equalBytes(computed[0], root1) || !equalBytes(computed[1], root2)) {
    throw new ConsistencyProofError('consistency proof does not link the two roots', evidence(computed));
  }
}

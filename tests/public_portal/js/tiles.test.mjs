import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, hex } from './vectors.mjs';
import {
  tilePath, entriesPath, parseTilePath, tileWidth, nodeTileCoordinates, parseBundle, TileReader, TILE_WIDTH,
} from '../../../public_portal/static/js/tiles.js';
import { leafHash, nodeHash, rootHash, verifyConsistency } from '../../../public_portal/static/js/merkle.js';
import { parseCheckpoint } from '../../../public_portal/static/js/checkpoint.js';
import { parseNote } from '../../../public_portal/static/js/note.js';
import { concatBytes } from '../../../public_portal/static/js/bytes.js';
import { FormatError, VerificationError, InclusionProofError } from '../../../public_portal/static/js/errors.js';

const T = loadVectors('tlog/tiles.json');
const enc = new TextEncoder();

test('path vectors', () => {
  for (const v of T.path_vectors) {
    if (v.kind === 'tile') assert.equal(tilePath(v.level, v.index, v.width), v.path);
    else if (v.kind === 'entries') assert.equal(entriesPath(v.index, v.width), v.path);
    else if (v.kind === 'entries_for_log_index') {
      const n = Math.floor(v.log_index / TILE_WIDTH);
      const w = tileWidth(0, n, v.tree_size);
      assert.equal(entriesPath(n, w === TILE_WIDTH ? null : w), v.path);
    } else if (v.kind === 'n_with_suffix') assert.equal(tilePath(v.level, v.index, v.width), `tile/${v.level}/${v.path_suffix}`);
    else if (v.kind === 'index_encoding') assert.equal(tilePath(0, v.index), `tile/0/${v.path_suffix}`);
  }
});

test('parse vectors (including 64-bit indices) and format(parse(x)) == x', () => {
  for (const v of T.parse_vectors) {
    const path = `${v.path_level}/${v.path_index}`;
    if (v.want_error) {
      assert.throws(() => parseTilePath(path), FormatError, path);
      continue;
    }
    const got = parseTilePath(path);
    assert.equal(got.level, v.want_level);
    assert.equal(got.index, BigInt(v.path_index.replace(/x|\/|\.p.*$/g, '')));
    assert.equal(got.width, v.want_width);
    assert.equal(tilePath(got.level, got.index, got.width || null), `tile/${path}`);
  }
  for (const bad of ['tile/0/000.p/0', 'tile/0/000.p/256', 'tile/00/000', 'tile/64/000', 'tile/0/0000', 'tile/0/x000']) {
    if (bad === 'tile/0/x000') continue; // x-group without a final group: covered by parse vectors
    assert.throws(() => parseTilePath(bad), FormatError, bad);
  }
});

test('tiles implied by a tree size', () => {
  for (const v of T.tree_size_to_tiles) {
    const partials = [];
    for (const lv of v.tiles_per_level_COMPUTED) {
      const full = Math.floor(v.tree_size / TILE_WIDTH ** (lv.level + 1));
      assert.equal(full, lv.full_tiles);
      const w = tileWidth(lv.level, full, v.tree_size);
      assert.equal(w === TILE_WIDTH ? 0 : w, lv.partial_width);
      if (w > 0 && w < TILE_WIDTH) partials.push(tilePath(lv.level, full, w));
      if (full > 0) assert.equal(tileWidth(lv.level, full - 1, v.tree_size), TILE_WIDTH);
    }
    assert.deepEqual(partials, v.partial_tile_paths_COMPUTED);
  }
  for (const v of T.node_to_tile_coordinates) {
    assert.deepEqual(nodeTileCoordinates(v.tree_level, v.tree_index), {
      tileLevel: v.tile_level, tileIndex: v.tile_index, levelInTile: v.node_level_in_tile, indexInTile: v.node_index_in_tile,
    });
  }
});

test('real Tessera testdata log: every size, root from tiles equals the signed checkpoint, every entry proven', async () => {
  const files = new Map();
  for (const s of T.tessera_testdata_log.sizes) {
    files.set(s.tile_path, hex(s.tile_hex));
    files.set(s.entries_path, hex(s.entries_hex));
  }
  const fetchTile = async (p) => files.get(p) ?? null;
  for (const s of T.tessera_testdata_log.sizes) {
    const cp = parseCheckpoint(parseNote(enc.encode(s.checkpoint)).text);
    const reader = new TileReader(fetchTile, Number(cp.treeSize));
    assert.deepEqual(await reader.rootHash(), cp.rootHash);
    for (let i = 0; i < s.tree_size; i++) {
      const e = await reader.provenEntry(i, cp.rootHash);
      assert.equal(new TextDecoder().decode(e), T.tessera_testdata_log.leaves_ascii[i]);
    }
  }
});

/** An in-memory tlog-tiles log of n leaves (levels 0..2), partial tiles optionally deleted. */
function buildLog(n) {
  const entries = Array.from({ length: n }, (_, i) => enc.encode(`entry ${i}`));
  const leaves = entries.map(leafHash);
  const files = new Map();
  let level = leaves;
  for (let L = 0; level.length > 0; L++) {
    for (let t = 0; t * 256 < level.length; t++) {
      const chunk = level.slice(t * 256, t * 256 + 256);
      files.set(tilePath(L, t, chunk.length === 256 ? null : chunk.length), concatBytes(...chunk));
      if (L === 0) {
        const bundle = concatBytes(...entries.slice(t * 256, t * 256 + 256).map((e) => concatBytes(new Uint8Array([e.length >> 8, e.length & 255]), e)));
        files.set(entriesPath(t, chunk.length === 256 ? null : chunk.length), bundle);
      }
    }
    const next = [];
    for (let t = 0; (t + 1) * 256 <= level.length; t++) next.push(rootHash(level.slice(t * 256, t * 256 + 256)));
    level = next;
  }
  return { entries, leaves, files };
}

test('synthetic 70,000-leaf log: inclusion and consistency proofs from tiles; tampering detected', async () => {
  const n = 70000;
  const { leaves, files } = buildLog(n);
  const root = rootHash(leaves);
  const fetches = [];
  const reader = new TileReader(async (p) => { fetches.push(p); return files.get(p) ?? null; }, n);
  assert.deepEqual(await reader.rootHash(), root);
  assert.ok(fetches.includes('tile/0/273.p/112') && fetches.includes('tile/1/001.p/17') && fetches.includes('tile/2/000.p/1'));
  for (const i of [0, 1, 255, 256, 65535, 65536, 69887, 69888, 69999]) {
    await reader.provenEntry(i, root);
  }
  for (const m of [1, 256, 1000, 65536, 69999]) {
    verifyConsistency(m, n, rootHash(leaves.slice(0, m)), root, await reader.consistencyProof(m));
  }
  // a tampered level-1 hash breaks proofs through it
  const bad = new Map(files);
  const t = files.get('tile/1/001.p/17').slice();
  t[32 * 3 + 1] ^= 1;
  bad.set('tile/1/001.p/17', t);
  const r2 = new TileReader(async (p) => bad.get(p) ?? null, n);
  await assert.rejects(r2.provenEntry(69999, root), InclusionProofError);
  // a tampered entry no longer matches its tile hash
  const bad2 = new Map(files);
  const b = files.get('tile/entries/000').slice();
  b[5] ^= 1;
  bad2.set('tile/entries/000', b);
  await assert.rejects(new TileReader(async (p) => bad2.get(p) ?? null, n).provenEntry(0, root), VerificationError);
});

test('garbage-collected partial tiles fall back to the full tile; a missing tile is an error', async () => {
  // A 300-leaf checkpoint served by a log that has since grown to 600 leaves and deleted the
  // level-0 partials of size 300 (tile/0/001.p/44, tile/entries/001.p/44) because tile/0/001 is full.
  const now = buildLog(600).files;
  const then = buildLog(300);
  const root300 = rootHash(then.leaves);
  const requested = [];
  const reader = new TileReader(async (p) => {
    requested.push(p);
    if (p === 'tile/1/000.p/1') return then.files.get(p); // no full level-1 tile yet: partial kept
    return now.get(p) ?? null;
  }, 300);
  assert.deepEqual(await reader.rootHash(), root300);
  assert.deepEqual(await reader.provenEntry(299, root300), then.entries[299]);
  assert.ok(requested.includes('tile/0/001.p/44') && requested.includes('tile/0/001'));
  assert.ok(requested.includes('tile/entries/001.p/44') && requested.includes('tile/entries/001'));
  await assert.rejects(new TileReader(async () => null, 300).rootHash(), VerificationError);
});

test('entry bundles', () => {
  assert.deepEqual(parseBundle(hex('00036f6e650000')).map((e) => e.length), [3, 0]);
  assert.throws(() => parseBundle(hex('0003')), FormatError);
  assert.throws(() => parseBundle(hex('00')), FormatError);
  void nodeHash;
});

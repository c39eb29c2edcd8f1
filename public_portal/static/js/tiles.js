/**
 * c2sp.org/tlog-tiles (HEAD ≈ v0.1.0): tile and entry-bundle paths, tile and
 * bundle parsing, and RFC 9162 proofs computed from tiles.
 *
 * Tile L, index N, hash i is Merkle node (8·L, 256·N + i): the root of a
 * complete subtree of 256^L·... leaves. A TileReader fetches tiles through an
 * injected `fetchTile(path) -> Promise<Uint8Array | null>` (null = 404) so the
 * page (HTTP, file drop) and the tests (in memory) share it; partial tiles
 * that were garbage-collected fall back to the full tile (tlog-tiles: clients
 * MAY fall back). Hash ranges are computed with merkle.js's RFC ranges, so
 * every proof is checked by merkle.verifyInclusion against a signed root.
 * Left out: Go sumdb paths (tile/H/L/N), pruning minimum index, gzip.
 */
import { FormatError, VerificationError } from './errors.js';
import { bytesToHex, equalBytes } from './bytes.js';
import { consistencyRanges, inclusionRanges, leafHash, nodeHash, rootHash as merkleRoot, verifyInclusion } from './merkle.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const MAX_ENTRY_SIZE = 65535;

function formatIndex(index) {
  let n = BigInt(index);
  if (n < 0n) throw new FormatError('tile index must not be negative');
  const groups = [];
  do {
    groups.unshift((n % 1000n).toString().padStart(3, '0'));
    n /= 1000n;
  } while (n > 0n);
  return groups.map((g, i) => (i < groups.length - 1 ? 'x' + g : g)).join('/');
}

function suffix(width) {
  if (width === null || width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > 255) throw new FormatError(`partial tile width ${width} not in 1..255`);
  return `.p/${width}`;
}

/** "tile/<L>/<N>[.p/<W>]" */
export function tilePath(level, index, width = null) {
  if (!Number.isInteger(level) || level < 0 || level > 63) throw new FormatError(`tile level ${level} not in 0..63`);
  return `tile/${level}/${formatIndex(index)}${suffix(width)}`;
}

/** "tile/entries/<N>[.p/<W>]" */
export function entriesPath(index, width = null) {
  return `tile/entries/${formatIndex(index)}${suffix(width)}`;
}

/** Parse "<L>/<N>[.p/<W>]" or "entries/<N>[.p/<W>]" (with or without "tile/"): {level (null = entries), index (bigint), width (0 = full)}. */
export function parseTilePath(path) {
  const m = /^(?:tile\/)?(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (!m) throw new FormatError(`${JSON.stringify(path)} is not a tile path`);
  const level = m[1] === 'entries' ? null : Number(m[1]);
  if (level !== null && level > 63) throw new FormatError(`tile level ${level} not in 0..63`);
  const groups = m[2].split('/');
  if (groups.length > 6) throw new FormatError('tile index has too many groups (max 2^64)');
  const index = BigInt(groups.map((g) => g.replace('x', '')).join(''));
  if (index >= 1n << 64n) throw new FormatError('tile index does not fit in 64 bits');
  const width = m[3] === undefined ? 0 : Number(m[3]);
  if (width > 255) throw new FormatError(`partial tile width ${width} not in 1..255`);
  return { level, index, width };
}

/** Number of hashes tile (level, index) holds in a tree of size `treeSize` (256, a partial width, or 0 if absent). */
export function tileWidth(level, index, treeSize) {
  const span = TILE_WIDTH ** level; // leaves per hash at this level
  const hashes = Math.floor(treeSize / span); // complete level-L hashes in the tree
  const start = index * TILE_WIDTH;
  if (hashes >= start + TILE_WIDTH) return TILE_WIDTH;
  return Math.max(0, hashes - start);
}

/** Tile coordinates of Merkle node (level, index): {tileLevel, tileIndex, levelInTile, indexInTile}. */
export function nodeTileCoordinates(level, index) {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const levelInTile = level % TILE_HEIGHT;
  const perTile = 2 ** (TILE_HEIGHT - levelInTile);
  return { tileLevel, tileIndex: Math.floor(index / perTile), levelInTile, indexInTile: index % perTile };
}

/** Split tile bytes into `width` 32-byte hashes (exact length required). */
export function parseTile(bytes, width) {
  if (bytes.length !== width * 32) throw new FormatError(`tile must be ${width * 32} bytes for width ${width}, got ${bytes.length}`);
  const out = [];
  for (let i = 0; i < width; i++) out.push(bytes.subarray(32 * i, 32 * i + 32));
  return out;
}

/** Entry bundle: concatenation of uint16 big-endian length || entry. */
export function parseBundle(bytes) {
  const out = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 2 > bytes.length) throw new FormatError('entry bundle ends inside a length prefix');
    const n = (bytes[i] << 8) | bytes[i + 1];
    if (i + 2 + n > bytes.length) throw new FormatError('entry bundle ends inside an entry');
    out.push(bytes.subarray(i + 2, i + 2 + n));
    i += 2 + n;
  }
  if (out.length > TILE_WIDTH) throw new FormatError('entry bundle holds more than 256 entries');
  return out;
}

/** Complete aligned nodes covering leaf range [start, end), left to right, as [level, index]. */
function rangeNodes(start, end) {
  const out = [];
  let s = start;
  while (s < end) {
    let size = 1;
    while (s % (size * 2) === 0 && s + size * 2 <= end) size *= 2;
    out.push([Math.log2(size), s / size]);
    s += size;
  }
  return out;
}

export class TileReader {
  /** fetchTile(path) -> Promise<Uint8Array | null>; treeSize: number (from a verified checkpoint). */
  constructor(fetchTile, treeSize) {
    if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new FormatError('tree size must be a safe integer');
    this.fetchTile = fetchTile;
    this.treeSize = treeSize;
    this.cache = new Map();
  }

  async _fetch(fullPath, partialPath, width) {
    // SPEC(tlog-tiles): clients MUST NOT fetch partials not implied by the checkpoint; MAY fall back to the full tile.
    let data = await this.fetchTile(partialPath ?? fullPath);
    if (data === null && partialPath) {
      data = await this.fetchTile(fullPath);
      if (data !== null) data = data.subarray(0, Math.min(data.length, width * 32));
    }
    if (data === null) throw new VerificationError(`tile ${partialPath ?? fullPath} is missing`, { path: partialPath ?? fullPath });
    return data;
  }

  /** The hashes of tile (level, index) for this tree size. */
  async tileHashes(level, index) {
    const key = `${level}/${index}`;
    if (!this.cache.has(key)) {
      const width = tileWidth(level, index, this.treeSize);
      if (width === 0) throw new FormatError(`tile ${key} is not implied by tree size ${this.treeSize}`);
      const partial = width < TILE_WIDTH ? tilePath(level, index, width) : null;
      this.cache.set(key, this._fetch(tilePath(level, index), partial, width).then((b) => parseTile(b, width)));
    }
    return this.cache.get(key);
  }

  /** Hash of the complete Merkle node (level, index), recomputed from tile hashes when not on a tile level. */
  async nodeHash(level, index) {
    const c = nodeTileCoordinates(level, index);
    const hashes = await this.tileHashes(c.tileLevel, c.tileIndex);
    const span = 2 ** c.levelInTile;
    const first = c.indexInTile * span;
    let row = hashes.slice(first, first + span);
    if (row.length !== span) throw new VerificationError(`tile ${c.tileLevel}/${c.tileIndex} is too short for node ${level}/${index}`);
    while (row.length > 1) {
      const next = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i], row[i + 1]));
      row = next;
    }
    return row[0];
  }

  /** MTH of leaves [start, end) (RFC 9162), from tiles. */
  async rangeHash(start, end) {
    const nodes = await Promise.all(rangeNodes(start, end).map(([l, i]) => this.nodeHash(l, i)));
    let h = nodes[nodes.length - 1];
    for (let i = nodes.length - 2; i >= 0; i--) h = nodeHash(nodes[i], h);
    return h;
  }

  async rootHash() {
    return this.rangeHash(0, this.treeSize);
  }

  async inclusionProof(index) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.treeSize) throw new FormatError(`index ${index} is not below tree size ${this.treeSize}`);
    return Promise.all(inclusionRanges(index, this.treeSize).map(([a, b]) => this.rangeHash(a, b)));
  }

  async consistencyProof(size1) {
    return Promise.all(consistencyRanges(size1, this.treeSize).map(([a, b]) => this.rangeHash(a, b)));
  }

  /** Entry bytes at `index` from its (possibly partial) bundle. */
  async entry(index) {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.treeSize) throw new FormatError(`index ${index} is not below tree size ${this.treeSize}`);
    const n = Math.floor(index / TILE_WIDTH);
    const width = tileWidth(0, n, this.treeSize);
    const key = `entries/${n}`;
    if (!this.cache.has(key)) {
      const partial = width < TILE_WIDTH ? entriesPath(n, width) : null;
      this.cache.set(key, (async () => {
        let data = await this.fetchTile(partial ?? entriesPath(n));
        let entries;
        if (data === null && partial) {
          data = await this.fetchTile(entriesPath(n));
          entries = data === null ? null : parseBundle(data).slice(0, width);
        } else entries = data === null ? null : parseBundle(data);
        if (entries === null) throw new VerificationError(`entry bundle ${partial ?? entriesPath(n)} is missing`);
        if (entries.length !== width) throw new FormatError(`entry bundle ${n} holds ${entries.length} entries, expected ${width}`);
        return entries;
      })());
    }
    return (await this.cache.get(key))[index % TILE_WIDTH];
  }

  /**
   * Every entry of the tree, proven by recomputing the root from all bundles
   * (one O(n) pass instead of n inclusion proofs). Returns the list of entry bytes.
   */
  async allEntries(root) {
    const bundles = [];
    for (let n = 0; n * TILE_WIDTH < this.treeSize; n++) {
      await this.entry(n * TILE_WIDTH); // fetches and checks the bundle width
      bundles.push(await this.cache.get(`entries/${n}`));
    }
    const flat = bundles.flat();
    const computed = merkleRoot(flat.map(leafHash));
    if (!equalBytes(computed, root)) {
      throw new VerificationError('the entry bundles do not hash to the checkpoint root', { expected: bytesToHex(root), computed: bytesToHex(computed) });
    }
    return flat;
  }

  /**
   * The entry at `index`, proven included under `root` (32 bytes, from a verified
   * checkpoint of this tree size): bundle bytes -> leaf hash, which must equal the
   * level-0 tile hash, then an inclusion proof from tiles. Returns the entry bytes.
   */
  async provenEntry(index, root) {
    const entry = await this.entry(index);
    const leaf = leafHash(entry);
    const tileLeaf = await this.nodeHash(0, index);
    if (!equalBytes(leaf, tileLeaf)) {
      throw new VerificationError(`entry ${index} does not hash to its level-0 tile hash`, { computed: bytesToHex(leaf), tile: bytesToHex(tileLeaf) });
    }
    verifyInclusion(index, this.treeSize, leaf, await this.inclusionProof(index), root);
    return entry;
  }
}

// The fast paths of the verifier against the plain definitions they replace (same results,
// same errors): the in-place Merkle root, leaf hashes over raw snapshot lines, the native
// canonical-form check, the string-free draw loop and the prefix-cut ticket ranking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootHash, rootOfFlatLeafHashes, leafHash, nodeHash, EMPTY_ROOT } from '../../../public_portal/static/js/merkle.js';
import { parseSnapshot, parseSnapshotLines, snapshotRoot } from '../../../public_portal/static/js/verify-draw.js';
import { canonicalize, isCanonicalJson } from '../../../public_portal/static/js/jcs.js';
import { computeDraw, rankPool, ticket } from '../../../public_portal/static/js/draw.js';
import { sha256Sync } from '../../../public_portal/static/js/hashing.js';
import { bytesToHex, utf8 } from '../../../public_portal/static/js/bytes.js';

const BRIGADES = ['hq', 'xingbin', 'wuxuan'];
const syntheticUnits = (n, r) => Array.from({ length: n }, (_, i) => ({
  id: `U${String(i).padStart(7, '0')}`, name: `单位${i}`, brigade: BRIGADES[i % 3], status: r() < 0.97 ? 'active' : 'defunct',
  risk_level: ['low', 'medium', 'high'][Math.floor(r() * 3)], key_unit: r() < 0.1, tags: r() < 0.1 ? ['high_rise'] : [],
}));
const ANNOUNCE = {
  type: 'draw.announce', v: 1, draw_id: 'FAST-1', title: 't', authority: 'a', kind: 'routine', algorithm: 'draw-v1',
  period: { from: '2026-12-01', to: '2026-12-31' }, units: { snapshot: 'units', root: '0'.repeat(64), count: 0 },
  strata: [], exclusions: [], recusals: [], supersedes: null,
  beacon: { scheme: 'bls-unchained-g1-rfc9380', chain_hash: '0'.repeat(64), round: 1, round_time: '2026-12-01T00:00:00Z' },
};

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** RFC 9162 §2.1.1 MTH, recursively, as the definition reads. */
function mth(leaves) {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

test('in-place bottom-up root equals the recursive RFC 9162 definition for 0..130 and odd large sizes', () => {
  for (const n of [...Array(131).keys(), 255, 256, 257, 1000, 1023, 1025]) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(utf8(`leaf ${i}`)));
    const flat = new Uint8Array(32 * n);
    leaves.forEach((h, i) => flat.set(h, 32 * i));
    const want = bytesToHex(mth(leaves));
    assert.equal(bytesToHex(rootOfFlatLeafHashes(flat, n)), want, `size ${n}`);
    assert.equal(bytesToHex(rootHash(leaves)), want, `size ${n} (rootHash)`);
  }
});

test('parseSnapshot: root from raw lines equals snapshotRoot(records); records equal parseSnapshotLines', () => {
  const units = syntheticUnits(3000, rng(5));
  units.push({ id: 'Z1', name: 'tab\t"quote" \\ 单位 😀 \u2028', n: -42, o: { b: [1, null, true], a: {} } });
  const bytes = utf8(units.map((r) => canonicalize(r) + '\n').join(''));
  const p = parseSnapshot(bytes);
  assert.deepEqual(p.records, parseSnapshotLines(bytes));
  assert.equal(bytesToHex(p.root), bytesToHex(snapshotRoot(units)));
  assert.equal(bytesToHex(parseSnapshot(new Uint8Array(0)).root), bytesToHex(EMPTY_ROOT));
  const one = utf8('{"id":"a"}\n');
  assert.equal(bytesToHex(parseSnapshot(one).root), bytesToHex(leafHash(utf8('{"id":"a"}'))));
});

// Each text: is it canonical, and does the fast check say exactly what canonicalize says?
const TEXTS = [
  '{"a":1,"b":2}', '{"b":2,"a":1}', '{"a":1.5}', '{"a":-0}', '{"a":0}', '{"a":9007199254740992}',
  '{"a":9007199254740991}', '{"a":-9007199254740991}', '{"a":"\\ud800"}', '{"a":"\\ud83d\\ude00"}', '{"a":"😀"}',
  '{"a":"\\u0041"}', '{"a":"\\u001f"}', '{"a":"\\u001F"}', '{"a":"\\t"}', '{"a":"\\u0009"}', '{"a":"\\/"}',
  '{"10":1,"9":2}', '{"9":2,"10":1}', '{"1":1,"a":2}', '{"a":1,"a":2}', '{"a":2}', '{ "a":1}', '{"a":[1,2.0]}',
  '{"a":1e2}', '{"a":100}', '{"__proto__":1}', '{"a":"\u2028"}', '{"a":"\u007f"}', '[{"b":1,"a":2}]', '{"a":{"c":1,"b":1}}',
  '{"":1,"a":2}', '{"a":true,"b":false,"c":null}', '"x"', '1', 'null', '{"é":1,"z":2}', '{"z":1,"é":2}',
];

test('isCanonicalJson(JSON.parse(t), t) answers and throws exactly as canonicalize(..) === t', () => {
  for (const t of TEXTS) {
    const v = JSON.parse(t);
    let want;
    let wantErr = null;
    try {
      want = canonicalize(v) === t;
    } catch (e) {
      wantErr = e;
    }
    if (wantErr) assert.throws(() => isCanonicalJson(v, t), (e) => e.constructor === wantErr.constructor && e.message === wantErr.message, t);
    else assert.equal(isCanonicalJson(v, t), want, t);
  }
  // Values not from JSON.parse: class instances, undefined, functions take the exact path.
  assert.throws(() => isCanonicalJson({ a: new Date(0) }, '{"a":"1970-01-01T00:00:00.000Z"}'), /not JSON/);
  assert.throws(() => isCanonicalJson({ a: undefined }, '{}'), /undefined/);
  assert.equal(isCanonicalJson([1, , 2], '[1,null,2]'), canonicalize([1, , 2]) === '[1,null,2]'); // eslint-disable-line no-sparse-arrays
});

test('non-canonical snapshot lines are still rejected with the same message', () => {
  const cases = [['{"id":"a","b":1.5}\n', /only integers/], ['{"id":"a","b":1}\n', /line 1 is not canonical/],
    ['{"id":"a"}\n{"id":"b","x":"\\u0041"}\n', /line 2 is not canonical/], ['{"id":"a","s":"\\ud800"}\n', /lone surrogate/],
    ['{"id":"a"}\n{"id":"b", "x":1}\n', /line 2 is not canonical/], ['{"id":"a"}\n{"id":"a"}\n', /sorted and unique/]];
  for (const [text, re] of cases) {
    assert.throws(() => parseSnapshotLines(utf8(text)), re, text);
    assert.throws(() => parseSnapshot(utf8(text)), re, text);
  }
});

test('rankPool equals a full sort by (ticket bytes, id), also with equal 32-bit prefixes and equal tickets', () => {
  const r = rng(3);
  const n = 400;
  const bytes = new Uint8Array(32 * n);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
  for (let i = 0; i < n; i += 3) bytes.copyWithin(32 * i, 0, 4 + Math.floor(r() * 28)); // shared prefixes
  bytes.copyWithin(32 * 7, 32 * 5, 32 * 6); // identical tickets: the id decides
  const ids = Array.from({ length: n }, (_, i) => `U${String(Math.floor(r() * 1e6)).padStart(6, '0')}-${i}`);
  const pool = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 1);
  const hex = (i) => bytesToHex(bytes.subarray(32 * i, 32 * i + 32));
  const full = pool.slice().sort((x, y) => (hex(x) < hex(y) ? -1 : hex(x) > hex(y) ? 1 : ids[x] < ids[y] ? -1 : ids[x] > ids[y] ? 1 : 0));
  for (const need of [0, 1, 2, 5, 33, 100, pool.length - 1, pool.length]) {
    assert.deepEqual(rankPool(pool, { bytes }, ids, need), full.slice(0, need), `need ${need}`);
  }
});

test('computeDraw equals a string-based reference on units with every JSON value type', () => {
  const r = rng(9);
  const values = ['high', 'low', 1, 0, -0, 2, true, false, null, '1', 'true', { a: 1 }, [1], ['high', 2]];
  const units = Array.from({ length: 1500 }, (_, i) => {
    const u = { id: `U${String(i).padStart(5, '0')}`, status: r() < 0.9 ? 'active' : 'defunct' };
    for (const attr of ['x', 'y', 'tags']) if (r() < 0.85) u[attr] = values[Math.floor(r() * values.length)];
    return u;
  });
  const announce = structuredClone(ANNOUNCE);
  announce.strata = [
    { name: 's1', match: { x: ['high', 1, true], y: [null] }, quota: { count: 7, reserve: 2 } },
    { name: 's2', match: { tags: ['high', 2, false] }, quota: { ratio: '1/3', reserve: 4 } },
    { name: 's3', match: { x: [0, '1'] }, quota: { all: true } },
    { name: 's4', match: { y: ['true', 'low'] }, quota: { count: 0, reserve: 3 } },
    { name: 'rest', match: {}, quota: { ratio: '1/10', min: 3 } },
  ];
  announce.exclusions = [{ unit_id: 'U00003', reason: 'x' }];
  const randomness = sha256Sync(utf8('ref'));
  const out = computeDraw(announce, units, randomness);
  // Reference: valueKey membership, hex tickets from ticket(), full string sort.
  const key = (v) => (v === null ? 'n:' : typeof v === 'boolean' ? `b:${v}` : typeof v === 'number' ? `i:${v}` : typeof v === 'string' ? `s:${v}` : `j:${canonicalize(v)}`);
  const seed = Uint8Array.from(out.seed.match(/../g).map((h) => parseInt(h, 16)));
  const pools = announce.strata.map(() => []);
  let unmatched = 0;
  for (const u of units) {
    if (u.status !== 'active' || u.id === 'U00003') continue;
    const i = announce.strata.findIndex((s) => Object.entries(s.match).every(([a, allowed]) => {
      if (!(a in u)) return false;
      const keys = new Set(allowed.map(key));
      return Array.isArray(u[a]) ? u[a].some((x) => keys.has(key(x))) : keys.has(key(u[a]));
    }));
    if (i < 0) unmatched++;
    else pools[i].push({ t: ticket(seed, 'target', u.id), id: u.id });
  }
  assert.equal(out.unmatched, unmatched);
  announce.strata.forEach((s, i) => {
    const ranked = pools[i].sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : x.id < y.id ? -1 : 1));
    const st = out.strata[i];
    assert.equal(st.n, ranked.length, s.name);
    assert.deepEqual(out.selected.filter((e) => e.stratum === s.name).map((e) => [e.unit_id, e.ticket]),
      ranked.slice(0, st.k).map((m) => [m.id, m.t]), s.name);
    assert.deepEqual(st.reserve, ranked.slice(st.k, st.k + (s.quota.reserve ?? 0)).map((m) => m.id), s.name);
  });
  assert.ok(out.selected.length > 50);
});

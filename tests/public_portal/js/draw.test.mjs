import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawVectorFiles, hex } from './vectors.mjs';
import { computeDraw, specHash, quotaSize, parseAnnounce } from '../../../public_portal/static/js/draw.js';
import { canonicalize } from '../../../public_portal/static/js/jcs.js';
import { bytesToHex } from '../../../public_portal/static/js/bytes.js';
import { DrawInputError } from '../../../public_portal/static/js/errors.js';

const files = drawVectorFiles();

test('draw vector files are present (draw-v1.json + generated)', () => {
  assert.ok(files.some((f) => f.file === 'draw-v1.json'));
  const total = files.reduce((n, f) => n + f.data.vectors.length, 0);
  assert.ok(total >= 9, `only ${total} draw vectors`);
});

for (const { file, data } of files) {
  test(`${file}: every vector recomputes byte-identically (${data.vectors.length} vectors)`, () => {
    for (const v of data.vectors) {
      assert.equal(bytesToHex(specHash(v.announce)), v.spec_hash, `${v.desc}: spec_hash`);
      const got = computeDraw(v.announce, v.units, hex(v.randomness), { inspectors: v.inspectors ?? [], experts: v.experts ?? [] });
      assert.equal(canonicalize(got), canonicalize(v.expected), v.desc);
    }
  });
}

test('permuting record order does not change the result', () => {
  const { data } = files.find((f) => f.file === 'draw-v1.json');
  for (const v of data.vectors) {
    const opts = { inspectors: (v.inspectors ?? []).slice().reverse(), experts: (v.experts ?? []).slice().reverse() };
    const got = computeDraw(v.announce, v.units.slice().reverse(), hex(v.randomness), opts);
    assert.equal(canonicalize(got), canonicalize(v.expected), v.desc);
  }
});

test('changing the randomness or one unit attribute changes the result', () => {
  const { data } = files.find((f) => f.file === 'draw-v1.json');
  const v = data.vectors[3];
  const r = hex(v.randomness);
  r[0] ^= 1;
  assert.notEqual(canonicalize(computeDraw(v.announce, v.units, r, { inspectors: v.inspectors })), canonicalize(v.expected));
});

test('quota arithmetic: ceil in integers, min, count, all', () => {
  const q = (o) => parseAnnounce({ ...base(), strata: [{ name: 's', match: {}, quota: o }] }).strata[0].quota;
  assert.equal(quotaSize(q({ ratio: '1/3' }), 10), 4);
  assert.equal(quotaSize(q({ ratio: '0/3' }), 10), 0);
  assert.equal(quotaSize(q({ ratio: '0/3', min: 2 }), 10), 2);
  assert.equal(quotaSize(q({ ratio: '1/3', min: 20 }), 10), 10);
  assert.equal(quotaSize(q({ count: 12 }), 10), 10);
  assert.equal(quotaSize(q({ all: true }), 10), 10);
  assert.equal(quotaSize(q({ ratio: '9999999999999999/9999999999999999' }), 9007199254740991), 9007199254740991);
  for (const bad of [{ ratio: '01/3' }, { ratio: '2/1' }, { ratio: '1/0' }, { ratio: 0.5 }, { count: 1, all: true }, { all: false }, { count: -1 }, { count: 1, extra: 1 }]) {
    assert.throws(() => q(bad), DrawInputError, JSON.stringify(bad));
  }
});

test('bad announces and records are refused with a clear error', () => {
  const v = files.find((f) => f.file === 'draw-v1.json').data.vectors[0];
  const r = hex(v.randomness);
  const bads = [
    { ...v.announce, algorithm: 'draw-v2' },
    { ...v.announce, strata: [] },
    { ...v.announce, extra: 1 },
    { ...v.announce, teams: { ...v.announce.teams, scopes: ['galaxy'] } },
    { ...v.announce, recusals: [['I1']] },
  ];
  for (const a of bads) assert.throws(() => computeDraw(a, v.units, r, { inspectors: v.inspectors }), DrawInputError);
  assert.throws(() => computeDraw(v.announce, [...v.units, v.units[0]], r, { inspectors: v.inspectors }), /duplicate id/);
  assert.throws(() => computeDraw(v.announce, v.units, new Uint8Array(0), { inspectors: v.inspectors }), /randomness is empty/);
  assert.throws(() => computeDraw(v.announce, v.units, r, { inspectors: v.inspectors, experts: [{ id: v.inspectors[0].id, status: 'active' }] }), /both an inspector and an expert/);
  assert.throws(() => computeDraw({ ...v.announce, title: 1.5 }, v.units, r, { inspectors: v.inspectors }), DrawInputError);
});

function base() {
  return {
    type: 'draw.announce', v: 1, draw_id: 'X', title: 't', authority: 'a', kind: 'routine', algorithm: 'draw-v1',
    period: { from: '2026-01-01', to: '2026-01-31' }, units: { snapshot: 'u', root: '0'.repeat(64), count: 0 },
    strata: [{ name: 's', match: {}, quota: { all: true } }],
    beacon: { scheme: 'bls-unchained-g1-rfc9380', chain_hash: '0'.repeat(64), round: 1, round_time: '2026-01-01T00:00:00Z' },
  };
}

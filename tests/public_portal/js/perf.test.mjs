// Timing figures for docs/spec/portal-js.md: a Laibin-scale (13,300-unit) synthetic draw and
// SHA-256 throughput of the two backends. Bounds are loose (CI machines vary); figures are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { computeDraw } from '../../../public_portal/static/js/draw.js';
import { canonicalize } from '../../../public_portal/static/js/jcs.js';
import { sha256, sha256Sync, setCryptoBackend } from '../../../public_portal/static/js/hashing.js';

const BRIGADES = ['hq', 'xingbin', 'wuxuan', 'xiangzhou', 'jinxiu', 'heshan', 'xincheng'];

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function syntheticDraw(nUnits, nInspectors, seed = 1) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const units = Array.from({ length: nUnits }, (_, i) => ({
    id: `U${String(i).padStart(7, '0')}`, name: `单位${i}`, brigade: pick(BRIGADES),
    status: r() < 0.97 ? 'active' : 'defunct', industry: `ind${Math.floor(r() * 20)}`, size_class: `s${Math.floor(r() * 6)}`,
    risk_level: pick(['low', 'low', 'medium', 'high']), key_unit: r() < 0.1, crowded_place: r() < 0.2,
    tags: r() < 0.1 ? ['high_rise'] : [],
  }));
  const inspectors = Array.from({ length: nInspectors }, (_, i) => ({
    id: `I${String(i).padStart(4, '0')}`, name: `监督员${i}`, brigade: BRIGADES[i % BRIGADES.length],
    roles: i % 3 === 0 ? ['lead', 'assist'] : ['assist'], status: 'active', cert_valid_until: '2030-12-31',
  }));
  const announce = {
    type: 'draw.announce', v: 1, draw_id: 'BENCH-1', title: '来宾市消防安全双随机抽查', authority: '来宾市消防救援支队',
    kind: 'routine', algorithm: 'draw-v1', period: { from: '2026-12-01', to: '2026-12-31' },
    units: { snapshot: 'units-bench', root: '0'.repeat(64), count: nUnits },
    inspectors: { snapshot: 'inspectors-bench', root: '0'.repeat(64), count: nInspectors },
    strata: [
      { name: 'key', match: { key_unit: [true] }, quota: { ratio: '1/4', min: 5, reserve: 5 } },
      { name: 'high', match: { risk_level: ['high'] }, quota: { ratio: '1/10', reserve: 10 } },
      { name: 'crowded', match: { crowded_place: [true] }, quota: { ratio: '1/10' } },
      { name: 'rest', match: {}, quota: { ratio: '1/20' } },
    ],
    exclusions: [{ unit_id: 'U0000001', reason: 'inspected recently' }],
    zones: { z1: ['hq', 'xingbin'], z2: ['wuxuan', 'xiangzhou', 'jinxiu'], z3: ['heshan', 'xincheng'] },
    teams: { assistants: 1, experts: 0, scopes: ['brigade', 'zone', 'detachment'], exclude_own_brigade: false },
    recusals: [['I0003', 'U0000010']],
    beacon: { scheme: 'bls-unchained-g1-rfc9380', chain_hash: '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971', round: 30000000, round_time: '2026-12-01T00:00:00Z' },
    supersedes: null,
  };
  return { announce, units, inspectors };
}

test('13,300-unit draw with teams recomputes quickly and deterministically', (t) => {
  const { announce, units, inspectors } = syntheticDraw(13300, 140);
  const randomness = sha256Sync(new TextEncoder().encode('bench'));
  computeDraw(announce, units.slice(0, 500), randomness, { inspectors }); // warm up the JIT
  const t0 = performance.now();
  const out = computeDraw(announce, units, randomness, { inspectors });
  const ms = performance.now() - t0;
  const text = canonicalize(out);
  const again = computeDraw(announce, units.slice().reverse(), randomness, { inspectors: inspectors.slice().reverse() });
  assert.equal(canonicalize(again), text);
  t.diagnostic(`draw-v1 13,300 units / 140 inspectors: ${ms.toFixed(0)} ms, ${out.selected.length} selected, ${text.length} bytes of JCS`);
  assert.ok(out.selected.length > 1000 && out.selected.every((s) => s.team.members.length === 2));
  assert.ok(ms < 15000, `took ${ms} ms`);
});

test('SHA-256 throughput: noble sync vs WebCrypto async (64-byte tickets)', async (t) => {
  const data = Array.from({ length: 20000 }, (_, i) => new TextEncoder().encode(`${'s'.repeat(32)}["target","U${i}"]`));
  let t0 = performance.now();
  for (const d of data) sha256Sync(d);
  const nobleMs = performance.now() - t0;
  setCryptoBackend('webcrypto');
  t0 = performance.now();
  await Promise.all(data.map((d) => sha256(d)));
  const webMs = performance.now() - t0;
  setCryptoBackend('auto');
  assert.deepEqual(await sha256(data[5]), sha256Sync(data[5]));
  t.diagnostic(`20,000 ticket hashes: sha256Sync (noble) ${nobleMs.toFixed(0)} ms, WebCrypto (Promise.all) ${webMs.toFixed(0)} ms`);
});

// The browser's statistics (public_portal/static/js/stats.js) against the SAME vector files as
// tests/draw_engine/test_stats.py: tests/vectors/stats/*.json, equal to the digit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VECTORS, loadVectors } from './vectors.mjs';
import { computeStats, convolve, formatFraction, formatMilli, Fraction, hypergeometric, interval, unitHistory } from '../../../public_portal/static/js/stats.js';

const files = readdirSync(join(VECTORS, 'stats')).filter((f) => f.endsWith('.json')).sort();

test('the stats vectors are there', () => {
  assert.ok(files.length >= 2);
});

const docsOf = (v) => Object.fromEntries(Object.entries(v.documents).map(([k, t]) => [k, new TextEncoder().encode(t)]));

for (const file of files) {
  const v = loadVectors(join('stats', file));
  test(`stats vector ${v.name}: the figures`, async () => {
    const got = await computeStats(v.entries, v.records, docsOf(v), v.tree_size);
    assert.deepEqual(JSON.parse(JSON.stringify(got)), v.expect);
  });
  test(`stats vector ${v.name}: unit histories`, () => {
    for (const [unit, want] of Object.entries(v.unit_history)) {
      assert.deepEqual(unitHistory(v.entries, v.records, unit), want);
    }
  });
  test(`stats vector ${v.name}: a changed stratum size is refused`, async () => {
    const entries = JSON.parse(JSON.stringify(v.entries));
    const result = entries.findLast((e) => e.type === 'draw.result');
    const announce = entries[result.announce_index];
    if (!v.records[announce.units.snapshot]) return;
    result.strata[0].n += 1;
    await assert.rejects(computeStats(entries, v.records, docsOf(v), v.tree_size), /stratum .* members in units snapshot .* its result says n = /);
  });
}

test('formatting: three decimals, half up', () => {
  assert.equal(formatFraction(new Fraction(7n, 3n)), '2.333');
  assert.equal(formatFraction(new Fraction(1n, 2000n)), '0.001');
  assert.equal(formatFraction(new Fraction(0n)), '0.000');
  assert.equal(formatMilli(0.0004999), '0.000');
  assert.equal(formatMilli(12.3456), '12.346');
});

test('hypergeometric: sums to 1, mean k·K/n, interval inside the support', () => {
  const [offset, p] = hypergeometric(1000, 130, 80);
  let total = 0;
  let mean = 0;
  p.forEach((x, i) => { total += x; mean += x * (offset + i); });
  assert.ok(Math.abs(total - 1) < 1e-12);
  assert.ok(Math.abs(mean - (80 * 130) / 1000) < 1e-9);
  const [lo, hi] = interval([offset, p], 0.025);
  assert.ok(lo >= offset && hi <= offset + p.length - 1 && lo < 10.4 && hi > 10.4);
  assert.deepEqual(convolve([0, [1.0]], [3, [1.0]]), [3, [1.0]]);
});

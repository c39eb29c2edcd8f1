// The browser's draw history (public_portal/static/js/history.js, entries.js) against the SAME
// vector files as tests/draw_engine/test_history.py: tests/vectors/history/*.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VECTORS, loadVectors } from './vectors.mjs';
import {
  HistoryError, cancelFate, checkAnnounce, checkHistory, checkOutcomes, checkResults, drawHistories, drawHistory, quorumTime,
} from '../../../public_portal/static/js/history.js';
import {
  ENTRY_TYPES, EntryError, announceRef, closingRef, entryType, parseEntry, parseUtcSeconds,
} from '../../../public_portal/static/js/entries.js';
import { canonicalBytes } from '../../../public_portal/static/js/jcs.js';
import { utf8 } from '../../../public_portal/static/js/bytes.js';
import { parsePolicy } from '../../../public_portal/static/js/policy.js';
import { FormatError, VerificationError } from '../../../public_portal/static/js/errors.js';

const files = readdirSync(join(VECTORS, 'history')).filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ file: f, data: loadVectors(join('history', f)) }));
const ruleFiles = files.filter(({ data }) => data.function === 'history');
const quorumFiles = files.filter(({ data }) => data.function === 'quorum_time');
const outcomeFiles = files.filter(({ data }) => data.function === 'outcomes');

test('the outcome-correction vectors are there', () => {
  assert.ok(outcomeFiles.length >= 1 && outcomeFiles[0].data.vectors.length >= 10);
});

for (const { file, data } of outcomeFiles) {
  for (const v of data.vectors) {
    test(`history/${file}: ${v.name}`, () => {
      const got = outcome(() => {
        const h = checkOutcomes(v.entries, v.draw_id);
        return {
          outcomes: h.outcomes,
          superseded_by: Object.fromEntries([...h.supersededBy].map(([k, x]) => [String(k), x])),
          current: Object.fromEntries(h.current),
        };
      });
      assert.deepEqual(got, v.expected);
      const asMap = new Map(v.entries.map((e, i) => [i, e]));
      assert.deepEqual(outcome(() => checkOutcomes(asMap, v.draw_id).outcomes), 'ok' in v.expected ? { ok: v.expected.ok.outcomes } : v.expected);
    });
  }
}

test('the history vector files are there', () => {
  assert.ok(ruleFiles.length >= 1 && quorumFiles.length >= 1, files.map((f) => f.file).join(', '));
  assert.ok(ruleFiles.reduce((n, { data }) => n + data.vectors.length, 0) >= 30);
});

const checkpointTimes = (cps) => cps.map((c) => ({
  treeSize: c.tree_size, quorumTime: c.quorum_time === null ? null : parseUtcSeconds(c.quorum_time),
}));

function outcome(fn) {
  try {
    const ok = fn();
    return { ok: ok === undefined ? null : ok };
  } catch (e) {
    if (e instanceof HistoryError) return { rule: e.rule, message: e.message };
    if (e instanceof EntryError) return { error: 'EntryError', message: e.message };
    throw e;
  }
}

for (const { file, data } of ruleFiles) {
  for (const v of data.vectors) {
    test(`history/${file}: ${v.name}`, () => {
      const cps = checkpointTimes(v.checkpoints);
      const h = drawHistory(v.entries, v.draw_id);
      const want = v.expected;
      assert.deepEqual({
        announces: h.announces, results: h.results, cancels: h.cancels, superseded_by: h.supersededBy,
        supersedes: h.supersedes,
      }, want.history);
      const own = h.announces.length ? parseUtcSeconds(v.entries[h.announces[0]].beacon.round_time) : 0;
      assert.deepEqual(outcome(() => checkAnnounce(h)), want.check_announce, 'checkAnnounce');
      assert.deepEqual(outcome(() => checkResults(h)), want.check_results, 'checkResults');
      assert.deepEqual(outcome(() => checkHistory(h, v.entries, cps, v.margin_seconds, own)), want.check_history, 'checkHistory');
      assert.equal(cancelFate(h, cps, own), want.cancel_fate, 'cancelFate');
      // bigint quorum times (as the cosignature parser gives them) read the same.
      const big = cps.map((c) => ({ treeSize: c.treeSize, quorumTime: c.quorumTime === null ? null : BigInt(c.quorumTime) }));
      assert.deepEqual(outcome(() => checkHistory(h, v.entries, big, v.margin_seconds, own)), want.check_history, 'bigint');
      assert.equal(cancelFate(h, big, own), want.cancel_fate, 'cancelFate, bigint');
      // The one-pass index gives the same history, and a Map of entries the same as an Array.
      const all = drawHistories(v.entries).get(v.draw_id);
      if (all) assert.deepEqual(all, h);
      const asMap = new Map(v.entries.map((e, i) => [i, e]));
      assert.deepEqual(drawHistory(asMap, v.draw_id), h);
    });
  }
}

for (const { file, data } of quorumFiles) {
  test(`history/${file}: every vector`, () => {
    for (const v of data.vectors) {
      const policy = parsePolicy(data.policies[v.policy]);
      assert.equal(quorumTime(v.timestamps, policy), v.quorum_time, JSON.stringify(v));
      const big = new Map(Object.entries(v.timestamps).map(([w, t]) => [w, BigInt(t)]));
      assert.equal(quorumTime(big, policy), v.quorum_time, 'bigint timestamps as collectCosignatures gives them');
    }
  });
}

test('HistoryError is a VerificationError whose message starts with its rule', () => {
  const h = drawHistory([], 'A');
  assert.throws(() => checkAnnounce(h), (e) => e instanceof VerificationError && e.rule === 'announce-missing'
    && e.message.startsWith('announce-missing: ') && e.evidence.draw_id === 'A');
});

test('a negative or fractional margin is refused', () => {
  const entries = [{ type: 'draw.announce', v: 1, draw_id: 'A', supersedes: null, beacon: { round: 1, round_time: '2030-01-01T00:00:00Z' } }];
  const h = drawHistory(entries, 'A');
  for (const bad of [-60, 1.5, '60', null]) {
    assert.throws(() => checkHistory(h, entries, [], bad, 0), (e) => e instanceof FormatError && !(e instanceof EntryError));
  }
});

test('parseEntry: the messages of draw_engine/entries.py', () => {
  const entry = { type: 'draw.result', v: 1, draw_id: 'A', announce_index: 0 };
  assert.deepEqual(parseEntry(canonicalBytes(entry)), entry);
  assert.equal(entryType(canonicalBytes(entry)), 'draw.result');
  const cases = [
    ['{"v":1,"type":"x"}', 'log entry is not canonical JSON (RFC 8785)'],
    ['[1]', 'log entry is not an object with "type" and "v": 1'],
    ['{"type":"draw.result","v":2}', 'log entry is not an object with "type" and "v": 1'],
    ['{"type":"x","v":1,"f":1.5}', /^log entry is not JSON in our subset: /],
    ['{"type":', /^log entry is not JSON in our subset: /],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseEntry(utf8(text)), (e) => e instanceof EntryError
      && (typeof message === 'string' ? e.message === message : message.test(e.message)), text);
    assert.equal(entryType(utf8(text)), null, text);
  }
  assert.throws(() => parseEntry(new Uint8Array([0x7b, 0xff])), EntryError);
  assert.equal(entryType({ type: 'draw.other', v: 1 }), null);
  assert.equal(entryType({ type: 'draw.cancel', v: 2 }), null);
  assert.deepEqual(ENTRY_TYPES, ['registry.snapshot', 'draw.announce', 'draw.result', 'draw.cancel', 'inspection.outcome']);
});

test('parseUtcSeconds is strict', () => {
  assert.equal(parseUtcSeconds('2030-01-01T00:00:00Z'), 1893456000);
  assert.equal(parseUtcSeconds('0001-01-01T00:00:00Z'), -62135596800);
  for (const bad of ['2030-02-30T00:00:00Z', '2030-01-01T00:00:60Z', '2030-01-01 00:00:00Z', '2030-01-01T00:00:00+00:00',
    '0000-01-01T00:00:00Z', '2030-1-01T00:00:00Z', 1893456000, null]) {
    assert.throws(() => parseUtcSeconds(bad), (e) => e instanceof EntryError && e.message.endsWith('is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)'), String(bad));
  }
});

test('typed views name the field they refuse', () => {
  const a = { type: 'draw.announce', v: 1, draw_id: 'A', kind: 'routine', supersedes: null, beacon: { round: 7, round_time: '2030-01-01T00:00:00Z' } };
  assert.deepEqual({ ...announceRef(a) }, { drawId: 'A', kind: 'routine', beaconRound: 7, roundTime: 1893456000, supersedes: null });
  assert.throws(() => announceRef({ ...a, beacon: { round: 7 } }), (e) => e.field === 'beacon.round_time');
  assert.throws(() => announceRef({ ...a, supersedes: 5 }), (e) => e.field === 'supersedes');
  assert.throws(() => closingRef(a), (e) => e instanceof EntryError && e.message === 'entry is a "draw.announce", not a draw.result or draw.cancel');
  assert.deepEqual({ ...closingRef({ type: 'draw.cancel', v: 1, draw_id: 'A', announce_index: 3 }) }, { type: 'draw.cancel', drawId: 'A', announceIndex: 3 });
  assert.throws(() => closingRef({ type: 'draw.cancel', v: 1, draw_id: 'A', announce_index: -1 }), (e) => e.field === 'announce_index');
});

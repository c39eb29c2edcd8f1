import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, drawVectorFiles } from './vectors.mjs';
import { makeKey, signCheckpoint, tileFiles } from './logfixture.mjs';
import {
  verifyDraw, snapshotRoot, expectedResultEntry, parseSnapshotLines, CHECKS,
} from '../../../public_portal/static/js/verify-draw.js';
import { computeDraw } from '../../../public_portal/static/js/draw.js';
import { verifyBeacon, parseChainInfo } from '../../../public_portal/static/js/drand.js';
import { canonicalize } from '../../../public_portal/static/js/jcs.js';
import { bytesToHex, utf8, encodeBase64 } from '../../../public_portal/static/js/bytes.js';

const D = loadVectors('draw/draw-v1.json');
const Q = loadVectors('drand/quicknet.json');
const ORIGIN = 'fairdraw.example/log';
const logKey = makeKey(ORIGIN, 1, 1);
const witnesses = [makeKey('w1.example', 2, 4), makeKey('w2.example', 3, 4), makeKey('w3.example', 4, 4)];
const beaconRound = Q.rounds[Q.rounds.length - 1];
const chain = parseChainInfo(Q.chain_info);
const roundTime = Q.chain_info.genesis_time + (beaconRound.round - 1) * Q.chain_info.period;
const iso = (t) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

const jsonl = (records) => utf8(records.slice().sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => canonicalize(r) + '\n').join(''));
const entryBytes = (v) => utf8(canonicalize(v));

function trust(overrides = {}) {
  return {
    log: { origin: ORIGIN, vkey: logKey.vkey },
    witness_policy: {
      witnesses: witnesses.map((w, i) => ({ name: `w${i + 1}`, vkey: w.vkey })),
      groups: [{ name: 'quorum', k: 2, members: ['w1', 'w2', 'w3'] }],
      quorum: 'quorum',
    },
    beacons: { [Q.chain_info.chain_hash]: Q.chain_info },
    ...overrides,
  };
}

/** A complete draw in a log: snapshot entries, announce, result, two cosigned checkpoints. */
function scenario({ vector = D.vectors[7], early = -3600, late = 100, tamperResult = null, extraResult = false, cosigners = [0, 1, 2] } = {}) {
  const v = vector;
  const announce = structuredClone(v.announce);
  announce.beacon = { scheme: Q.chain_info.scheme, chain_hash: Q.chain_info.chain_hash, round: beaconRound.round, round_time: iso(roundTime) };
  announce.units = { ...announce.units, root: bytesToHex(snapshotRoot(v.units)), count: v.units.length };
  if (announce.inspectors) announce.inspectors = { ...announce.inspectors, root: bytesToHex(snapshotRoot(v.inspectors)), count: v.inspectors.length };
  if (announce.experts) announce.experts = { ...announce.experts, root: bytesToHex(snapshotRoot(v.experts)), count: v.experts.length };
  const entries = [
    entryBytes({ type: 'registry.snapshot', v: 1, snapshot: announce.units.snapshot, kind: 'units', root: announce.units.root, count: v.units.length, prev: null, diff: { added: [], removed: [], changed: [] }, publish: 'at_announce' }),
    entryBytes(announce),
  ];
  const announceIndex = 1;
  const cos = (dt) => cosigners.map((i) => ({ key: witnesses[i], timestamp: BigInt(roundTime + dt) }));
  const commitment = signCheckpoint(ORIGIN, logKey, entries, 2, cos(early));
  const { randomness } = verifyBeacon(chain, beaconRound);
  const computed = computeDraw(announce, v.units, randomness, { inspectors: v.inspectors ?? [], experts: v.experts ?? [] });
  let result = expectedResultEntry(announce, announceIndex, { round: beaconRound.round, signature: beaconRound.signature }, randomness, computed, false);
  if (tamperResult) result = tamperResult(structuredClone(result));
  entries.push(entryBytes({ type: 'inspection.outcome', v: 1, draw_id: 'OTHER', unit_id: 'U1', date: '2026-01-01', result: 'compliant', note: '', evidence_sha256: [] }));
  entries.push(entryBytes(result));
  const resultIndex = 3;
  if (extraResult) entries.push(entryBytes({ ...result, spec_hash: '0'.repeat(64) }));
  const checkpoint = signCheckpoint(ORIGIN, logKey, entries, entries.length, cos(late));
  const files = tileFiles(entries);
  return {
    trust: trust(), checkpoint, commitmentCheckpoints: [commitment], files,
    fetchTile: async (p) => files.get(p) ?? null,
    announceIndex, resultIndex,
    snapshots: { units: jsonl(v.units), inspectors: v.inspectors ? jsonl(v.inspectors) : undefined, experts: v.experts ? jsonl(v.experts) : undefined },
    computed,
  };
}

const statusOf = (out) => Object.fromEntries(out.checks.map((c) => [c.name, c.status]));

test('snapshot roots agree with the roots Python wrote into every draw vector', () => {
  for (const { file, data } of drawVectorFiles()) {
    for (const v of data.vectors) {
      for (const kind of ['units', 'inspectors', 'experts']) {
        if (!v.announce[kind]) continue;
        assert.equal(bytesToHex(snapshotRoot(v[kind])), v.announce[kind].root, `${file} ${v.desc} ${kind}`);
        // record order must not matter
        assert.equal(bytesToHex(snapshotRoot(v[kind].slice().reverse())), v.announce[kind].root);
      }
    }
  }
});

test('an honest draw passes every check', async () => {
  const s = scenario();
  const out = await verifyDraw(s);
  assert.deepEqual(out.checks.map((c) => c.name), CHECKS);
  for (const c of out.checks) assert.equal(c.status, 'pass', `${c.name}: ${c.reason}`);
  assert.equal(out.verdict, 'pass');
  assert.equal(canonicalize(out.computed), canonicalize(s.computed));
  // explicit result index list gives the same verdict
  assert.equal((await verifyDraw({ ...s, resultIndices: [3] })).verdict, 'pass');
});

test('a draw without teams (vector 4) passes too', async () => {
  const out = await verifyDraw(scenario({ vector: D.vectors[4] }));
  assert.equal(out.verdict, 'pass', JSON.stringify(out.checks));
});

const tampers = [
  ['unit attribute in the snapshot file', (s) => {
    const text = new TextDecoder().decode(s.snapshots.units).replace('"risk_level":"high"', '"risk_level":"low"');
    s.snapshots.units = utf8(text);
  }, 'snapshot-roots'],
  ['one assignment in the result entry (re-signed log)', () => scenario({ tamperResult: (r) => {
    const sel = r.selected.find((x) => x.team && x.team.members.length);
    sel.team.members[0].person_id = sel.team.members[0].person_id === 'I001' ? 'I002' : 'I001';
    return r;
  } }), 'recompute'],
  ['a beacon signature byte (re-signed log)', () => scenario({ tamperResult: (r) => {
    r.beacon.signature = r.beacon.signature.slice(0, 10) + (r.beacon.signature[10] === 'a' ? 'b' : 'a') + r.beacon.signature.slice(11);
    return r;
  } }), 'beacon-signature'],
  ['a dropped cosignature (policy unmet)', () => scenario({ cosigners: [0] }), 'witness-cosignatures'],
  ['a checkpoint signature byte', (s) => {
    const text = new TextDecoder().decode(s.checkpoint);
    const line = text.split('\n').find((l) => l.startsWith(`\u2014 ${ORIGIN} `));
    const raw = Buffer.from(line.split(' ')[2], 'base64');
    raw[9] ^= 1;
    s.checkpoint = utf8(text.replace(line, `\u2014 ${ORIGIN} ${raw.toString('base64')}`));
  }, 'checkpoint-signature'],
  ['a tile hash', (s) => {
    const files = new Map(s.files);
    const t = files.get('tile/0/000.p/4').slice();
    t[32 * 1 + 3] ^= 1; // the announce's leaf hash
    files.set('tile/0/000.p/4', t);
    s.fetchTile = async (p) => files.get(p) ?? null;
  }, 'announce-inclusion'],
  ['trust.json with another witness key', (s) => {
    s.trust.witness_policy.witnesses[1].vkey = makeKey('w2.example', 9, 4).vkey;
    s.trust.witness_policy.witnesses[2].vkey = makeKey('w3.example', 10, 4).vkey;
  }, 'witness-cosignatures'],
  ['cosignatures only after the round time minus the margin', () => scenario({ early: -30 }), 'commitment-timing'],
  ['two results for one draw', () => scenario({ extraResult: true }), 'single-result'],
];

for (const [what, tamper, check] of tampers) {
  test(`tamper: ${what} -> verdict fail, ${check} red`, async () => {
    let s = scenario();
    const replaced = tamper(s);
    if (replaced) s = replaced;
    const out = await verifyDraw(s);
    assert.equal(out.verdict, 'fail');
    const st = statusOf(out);
    assert.equal(st[check], 'fail', JSON.stringify(out.checks, null, 1));
    assert.ok(out.checks.find((c) => c.name === check).reason.length > 10);
  });
}

test('a snapshot published only after the inspections leaves the verdict pending', async () => {
  const s = scenario();
  s.snapshots = { inspectors: s.snapshots.inspectors, experts: s.snapshots.experts };
  const out = await verifyDraw(s);
  assert.equal(out.verdict, 'pending');
  assert.equal(statusOf(out)['snapshot-roots'], 'skipped');
  assert.equal(statusOf(out).recompute, 'skipped');
});

test('snapshot files must be canonical, sorted JSON Lines', () => {
  assert.throws(() => parseSnapshotLines(utf8('{"id":"b"}\n{"id":"a"}\n')), /sorted/);
  assert.throws(() => parseSnapshotLines(utf8('{"id": "a"}\n')), /canonical/);
  assert.throws(() => parseSnapshotLines(utf8('{"id":"a"}')), /newline/);
  assert.equal(parseSnapshotLines(utf8('{"id":"a"}\n{"id":"b"}\n')).length, 2);
  void encodeBase64;
});

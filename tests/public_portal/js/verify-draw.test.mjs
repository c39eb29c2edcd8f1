import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors, drawVectorFiles } from './vectors.mjs';
import { makeKey, signCheckpoint, tileFiles } from './logfixture.mjs';
import {
  verifyDraw, snapshotRoot, expectedResultEntry, parseSnapshotLines, CHECKS, quorumTime, newestQuorumTime,
} from '../../../public_portal/static/js/verify-draw.js';
import { parsePolicy } from '../../../public_portal/static/js/policy.js';
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

const DAY = 86400;
const snapshotEntry = (kind, ref) => entryBytes({ type: 'registry.snapshot', v: 1, snapshot: ref.snapshot, kind, root: ref.root, count: ref.count, prev: null, diff: { added: [], removed: [], changed: [] }, publish: 'at_announce' });

/**
 * A complete draw in a log: snapshot entries, announce, an unrelated outcome, the result,
 * a commitment checkpoint and the current one. Options bend one thing at a time.
 */
function scenario({
  vector = D.vectors[7], early = -3600, late = 100, tamperResult = null, extraResult = false, cosigners = [0, 1, 2],
  withResult = true, drawId = null, after = null, snapshotRoot: loggedRoot = null, nowAfter = 200,
} = {}) {
  const v = vector;
  const announce = structuredClone(v.announce);
  announce.beacon = { scheme: Q.chain_info.scheme, chain_hash: Q.chain_info.chain_hash, round: beaconRound.round, round_time: iso(roundTime) };
  announce.units = { ...announce.units, root: bytesToHex(snapshotRoot(v.units)), count: v.units.length };
  if (announce.inspectors) announce.inspectors = { ...announce.inspectors, root: bytesToHex(snapshotRoot(v.inspectors)), count: v.inspectors.length };
  if (announce.experts) announce.experts = { ...announce.experts, root: bytesToHex(snapshotRoot(v.experts)), count: v.experts.length };
  const entries = [];
  for (const kind of ['units', 'inspectors', 'experts']) {
    if (announce[kind]) entries.push(snapshotEntry(kind, kind === 'units' && loggedRoot ? { ...announce.units, root: loggedRoot } : announce[kind]));
  }
  const announceIndex = entries.length;
  entries.push(entryBytes(announce));
  const cos = (dt) => cosigners.map((i) => ({ key: witnesses[i], timestamp: BigInt(roundTime + dt) }));
  const commitment = signCheckpoint(ORIGIN, logKey, entries, entries.length, cos(early));
  const { randomness } = verifyBeacon(chain, beaconRound);
  const computed = computeDraw(announce, v.units, randomness, { inspectors: v.inspectors ?? [], experts: v.experts ?? [] });
  let result = expectedResultEntry(announce, announceIndex, { round: beaconRound.round, signature: beaconRound.signature }, randomness, computed, false);
  if (tamperResult) result = tamperResult(structuredClone(result));
  entries.push(entryBytes({ type: 'inspection.outcome', v: 1, draw_id: 'OTHER', unit_id: 'U1', date: '2026-01-01', result: 'compliant', note: '', evidence_sha256: [] }));
  const resultIndex = entries.length;
  if (withResult) entries.push(entryBytes(result));
  if (extraResult) entries.push(entryBytes({ ...result, spec_hash: '0'.repeat(64) }));
  if (after) after(entries, { announce, announceIndex, result });
  const checkpoint = signCheckpoint(ORIGIN, logKey, entries, entries.length, cos(late));
  const files = tileFiles(entries);
  return {
    drawId: drawId ?? announce.draw_id, trust: trust(), checkpoint, checkpoints: [commitment], files, entries,
    fetchTile: async (p) => files.get(p) ?? null, now: roundTime + nowAfter,
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
  assert.equal(out.announceIndex, s.announceIndex);
  assert.equal(out.resultIndex, s.resultIndex);
  assert.equal(out.checkpoints.length, 2);
  assert.match(out.checks.find((c) => c.name === 'beacon-identity').reason, /pinned in code/);
  assert.equal(out.chain.keyFingerprint, '96e7-4fcd-d3a1-1840');
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
  ['an entry bundle byte (the result entry)', (s) => {
    const files = new Map(s.files);
    const path = [...files.keys()].find((p) => p.startsWith('tile/entries/'));
    const b = files.get(path).slice();
    b[b.length - 5] ^= 1;
    files.set(path, b);
    s.fetchTile = async (p) => files.get(p) ?? null;
  }, 'announce-inclusion'],
  ['a level-0 tile hash (the consistency proof from the commitment checkpoint breaks: the log never reads tiles for entries)', (s) => {
    const files = new Map(s.files);
    const path = [...files.keys()].find((p) => p.startsWith('tile/0/'));
    const t = files.get(path).slice();
    t[32 * (s.announceIndex + 1) + 3] ^= 1; // a leaf after the commitment checkpoint
    files.set(path, t);
    s.fetchTile = async (p) => files.get(p) ?? null;
  }, 'commitment-timing'],
  ['trust.json with another witness key', (s) => {
    s.trust.witness_policy.witnesses[1].vkey = makeKey('w2.example', 9, 4).vkey;
    s.trust.witness_policy.witnesses[2].vkey = makeKey('w3.example', 10, 4).vkey;
  }, 'witness-cosignatures'],
  ['cosignatures only after the round time minus the margin', () => scenario({ early: -30 }), 'commitment-timing'],
  ['two results for one draw', () => scenario({ extraResult: true }), 'single-result'],
  ['the page is for another draw id (wrong draw on the right page)', () => scenario({ drawId: 'LB-2026-99' }), 'announce-inclusion'],
  ['the draw id announced twice', () => scenario({ after: (e, { announce }) => e.push(entryBytes({ ...announce, title: 'again' })) }), 'announce-inclusion'],
  ['a self-supersede', () => scenario({ withResult: false, after: (e, { announce }) => { e[e.length - 2] = entryBytes({ ...announce, supersedes: announce.draw_id }); } }), 'draw-history'],
  ['a cancel of this announce under another draw id', () => scenario({ withResult: false, after: (e, { announceIndex }) => e.push(entryBytes({ type: 'draw.cancel', v: 1, draw_id: 'OTHER', announce_index: announceIndex, reason: 'x' })) }), 'single-result'],
  ['a cancel after the beacon of a committed draw', () => scenario({ withResult: false, after: (e, { announce, announceIndex }) => e.push(entryBytes({ type: 'draw.cancel', v: 1, draw_id: announce.draw_id, announce_index: announceIndex, reason: 'too late' })) }), 'draw-history'],
  ['the newest quorum of co-signatures is 3 days old', () => scenario({ nowAfter: 3 * DAY }), 'checkpoint-freshness'],
  ['the registry.snapshot entry names another root than the announce', () => scenario({ snapshotRoot: '0'.repeat(64) }), 'snapshot-roots'],
  ['a borrowed beacon: another key filed under quicknet\'s chain hash', (s) => {
    s.trust.beacons[Q.chain_info.chain_hash] = { ...Q.chain_info, public_key: bytesToHex(new Uint8Array(96).fill(3)) };
  }, 'beacon-identity'],
  ['an announced round_time that is not the chain\'s time for the round', () => scenario({
    after: (e, { announce, announceIndex }) => { e[announceIndex] = entryBytes({ ...announce, beacon: { ...announce.beacon, round_time: '2030-01-01T00:00:00Z' } }); },
    withResult: false,
  }), 'beacon-identity'],
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

test('a draw without a result is still checked: announce, history, commitment, result scan', async () => {
  const out = await verifyDraw(scenario({ withResult: false }));
  const st = statusOf(out);
  for (const n of ['checkpoint-signature', 'witness-cosignatures', 'checkpoint-freshness', 'announce-inclusion', 'draw-history',
    'single-result', 'snapshot-roots', 'beacon-identity', 'commitment-timing']) assert.equal(st[n], 'pass', `${n}: ${JSON.stringify(out.checks)}`);
  assert.equal(st['result-inclusion'], 'skipped');
  assert.match(out.checks.find((c) => c.name === 'result-inclusion').reason, /no result in \d+ proven entries/);
  assert.equal(out.verdict, 'pending');
  assert.equal(out.result, null);
});

test('a draw cancelled in time is pending, with the cancel taken from the log', async () => {
  const s = scenario({ withResult: false, late: -1800, after: (e, { announce, announceIndex }) => e.push(entryBytes({ type: 'draw.cancel', v: 1, draw_id: announce.draw_id, announce_index: announceIndex, reason: 'plan changed' })) });
  const out = await verifyDraw(s);
  assert.equal(out.verdict, 'pending', JSON.stringify(out.checks));
  assert.equal(out.cancel.entry.reason, 'plan changed');
  assert.equal(statusOf(out)['draw-history'], 'pass');
});

test('an offline bundle passes freshness, saying it was not checked', async () => {
  const out = await verifyDraw({ ...scenario({ nowAfter: 30 * DAY }), offline: true, now: undefined });
  const c = out.checks.find((x) => x.name === 'checkpoint-freshness');
  assert.equal(c.status, 'pass');
  assert.equal(c.reason, 'offline bundle: freshness not checked');
  assert.equal(out.verdict, 'pass');
});

test('trust.json max_age_seconds bounds the age of the newest quorum', async () => {
  const s = scenario({ nowAfter: 3600 });
  assert.equal((await verifyDraw(s)).verdict, 'pass');
  s.trust.max_age_seconds = 600;
  assert.equal(statusOf(await verifyDraw(s))['checkpoint-freshness'], 'fail');
});

test('quorumTime and newestQuorumTime of a checkpoint', () => {
  const policy = parsePolicy(trust().witness_policy);
  const cos = [{ witness: 'w1', timestamp: 50n }, { witness: 'w2', timestamp: 10n }, { witness: 'w3', timestamp: 30n }];
  assert.equal(quorumTime(policy, cos), 30);
  assert.equal(newestQuorumTime(policy, cos), 30n);
  assert.equal(quorumTime(policy, cos.slice(0, 1)), null);
  assert.equal(newestQuorumTime(policy, cos.slice(0, 1)), null);
});

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

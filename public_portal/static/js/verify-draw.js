/**
 * The draw checklist (DESIGN §2, §5, §6; docs/spec/verification.md): every
 * check a citizen's browser runs for one draw id, as a list of
 * {name, status, reason}.
 *
 * Evidence is only (a) entries proven against the co-signed checkpoint (ALL
 * entry bundles are read and re-hashed to its root; the draw's history of
 * announce, results, cancels and supersedes is derived from them by
 * history.js) and (b) the keys of trust.json and the drand chains pinned in
 * drand.js. Navigation files are never an input: the caller passes only the
 * draw id the page is for, plus checkpoint notes it found (hints, each
 * verified, so listing fewer only hurts the operator).
 *
 * Inputs are plain objects and bytes so the page, a Web Worker and the node
 * tests share this code; nothing here fetches except through the injected
 * `fetchTile` / `loadSnapshots`, and the clock is a parameter (`now`). Check
 * names are stable (the page renders data-check="<name>"), in the order of
 * CHECKS. status is "pass", "fail" or "skipped" (a dependency failed, the
 * draw has no result yet, or a snapshot published only after the inspections
 * is not available yet); the verdict is "fail" if any check failed, else
 * "pending" if any was skipped, else "pass".
 * Left out: the browser's memory of the log (the page keeps it in
 * localStorage and calls checkConsistency below), rendering.
 */
import { FairdrawError, FormatError, VerificationError } from './errors.js';
import { bytesToHex, decodeUtf8, equalBytes, hexToBytes, utf8 } from './bytes.js';
import { openCheckpoint } from './checkpoint.js';
import { collectCosignatures, parsePolicy, requireQuorum, satisfiedBy } from './policy.js';
import { TileReader } from './tiles.js';
import { HASH_SIZE, leafHashInto, rootOfFlatLeafHashes, verifyConsistency } from './merkle.js';
import { canonicalize, isCanonicalJson } from './jcs.js';
import { checkChainIdentity, checkRoundTime, keyFingerprint, parseChainInfo, verifyBeacon } from './drand.js';
import { computeDraw, specHash } from './draw.js';
import { parseEntry, parseUtcSeconds } from './entries.js';
import { checkAnnounce, checkHistory, checkOutcomes, checkResults, drawHistory, quorumTime as historyQuorumTime } from './history.js';

export { parseEntry, parseUtcSeconds };

export const CHECKS = [
  'checkpoint-signature', 'witness-cosignatures', 'checkpoint-freshness', 'announce-inclusion', 'draw-history',
  'result-inclusion', 'single-result', 'snapshot-roots', 'beacon-identity', 'beacon-signature', 'commitment-timing', 'recompute',
];
export const DEFAULT_MARGIN_SECONDS = 60;
export const DEFAULT_MAX_AGE_SECONDS = 24 * 3600;

/** Records of a snapshot JSONL file (bytes): one canonical record per line, sorted by id, no duplicates. */
export function parseSnapshotLines(bytes) {
  const text = decodeUtf8(bytes, 'snapshot file');
  if (text.length && !text.endsWith('\n')) throw new FormatError('snapshot file must end with a newline');
  const lines = text.length ? text.slice(0, -1).split('\n') : [];
  const records = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      throw new FormatError(`snapshot line ${i + 1} is not JSON`);
    }
    // isCanonicalJson is canonicalize(r) === line (same errors), with a native fast path.
    if (!isCanonicalJson(r, line)) throw new FormatError(`snapshot line ${i + 1} is not canonical JSON`);
    records[i] = r;
  }
  for (let i = 1; i < records.length; i++) {
    if (!(records[i - 1].id < records[i].id)) throw new FormatError(`snapshot line ${i + 1}: ids are not sorted and unique (${records[i - 1].id}, ${records[i].id})`);
  }
  return records;
}

/**
 * A snapshot file parsed once: its records and its root, from parseSnapshot(bytes).
 * verifyDraw accepts it in `snapshots` (besides bytes and records arrays) so a caller that
 * needs the records too (the Web Worker) parses a large file only once. Do not modify
 * `records`: `root` was computed from the file, not from them.
 */
export class ParsedSnapshot {
  constructor(records, root) {
    this.records = records;
    this.root = root;
  }
}

/**
 * parseSnapshotLines(bytes) plus snapshotRoot of the records, without re-serialising them:
 * each line was just checked to be the canonical JSON of its record and the lines are in
 * id order, so the leaves are the raw line bytes (valid UTF-8 decodes and re-encodes to the
 * same bytes), hashed straight from the fetched buffer. Same errors as parseSnapshotLines.
 */
export function parseSnapshot(bytes) {
  const records = parseSnapshotLines(bytes);
  return new ParsedSnapshot(records, snapshotLinesRoot(bytes));
}

/**
 * RFC 9162 root over the newline-terminated lines of `bytes`, each line's bytes as a leaf.
 * It is the snapshot root ONLY for bytes that parseSnapshotLines accepts (canonical lines
 * in id order); kept separate so a second worker can hash while the first one parses.
 */
export function snapshotLinesRoot(bytes) {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) count++;
  const hashes = new Uint8Array(HASH_SIZE * count);
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = bytes.indexOf(0x0a, start); // a newline byte never occurs inside a UTF-8 sequence
    leafHashInto(bytes.subarray(start, end), hashes, HASH_SIZE * i);
    start = end + 1;
  }
  return rootOfFlatLeafHashes(hashes, count);
}

/** SPEC(DESIGN §4): snapshot root = RFC 9162 root over the canonical JSON of each record, sorted by id. */
export function snapshotRoot(records) {
  const sorted = records.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hashes = new Uint8Array(HASH_SIZE * sorted.length);
  sorted.forEach((r, i) => leafHashInto(utf8(canonicalize(r)), hashes, HASH_SIZE * i));
  return rootOfFlatLeafHashes(hashes, sorted.length);
}

/** The draw.result entry the log must hold, rebuilt from the announce index, beacon and computed part. */
export function expectedResultEntry(announce, announceIndex, beacon, randomness, computed, chained) {
  const b = { round: beacon.round, signature: beacon.signature, randomness: bytesToHex(randomness) };
  if (chained) b.previous_signature = beacon.previous_signature;
  return {
    type: 'draw.result', v: 1, draw_id: announce.draw_id, announce_index: announceIndex,
    spec_hash: bytesToHex(specHash(announce)), beacon: b, ...computed,
  };
}

/** Consistency between a checkpoint seen before ({treeSize, rootHash}) and the current reader's tree. */
export async function checkConsistency(reader, currentRoot, previous) {
  const size1 = Number(previous.treeSize);
  if (size1 > reader.treeSize) throw new VerificationError(`the log shrank: saw size ${size1} before, now ${reader.treeSize}`);
  if (size1 === 0) return;
  if (size1 === reader.treeSize) {
    if (!equalBytes(previous.rootHash, currentRoot)) throw new VerificationError('same tree size, different root: the log forked');
    return;
  }
  verifyConsistency(size1, reader.treeSize, previous.rootHash, currentRoot, await reader.consistencyProof(size1));
}

const reasonOf = (e) => (e instanceof FairdrawError ? e.message : `unexpected error: ${e && e.message}`);
const isoOf = (seconds) => new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z');
const byTime = (a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);

/**
 * SPEC(verification.md): a checkpoint's quorum_time from its verified cosignatures
 * [{witness, timestamp}] (history.js quorumTime: the smallest t such that the cosignatures
 * timestamped <= t meet the quorum; null if they never do). POSIX seconds.
 */
export function quorumTime(policy, cosignatures) {
  return historyQuorumTime(new Map(cosignatures.map((c) => [c.witness, c.timestamp])), policy);
}

/**
 * The newest quorum (checkpoint-freshness): the largest t such that the cosignatures with
 * timestamp >= t satisfy the policy (bigint seconds), or null.
 */
export function newestQuorumTime(policy, cosignatures) {
  const have = [];
  for (const c of cosignatures.slice().sort(byTime).reverse()) {
    have.push(c.witness);
    if (satisfiedBy(policy, have)) return c.timestamp;
  }
  return null;
}

/**
 * Every published co-signed checkpoint that verifies: opened with the log key(s), a prefix
 * of the current tree (consistency proof from tiles), its cosignatures counted toward the
 * policy. `notes` are hints (data/log.json and the draw file list them); the current
 * checkpoint is always added. Returns {verified: [{treeSize, quorumTime (bigint|null),
 * cosignatures: [{witness, keyId, timestamp}], note, current (is currentNote)}] sorted by
 * size, rejected: [reason]}.
 */
export async function verifyCheckpoints(notes, { logKeys, origin, policy, reader, current, currentNote }) {
  const verified = [];
  const rejected = [];
  const seen = new Set();
  for (const note of [...notes, currentNote]) {
    const key = bytesToHex(note);
    if (seen.has(key)) continue;
    seen.add(key);
    try {
      const { checkpoint: c } = await openCheckpoint(note, logKeys, origin);
      await checkConsistency(reader, current.rootHash, c);
      const cos = await collectCosignatures(note, policy);
      verified.push({ treeSize: Number(c.treeSize), quorumTime: quorumTime(policy, cos), cosignatures: cos, note, current: equalBytes(note, currentNote) });
    } catch (e) {
      rejected.push(reasonOf(e));
    }
  }
  verified.sort((a, b) => a.treeSize - b.treeSize);
  return { verified, rejected };
}

/** The snapshot an announce names under `kind` must be a registry.snapshot entry logged before it. */
function checkSnapshotEntry(entries, announceIndex, kind, ref) {
  const logged = [];
  for (let i = 0; i < announceIndex; i++) {
    const e = entries[i];
    if (e && e.type === 'registry.snapshot' && e.snapshot === ref.snapshot) logged.push([i, e]);
  }
  if (!logged.length) {
    throw new VerificationError(`the announce names ${kind} snapshot ${ref.snapshot}, which no registry.snapshot entry before it logs`, { kind, snapshot: ref.snapshot });
  }
  for (const [i, e] of logged) {
    if (e.kind !== kind || e.root !== ref.root || e.count !== ref.count) {
      throw new VerificationError(`${kind} snapshot ${ref.snapshot}: entry ${i} logs kind ${e.kind}, root ${e.root}, count ${e.count}; the announce says ${kind}, ${ref.root}, ${ref.count}`, { kind, entry: i, expected: e.root, computed: ref.root });
    }
  }
  return logged[logged.length - 1][0];
}

function snapshotOf(given) {
  if (given instanceof ParsedSnapshot) return given;
  if (given instanceof Uint8Array) return parseSnapshot(given);
  return new ParsedSnapshot(given, snapshotRoot(given));
}

/**
 * Run the checklist for draw `drawId`. input = {
 *   drawId: the draw id the page is for,
 *   trust: parsed trust.json {log: {origin, vkey | vkeys}, witness_policy, beacons: {<chain_hash>: chain info},
 *          margin_seconds?, max_age_seconds?},
 *   checkpoint: Uint8Array (current signed + cosigned checkpoint), fetchTile: async path -> bytes | null,
 *   checkpoints?: [Uint8Array] (other published co-signed checkpoints: hints, each verified),
 *   snapshots: {units?, inspectors?, experts?}: each records array, JSONL bytes or a ParsedSnapshot
 *     (absent = not published yet), or loadSnapshots: async announce -> that object (called once
 *     the announce is proven, so files are looked up by the snapshot names it commits to),
 *   now?: POSIX seconds (live sources), offline?: true for an offline bundle (freshness not checked),
 *   maxAgeSeconds?: overrides trust.max_age_seconds (default 24 h),
 *   onProgress?: fraction -> void }
 * Returns {verdict, checks, drawId, announce, announceIndex, result, resultIndex, cancel, history,
 *   entries (parsed, by leaf index), checkpoints (verified: {treeSize, quorumTime, current, cosignatures: [{witness, timestamp}]}), current, computed, local, chain}.
 */
export async function verifyDraw(input) {
  const checks = new Map(CHECKS.map((n) => [n, { name: n, status: 'skipped', reason: 'not run: an earlier check failed' }]));
  const out = {
    verdict: 'fail', checks: [], drawId: input.drawId, announce: null, announceIndex: null, result: null, resultIndex: null,
    cancel: null, history: null, entries: null, checkpoints: [], current: null, computed: null, local: false, chain: null,
  };
  const pass = (n, reason) => checks.set(n, { name: n, status: 'pass', reason });
  const skip = (n, reason) => checks.set(n, { name: n, status: 'skipped', reason });
  const run = async (n, fn) => {
    try {
      const reason = await fn();
      pass(n, reason);
      return true;
    } catch (e) {
      checks.set(n, { name: n, status: 'fail', reason: reasonOf(e), evidence: e && e.evidence });
      return false;
    }
  };
  const trust = input.trust;
  const drawId = input.drawId;
  const margin = trust.margin_seconds ?? DEFAULT_MARGIN_SECONDS;
  const logKeys = trust.log.vkeys ?? [trust.log.vkey];
  let policy = null;
  let cos = null;
  let cp = null;
  let reader = null;
  let entries = null;
  let history = null;
  let announce = null;
  let announceIndex = null;
  let roundTime = null;

  const cpOk = await run('checkpoint-signature', async () => {
    ({ checkpoint: cp } = await openCheckpoint(input.checkpoint, logKeys, trust.log.origin));
    reader = new TileReader(input.fetchTile, Number(cp.treeSize));
    out.current = { origin: cp.origin, treeSize: Number(cp.treeSize), rootHash: bytesToHex(cp.rootHash) };
    return `signed by the log key; tree size ${cp.treeSize}`;
  });
  if (!cpOk) return finish(out, checks);

  await run('witness-cosignatures', async () => {
    policy = parsePolicy(trust.witness_policy);
    cos = await collectCosignatures(input.checkpoint, policy);
    requireQuorum(policy, cos.map((c) => c.witness), 'current checkpoint');
    return `policy "${policy.quorum}" met by ${cos.map((c) => c.witness).join(', ')}`;
  });
  if (checks.get('witness-cosignatures').status === 'pass') {
    await run('checkpoint-freshness', () => {
      if (input.offline) return 'offline bundle: freshness not checked';
      const maxAge = input.maxAgeSeconds ?? trust.max_age_seconds ?? DEFAULT_MAX_AGE_SECONDS;
      if (!Number.isSafeInteger(maxAge) || maxAge < 0) throw new FormatError(`max_age_seconds ${JSON.stringify(maxAge)} is not a non-negative integer`);
      if (!Number.isFinite(input.now)) throw new FormatError('no current time given for a live source');
      const newest = newestQuorumTime(policy, cos);
      if (newest === null) throw new VerificationError('no quorum of timestamped co-signatures on the current checkpoint');
      const age = Math.floor(input.now) - Number(newest);
      if (age > maxAge) {
        throw new VerificationError(`the newest quorum of co-signatures is from ${isoOf(newest)}, ${age} s old: more than the maximum ${maxAge} s (a stale or frozen view)`, { newest: String(newest), now: String(Math.floor(input.now)), max_age: maxAge });
      }
      return `newest quorum of co-signatures ${isoOf(newest)} (${Math.max(age, 0)} s old, at most ${maxAge} s)`;
    });
  }

  // SPEC(verification.md): every entry of the log, proven to the checkpoint root.
  const logOk = await run('announce-inclusion', async () => {
    const raw = await reader.allEntries(cp.rootHash);
    entries = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      try {
        entries[i] = parseEntry(raw[i]);
      } catch (e) {
        throw new FormatError(`entry-format: entry ${i}: ${reasonOf(e)}`, { index: i });
      }
    }
    out.entries = entries;
    history = drawHistory(entries, drawId);
    out.history = history;
    announceIndex = checkAnnounce(history); // SPEC: announce.draw_id == drawId by construction
    out.announceIndex = announceIndex;
    announce = entries[announceIndex];
    out.announce = announce;
    out.local = Boolean(announce.beacon && announce.beacon.local);
    return `entry ${announceIndex} is the one announce of draw ${drawId} among ${raw.length} entries proven to the checkpoint root`;
  });
  if (!logOk) return finish(out, checks);
  try {
    roundTime = parseUtcSeconds(announce.beacon && announce.beacon.round_time);
  } catch { /* reported by beacon-identity */ }

  // Every published co-signed checkpoint (commitment-timing, late-cancel).
  let hints = { verified: [], rejected: [] };
  if (policy) {
    hints = await verifyCheckpoints(input.checkpoints ?? [], {
      logKeys, origin: trust.log.origin, policy, reader, current: cp, currentNote: input.checkpoint,
    });
  }
  // Each with its verified cosignatures (earliest per witness) for the page's witness table.
  out.checkpoints = hints.verified.map(({ treeSize, quorumTime: q, cosignatures: cs, current }) => ({
    treeSize, quorumTime: q, current, cosignatures: cs.map(({ witness, timestamp }) => ({ witness, timestamp })),
  }));

  await run('draw-history', () => {
    if (roundTime === null) throw new FormatError(`announce round_time ${JSON.stringify(announce.beacon && announce.beacon.round_time)} is not RFC 3339 UTC`);
    checkHistory(history, entries, out.checkpoints, margin, roundTime);
    const outcomes = checkOutcomes(entries, drawId); // corrections supersede, both stay
    out.outcomesSupersededBy = Object.fromEntries(outcomes.supersededBy);
    const parts = [`one announce (entry ${announceIndex})`];
    if (history.supersedes) parts.push(`supersedes ${history.supersedes}, cancelled in time`);
    if (history.cancels.length) parts.push(`cancelled in time (entry ${history.cancels[0]})`);
    if (history.supersededBy.length) parts.push(`superseded by entry ${history.supersededBy[0]}`);
    if (outcomes.outcomes.length) parts.push(`${outcomes.outcomes.length} outcome(s), ${outcomes.supersededBy.size} corrected`);
    return `${parts.join('; ')}; checked against ${out.checkpoints.length} co-signed checkpoint(s)`;
  });
  const results = history.results;
  if (!results.length) skip('result-inclusion', `no result in ${entries.length} proven entries`);
  else {
    await run('result-inclusion', () => {
      for (const i of results) {
        if (entries[i].type !== 'draw.result') throw new FormatError(`entry ${i} is a ${entries[i].type}, not a draw.result`);
      }
      return `result entr${results.length === 1 ? 'y' : 'ies'} ${results.join(', ')} proven with the whole log`;
    });
  }
  const single = await run('single-result', () => {
    const ri = checkResults(history);
    return ri === null
      ? `no result yet: none of the ${entries.length} proven entries is a result or cancel of another announce`
      : `entry ${ri} is the only draw.result attached to draw ${drawId} among ${entries.length} proven entries`;
  });
  if (single && results.length === 1) {
    out.resultIndex = results[0];
    out.result = entries[results[0]];
  }
  if (history.cancels.length === 1) out.cancel = { index: history.cancels[0], entry: entries[history.cancels[0]] };

  const snapshots = input.loadSnapshots ? await input.loadSnapshots(announce) : input.snapshots || {};
  const records = {};
  const missing = [];
  const snapOk = await run('snapshot-roots', () => {
    const parts = [];
    for (const kind of ['units', 'inspectors', 'experts']) {
      const ref = announce[kind];
      if (!ref) continue;
      const logged = checkSnapshotEntry(entries, announceIndex, kind, ref);
      const given = snapshots[kind];
      if (given === undefined || given === null) {
        missing.push(kind);
        continue;
      }
      const { records: recs, root: rootBytes } = snapshotOf(given);
      const root = bytesToHex(rootBytes);
      if (root !== ref.root) throw new VerificationError(`${kind} snapshot root ${root} is not the announced ${ref.root}`, { kind, expected: ref.root, computed: root });
      if (recs.length !== ref.count) throw new VerificationError(`${kind} snapshot has ${recs.length} records, the announce says ${ref.count}`);
      records[kind] = recs;
      parts.push(`${kind} ${recs.length} (entry ${logged})`);
    }
    return `roots match the announce and its logged snapshot entries (${parts.join(', ')})`;
  });
  if (snapOk && missing.length) skip('snapshot-roots', `snapshot not published yet: ${missing.join(', ')} (logged entries match the announce)`);

  let chain = null;
  await run('beacon-identity', () => {
    const b = announce.beacon || {};
    const info = trust.beacons && trust.beacons[b.chain_hash];
    if (!info) throw new VerificationError(`beacon-identity: beacon chain ${b.chain_hash} is not pinned in trust.json`);
    const local = b.local === true;
    if (Boolean(info.local) !== local) throw new VerificationError('beacon-identity: the announce and trust.json disagree on whether this beacon is the local development beacon');
    chain = parseChainInfo(info);
    if (chain.scheme !== b.scheme) throw new VerificationError(`beacon-identity: pinned chain scheme ${chain.scheme} is not the announced ${b.scheme}`);
    // SPEC(verification.md beacon-identity): chain hash recomputed; a public chain pinned in code.
    checkChainIdentity(info, local);
    out.chain = { chainHash: b.chain_hash, scheme: chain.scheme, local, keyFingerprint: keyFingerprint(info) };
    if (roundTime === null) parseUtcSeconds(b.round_time); // throws with the reason
    checkRoundTime(info, b.round, roundTime);
    return `${local ? 'LOCAL development chain' : 'drand chain pinned in code'} ${b.chain_hash.slice(0, 16)}…, key ${out.chain.keyFingerprint}; round ${b.round} is at ${b.round_time}`;
  });

  let beaconOut = null;
  if (out.result && chain && checks.get('beacon-identity').status === 'pass') {
    await run('beacon-signature', () => {
      beaconOut = verifyBeacon(chain, out.result.beacon, announce.beacon.round);
      return `round ${beaconOut.round} verifies against the pinned ${out.local ? 'LOCAL development' : 'drand'} key`;
    });
  } else if (!out.result && single) skip('beacon-signature', 'no result yet');

  await run('commitment-timing', () => {
    if (roundTime === null) throw new FormatError(`announce round_time ${JSON.stringify(announce.beacon && announce.beacon.round_time)} is not RFC 3339 UTC`);
    const deadline = roundTime - margin;
    const covering = out.checkpoints.filter((c) => c.treeSize > announceIndex);
    const early = covering.find((c) => c.quorumTime !== null && c.quorumTime <= deadline);
    if (early) {
      return `announce covered by checkpoint ${early.treeSize}, its quorum co-signed at ${isoOf(early.quorumTime)}, at least ${margin} s before ${announce.beacon.round_time}`;
    }
    const tried = covering.map((c) => `size ${c.treeSize} quorum ${c.quorumTime === null ? 'never' : isoOf(c.quorumTime)}`).join(', ');
    const why = `no co-signed checkpoint covering entry ${announceIndex} met the quorum by ${isoOf(deadline)} (round time − ${margin} s); checked: ${tried || 'none'}${hints.rejected.length ? `; rejected: ${hints.rejected.join('; ')}` : ''}`;
    // SPEC(verification.md): a draw whose commitment was missed can always be cancelled: it was never executed.
    if (!results.length && history.cancels.length) return { skipped: `commitment missed, then cancelled: never executed (${why})` };
    throw new VerificationError(`commitment-missed: ${why}`, { deadline: isoOf(deadline) });
  });
  const ct = checks.get('commitment-timing');
  if (ct.status === 'pass' && typeof ct.reason === 'object') skip('commitment-timing', ct.reason.skipped);

  if (out.result && beaconOut && records.units && checks.get('snapshot-roots').status === 'pass') {
    await run('recompute', () => {
      const result = out.result;
      const computed = computeDraw(announce, records.units, beaconOut.randomness, {
        inspectors: records.inspectors ?? [], experts: records.experts ?? [], onProgress: input.onProgress ?? null,
      });
      out.computed = computed;
      const expected = canonicalize(expectedResultEntry(announce, announceIndex, result.beacon, beaconOut.randomness, computed, chain.schemeInfo.chained));
      const logged = canonicalize(result); // parseEntry checked the logged bytes are exactly this
      if (expected !== logged) {
        const want = JSON.parse(expected);
        const diff = [...new Set([...Object.keys(want), ...Object.keys(result)])]
          .filter((k) => canonicalize(want[k] ?? null) !== canonicalize(result[k] ?? null));
        throw new VerificationError(`the logged result differs from the recomputed one (fields: ${diff.join(', ')})`, { fields: diff });
      }
      return `recomputed ${computed.selected.length} selected units; identical to the logged result byte for byte`;
    });
  } else if (!out.result && single) skip('recompute', 'no result yet');
  return finish(out, checks);
}

function finish(out, checks) {
  out.checks = CHECKS.map((n) => checks.get(n));
  const statuses = out.checks.map((c) => c.status);
  out.verdict = statuses.includes('fail') ? 'fail' : statuses.includes('skipped') ? 'pending' : 'pass';
  return out;
}

export { hexToBytes };

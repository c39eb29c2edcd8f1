/**
 * The draw checklist (DESIGN §2, §5, §6; issue 5): every check a citizen's
 * browser runs for one draw, as a list of {name, status, reason}.
 *
 * Inputs are plain objects and bytes so the page, a Web Worker and the node
 * tests share this code; nothing here fetches except through the injected
 * `fetchTile`. Check names are stable (the page renders data-check="<name>"):
 *   checkpoint-signature, witness-cosignatures, announce-inclusion,
 *   result-inclusion, single-result, snapshot-roots, beacon-signature,
 *   commitment-timing, recompute.
 * status is "pass", "fail" or "skipped" (a dependency failed, or a snapshot
 * published only after the inspections is not available yet); the verdict is
 * "fail" if any check failed, else "pending" if any was skipped, else "pass".
 * Left out: consistency with the checkpoint seen last time (the page keeps
 * that in localStorage and calls checkConsistency below), rendering.
 */
import { FairdrawError, FormatError, VerificationError } from './errors.js';
import { bytesToHex, decodeUtf8, equalBytes, hexToBytes, utf8 } from './bytes.js';
import { openCheckpoint } from './checkpoint.js';
import { collectCosignatures, parsePolicy, requireQuorum } from './policy.js';
import { TileReader } from './tiles.js';
import { HASH_SIZE, leafHashInto, rootOfFlatLeafHashes, verifyConsistency } from './merkle.js';
import { canonicalize, isCanonicalJson } from './jcs.js';
import { parseChainInfo, verifyBeacon } from './drand.js';
import { computeDraw, specHash } from './draw.js';

export const CHECKS = [
  'checkpoint-signature', 'witness-cosignatures', 'announce-inclusion', 'result-inclusion', 'single-result',
  'snapshot-roots', 'beacon-signature', 'commitment-timing', 'recompute',
];
export const DEFAULT_MARGIN_SECONDS = 60;

/** Parse a log entry: bytes must be the canonical JSON of an object with "type" and "v": 1. */
export function parseEntry(bytes) {
  const text = decodeUtf8(bytes, 'log entry');
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`log entry is not JSON: ${e.message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || typeof value.type !== 'string' || value.v !== 1) {
    throw new FormatError('log entry is not an object with "type" and "v": 1');
  }
  if (canonicalize(value) !== text) throw new FormatError('log entry is not canonical JSON (RFC 8785)');
  return value;
}

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

/** RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" -> POSIX seconds. */
export function parseUtcSeconds(text) {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/.exec(text || '');
  if (!m) throw new FormatError(`${JSON.stringify(text)} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (new Date(ms).toISOString().slice(0, 19) + 'Z' !== text) throw new FormatError(`${text} is not a valid time`);
  return ms / 1000;
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

/**
 * Run the checklist. input = {
 *   trust: {log: {origin, vkey | vkeys}, witness_policy: <policy JSON>, beacons: {<chain_hash>: chain info}, margin_seconds?},
 *   checkpoint: Uint8Array (current signed + cosigned checkpoint), fetchTile: async path -> bytes | null,
 *   announceIndex, resultIndex, resultIndices?: [indices of every draw.result of this draw] (else all entries are scanned),
 *   commitmentCheckpoints?: [Uint8Array] (earlier cosigned checkpoints; the current one is always tried too),
 *   snapshots: {units?, inspectors?, experts?}: each records array, JSONL bytes or a ParsedSnapshot
 *     (absent = not published yet),
 *   onProgress?: fraction -> void }
 * Returns {verdict, checks, announce, result, computed, local}.
 */
export async function verifyDraw(input) {
  const checks = new Map(CHECKS.map((n) => [n, { name: n, status: 'skipped', reason: 'not run: an earlier check failed' }]));
  const out = { verdict: 'fail', checks: [], announce: null, result: null, computed: null, local: false };
  const pass = (n, reason) => checks.set(n, { name: n, status: 'pass', reason });
  const failc = (n, reason) => checks.set(n, { name: n, status: 'fail', reason });
  const skip = (n, reason) => checks.set(n, { name: n, status: 'skipped', reason });
  const run = async (n, fn) => {
    try {
      const reason = await fn();
      pass(n, reason);
      return true;
    } catch (e) {
      failc(n, reasonOf(e));
      return false;
    }
  };
  const trust = input.trust;
  const margin = trust.margin_seconds ?? DEFAULT_MARGIN_SECONDS;
  const logKeys = trust.log.vkeys ?? [trust.log.vkey];
  let policy = null;
  let cp = null;
  let reader = null;
  let announce = null;
  let result = null;
  let resultBytes = null;
  let beaconOut = null;
  let chain = null;

  const cpOk = await run('checkpoint-signature', async () => {
    ({ checkpoint: cp } = await openCheckpoint(input.checkpoint, logKeys, trust.log.origin));
    reader = new TileReader(input.fetchTile, Number(cp.treeSize));
    return `signed by the log key; tree size ${cp.treeSize}`;
  });
  if (cpOk) {
    await run('witness-cosignatures', async () => {
      policy = parsePolicy(trust.witness_policy);
      const cos = await collectCosignatures(input.checkpoint, policy);
      requireQuorum(policy, cos.map((c) => c.witness), 'current checkpoint');
      return `policy "${policy.quorum}" met by ${cos.map((c) => c.witness).join(', ')}`;
    });
    await run('announce-inclusion', async () => {
      announce = parseEntry(await reader.provenEntry(input.announceIndex, cp.rootHash));
      if (announce.type !== 'draw.announce') throw new FormatError(`entry ${input.announceIndex} is a ${announce.type}, not a draw.announce`);
      return `entry ${input.announceIndex} (draw ${announce.draw_id}) is in the log`;
    });
    out.announce = announce;
    out.local = Boolean(announce && announce.beacon && announce.beacon.local);
    if (announce) {
      await run('result-inclusion', async () => {
        resultBytes = await reader.provenEntry(input.resultIndex, cp.rootHash);
        result = parseEntry(resultBytes);
        if (result.type !== 'draw.result') throw new FormatError(`entry ${input.resultIndex} is a ${result.type}, not a draw.result`);
        if (result.draw_id !== announce.draw_id || result.announce_index !== input.announceIndex) {
          throw new VerificationError(`result entry names draw ${result.draw_id} / announce ${result.announce_index}, not ${announce.draw_id} / ${input.announceIndex}`);
        }
        if (input.resultIndex <= input.announceIndex) throw new VerificationError('the result was logged before its announce');
        return `entry ${input.resultIndex} is in the log`;
      });
      out.result = result;
      await run('single-result', async () => {
        let indices = input.resultIndices;
        let entries = null;
        if (!indices) {
          entries = await reader.allEntries(cp.rootHash);
          indices = [...entries.keys()];
        }
        const found = [];
        for (const i of indices) {
          const e = entries ? entries[i] : await reader.provenEntry(i, cp.rootHash);
          const s = decodeUtf8(e, 'entry');
          if (s.includes('"draw.result"')) {
            const v = parseEntry(e);
            if (v.type === 'draw.result' && v.draw_id === announce.draw_id) found.push(i);
          }
        }
        if (!found.includes(input.resultIndex)) found.push(input.resultIndex);
        if (found.length !== 1) throw new VerificationError(`draw ${announce.draw_id} has ${found.length} results (entries ${found.sort((a, b) => a - b).join(', ')})`, { indices: found });
        return `one result for draw ${announce.draw_id} among ${indices.length} entries checked`;
      });
    }
  }

  const records = {};
  if (announce) {
    const missing = [];
    const ok = await run('snapshot-roots', async () => {
      const parts = [];
      for (const kind of ['units', 'inspectors', 'experts']) {
        if (!announce[kind]) continue;
        const given = input.snapshots && input.snapshots[kind];
        if (given === undefined || given === null) {
          missing.push(kind);
          continue;
        }
        let recs;
        let rootBytes;
        if (given instanceof ParsedSnapshot) ({ records: recs, root: rootBytes } = given);
        else if (given instanceof Uint8Array) ({ records: recs, root: rootBytes } = parseSnapshot(given));
        else [recs, rootBytes] = [given, snapshotRoot(given)];
        const root = bytesToHex(rootBytes);
        if (root !== announce[kind].root) throw new VerificationError(`${kind} snapshot root ${root} is not the announced ${announce[kind].root}`, { kind, expected: announce[kind].root, computed: root });
        if (recs.length !== announce[kind].count) throw new VerificationError(`${kind} snapshot has ${recs.length} records, the announce says ${announce[kind].count}`);
        records[kind] = recs;
        parts.push(`${kind} ${recs.length}`);
      }
      return `roots match the announce (${parts.join(', ')})`;
    });
    if (ok && missing.length) skip('snapshot-roots', `snapshot not published yet: ${missing.join(', ')}`);
  }

  if (announce && result) {
    await run('beacon-signature', async () => {
      const info = trust.beacons && trust.beacons[announce.beacon.chain_hash];
      if (!info) throw new VerificationError(`beacon chain ${announce.beacon.chain_hash} is not pinned in trust.json`);
      chain = parseChainInfo(info);
      if (chain.scheme !== announce.beacon.scheme) throw new VerificationError(`pinned chain scheme ${chain.scheme} is not the announced ${announce.beacon.scheme}`);
      if (Boolean(info.local) !== Boolean(announce.beacon.local)) throw new VerificationError('the announce and trust.json disagree on whether this beacon is the local development beacon');
      beaconOut = verifyBeacon(chain, result.beacon, announce.beacon.round);
      if (beaconOut.roundTime !== parseUtcSeconds(announce.beacon.round_time)) {
        throw new VerificationError(`round ${announce.beacon.round} is published at ${new Date(beaconOut.roundTime * 1000).toISOString()}, the announce says ${announce.beacon.round_time}`);
      }
      return `round ${beaconOut.round} verifies against the pinned ${out.local ? 'LOCAL development' : 'drand'} key`;
    });
  }

  if (announce && policy && cp) {
    await run('commitment-timing', async () => {
      const roundTime = parseUtcSeconds(announce.beacon.round_time);
      const deadline = BigInt(roundTime - margin);
      const candidates = [...(input.commitmentCheckpoints ?? []), input.checkpoint];
      const reasons = [];
      for (const note of candidates) {
        try {
          const { checkpoint: c } = await openCheckpoint(note, logKeys, trust.log.origin);
          if (Number(c.treeSize) <= input.announceIndex) throw new VerificationError(`checkpoint of size ${c.treeSize} does not cover entry ${input.announceIndex}`);
          await checkConsistency(reader, cp.rootHash, c);
          const cos = await collectCosignatures(note, policy);
          const early = cos.filter((x) => x.timestamp <= deadline);
          requireQuorum(policy, early.map((x) => x.witness), `checkpoint of size ${c.treeSize} cosigned ≥ ${margin} s before round time`);
          return `announce covered by checkpoint ${c.treeSize}, cosigned by ${early.map((x) => x.witness).join(', ')} at least ${margin} s before ${announce.beacon.round_time}`;
        } catch (e) {
          reasons.push(reasonOf(e));
        }
      }
      throw new VerificationError(`no checkpoint proves the commitment in time: ${reasons.join('; ')}`);
    });
  }

  if (announce && result && beaconOut && records.units && checks.get('snapshot-roots').status === 'pass') {
    await run('recompute', async () => {
      const computed = computeDraw(announce, records.units, beaconOut.randomness, {
        inspectors: records.inspectors ?? [], experts: records.experts ?? [], onProgress: input.onProgress ?? null,
      });
      out.computed = computed;
      const expected = canonicalize(expectedResultEntry(announce, input.announceIndex, result.beacon, beaconOut.randomness, computed, chain.schemeInfo.chained));
      const logged = decodeUtf8(resultBytes, 'result entry');
      if (expected !== logged) {
        const want = JSON.parse(expected);
        const diff = [...new Set([...Object.keys(want), ...Object.keys(result)])]
          .filter((k) => canonicalize(want[k] ?? null) !== canonicalize(result[k] ?? null));
        throw new VerificationError(`the logged result differs from the recomputed one (fields: ${diff.join(', ')})`, { fields: diff });
      }
      return `recomputed ${computed.selected.length} selected units; identical to the logged result byte for byte`;
    });
  }

  out.checks = CHECKS.map((n) => checks.get(n));
  const statuses = out.checks.map((c) => c.status);
  out.verdict = statuses.includes('fail') ? 'fail' : statuses.includes('skipped') ? 'pending' : 'pass';
  return out;
}

export { hexToBytes };

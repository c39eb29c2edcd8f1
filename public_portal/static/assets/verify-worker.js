/**
 * Web Worker running verifyDraw (docs/spec/portal-js.md) off the main thread,
 * so the page stays responsive while a large draw recomputes.
 *
 * Messages in:
 *   {kind: 'verify', drawId, base?: absolute URL of the portal root, files?: {path: Uint8Array},
 *    backend: 'auto'|'noble'|'webcrypto', previous?: {<origin>: {treeSize, rootHash (hex)}} (absent offline)}
 *   {kind: 'lookup', unitId}
 *   {kind: 'bundle', source} -> {kind: 'bundle', text} (the offline bundle JSON of the files read)
 *   {kind: 'lines-root', bytes} -> {kind: 'lines-root', root} (when run nested as a hashing helper)
 * Messages out:
 *   {kind: 'progress', phase: 'download'|'verify'|'recompute', fraction}
 *   {kind: 'done', out: {...verifyDraw output, consistency, outcomes, units, people, backend, fetched}}
 *   {kind: 'lookup', answer}
 *   {kind: 'error', message}
 * Files come either from the portal over HTTP (`base`) or from an offline bundle (`files`,
 * paths relative to the portal root, docs/spec/portal-data.md §Offline bundle).
 */
import {
  verifyDraw, checkConsistency, parseEntry, parseSnapshotLines, snapshotLinesRoot, ParsedSnapshot,
} from './js/verify-draw.js';
import { cryptoBackend, setCryptoBackend } from './js/hashing.js';
import { openCheckpoint } from './js/checkpoint.js';
import { TileReader } from './js/tiles.js';
import { bytesToHex, hexToBytes, decodeUtf8, encodeBase64 } from './js/bytes.js';
import { ticket } from './js/draw.js';
import { canonicalize } from './js/jcs.js';

let state = null; // kept for lookups: {announce, result, units: records sorted by id, seed, fetched, drawId}

function makeLoader(msg, fetched) {
  return async (path, { optional = false, onBytes = null } = {}) => {
    if (msg.files) {
      const data = msg.files[path];
      if (data === undefined) {
        if (optional) return null;
        throw new Error(`the bundle has no file ${path}`);
      }
      fetched.set(path, data);
      return data;
    }
    const r = await fetch(new URL(path, msg.base));
    if (r.status === 404 && optional) return null;
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    let data;
    const total = Number(r.headers.get('content-length')) || 0;
    if (onBytes && r.body && total) {
      const reader = r.body.getReader();
      data = new Uint8Array(total);
      let pos = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (pos + value.length > data.length) {
          const bigger = new Uint8Array(Math.max(data.length * 2, pos + value.length));
          bigger.set(data.subarray(0, pos));
          data = bigger;
        }
        data.set(value, pos);
        pos += value.length;
        onBytes(pos, total);
      }
      data = data.subarray(0, pos);
    } else {
      data = new Uint8Array(await r.arrayBuffer());
    }
    fetched.set(path, data);
    return data;
  };
}

const post = (m) => postMessage(m);
// Progress is batched: at most one message per PROGRESS_MS within a phase (a 1,000,000-unit
// draw would otherwise post thousands of messages the page only uses to move a bar).
const PROGRESS_MS = 50;
let lastProgress = { phase: null, at: 0 };
const progress = (phase, fraction) => {
  const now = performance.now();
  if (phase === lastProgress.phase && fraction < 1 && now - lastProgress.at < PROGRESS_MS) return;
  lastProgress = { phase, at: now };
  post({ kind: 'progress', phase, fraction });
};

// Snapshot files at least this large are hashed by a helper worker (this same script, run
// nested) while this worker parses them; below it, starting a worker costs more than it saves.
const HELPER_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Root of a snapshot's lines (snapshotLinesRoot) computed in a nested worker; resolves to
 * null where nested workers are missing or fail, and the caller hashes locally instead.
 * The bytes are copied (structured clone): this worker parses the same bytes meanwhile.
 */
function rootInHelper(bytes) {
  if (typeof Worker !== 'function') return null;
  let helper;
  try {
    helper = new Worker(import.meta.url, { type: 'module' });
  } catch {
    return null;
  }
  return new Promise((resolve) => {
    const finish = (root) => {
      helper.terminate();
      resolve(root instanceof Uint8Array && root.length === 32 ? root : null);
    };
    helper.onmessage = (ev) => finish(ev.data && ev.data.kind === 'lines-root' ? ev.data.root : null);
    helper.onerror = () => finish(null);
    helper.postMessage({ kind: 'lines-root', bytes });
  });
}

/** The record with this id in records sorted by id (parseSnapshot checks that order), or undefined. */
function findRecord(records, id) {
  let lo = 0;
  let hi = records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = records[mid].id;
    if (m === id) return records[mid];
    if (m < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

async function verify(msg) {
  const t0 = performance.now();
  const timings = {};
  setCryptoBackend(msg.backend || 'auto');
  const fetched = new Map();
  const load = makeLoader(msg, fetched);
  const json = async (p) => JSON.parse(decodeUtf8(await load(p), p));
  const nav = await json(`data/draws/${msg.drawId}.json`);
  const trust = await json('trust.json');
  const checkpoint = await load('log/checkpoint');
  const commitmentCheckpoints = [];
  for (const p of nav.commitment_checkpoints || []) commitmentCheckpoints.push(await load(p));
  const snapshots = {};
  const paths = Object.entries(nav.snapshots || {}).filter(([, s]) => s && s.path);
  const sizes = paths.map(() => [0, 1]);
  for (const [i, [kind, s]] of paths.entries()) {
    snapshots[kind] = await load(s.path, {
      onBytes: (done, total) => {
        sizes[i] = [done, total];
        const sum = sizes.reduce((a, [d, t]) => [a[0] + d, a[1] + t], [0, 0]);
        progress('download', sum[0] / sum[1]);
      },
    });
  }
  timings.fetch_ms = performance.now() - t0;
  progress('verify', 0);
  // Parse each snapshot once, root included (ParsedSnapshot: leaves hashed from the raw
  // lines, by a helper worker on another core for large files while this one parses):
  // verifyDraw takes it, the tables reuse its records. A file that does not parse is
  // handed over as bytes so that verifyDraw's snapshot check reports why.
  const roots = {};
  for (const [kind, bytes] of Object.entries(snapshots)) roots[kind] = bytes.length >= HELPER_MIN_BYTES ? rootInHelper(bytes) : null;
  const parsed = {};
  for (const [kind, bytes] of Object.entries(snapshots)) {
    try {
      parsed[kind] = parseSnapshotLines(bytes);
      snapshots[kind] = new ParsedSnapshot(parsed[kind], (await roots[kind]) || snapshotLinesRoot(bytes));
    } catch { /* reported by the snapshot-roots check */ }
  }
  const fetchTile = (p) => load(`log/${p}`, { optional: true });
  const out = nav.result_index === null || nav.result_index === undefined
    ? { verdict: 'pending', checks: [], announce: null, result: null, computed: null, local: false }
    : await verifyDraw({
      trust, checkpoint, fetchTile,
      announceIndex: nav.announce_index, resultIndex: nav.result_index, resultIndices: nav.result_indices,
      commitmentCheckpoints, snapshots,
      onProgress: (f) => progress('recompute', f),
    });
  timings.verify_ms = performance.now() - t0 - timings.fetch_ms;
  out.backend = cryptoBackend();
  out.nav = nav;

  // Consistency with the checkpoint this browser saw last time, and the outcomes.
  let cp = null;
  let reader = null;
  try {
    ({ checkpoint: cp } = await openCheckpoint(checkpoint, trust.log.vkeys ?? [trust.log.vkey], trust.log.origin));
    reader = new TileReader(fetchTile, Number(cp.treeSize));
    out.current = { origin: cp.origin, treeSize: Number(cp.treeSize), rootHash: bytesToHex(cp.rootHash) };
  } catch (e) {
    out.current = null;
  }
  // msg.previous: {<origin>: {treeSize, rootHash hex}} kept by the page, or undefined offline.
  const previous = msg.previous === undefined || !out.current ? msg.previous : (msg.previous || {})[out.current.origin] || null;
  if (msg.previous === undefined) {
    out.consistency = null; // offline: nothing to compare with
  } else if (!reader) {
    out.consistency = { status: 'skipped', reason: 'the current checkpoint does not verify' };
  } else if (!previous) {
    out.consistency = { status: 'pass', reason: 'first visit: this checkpoint is remembered for next time', first: true };
  } else {
    try {
      await checkConsistency(reader, cp.rootHash, { treeSize: previous.treeSize, rootHash: hexToBytes(previous.rootHash) });
      out.consistency = { status: 'pass', reason: `consistent with the checkpoint of size ${previous.treeSize} seen before` };
    } catch (e) {
      out.consistency = { status: 'fail', reason: e.message };
    }
  }
  out.outcomes = [];
  out.cancel = null;
  if (reader && nav.cancel_index !== null && nav.cancel_index !== undefined) {
    try {
      const e = parseEntry(await reader.provenEntry(nav.cancel_index, cp.rootHash));
      if (e.type === 'draw.cancel' && e.draw_id === msg.drawId) out.cancel = { index: nav.cancel_index, reason: e.reason };
    } catch (e) {
      out.cancel = { index: nav.cancel_index, error: e.message };
    }
  }
  if (reader) {
    for (const i of nav.outcome_indices || []) {
      try {
        const e = parseEntry(await reader.provenEntry(i, cp.rootHash));
        if (e.type === 'inspection.outcome' && e.draw_id === msg.drawId) out.outcomes.push({ index: i, ...e });
      } catch (e) {
        out.outcomes.push({ index: i, error: e.message });
      }
    }
  }
  // Names for the tables: only the records of selected and reserve units and of team members.
  // Units are looked up by binary search in the sorted records (no 1,000,000-entry Map).
  const units = parsed.units || null;
  const people = new Map();
  for (const kind of ['inspectors', 'experts']) {
    for (const r of parsed[kind] || []) people.set(r.id, { name: r.name, brigade: r.brigade });
  }
  const wanted = new Set();
  const result = out.result;
  if (result && Array.isArray(result.selected)) {
    for (const s of result.selected) wanted.add(s.unit_id);
    for (const s of result.strata || []) for (const u of s.reserve || []) wanted.add(u);
  }
  out.units = {};
  for (const id of wanted) {
    const u = units && findRecord(units, id);
    if (u) out.units[id] = { name: u.name, brigade: u.brigade };
  }
  out.people = Object.fromEntries(people);
  timings.total_ms = performance.now() - t0;
  out.timings = timings;
  state = { announce: out.announce, result, units, seed: result && result.seed, fetched, drawId: msg.drawId };
  post({ kind: 'done', out });
}

function valueKey(v) {
  return canonicalize(v);
}

function stratumOf(announce, unit) {
  for (const s of announce.strata) {
    let ok = true;
    for (const [attr, allowed] of Object.entries(s.match)) {
      if (!Object.prototype.hasOwnProperty.call(unit, attr)) { ok = false; break; }
      const keys = new Set(allowed.map(valueKey));
      const v = unit[attr];
      const hit = Array.isArray(v) ? v.some((x) => keys.has(valueKey(x))) : keys.has(valueKey(v));
      if (!hit) { ok = false; break; }
    }
    if (ok) return s.name;
  }
  return null;
}

/** "Was my unit in the pool?" (DESIGN §5 steps 3, 4, 6): status, stratum, ticket, cut-off. */
function lookup(unitId) {
  if (!state || !state.announce || !state.result) return { status: 'unavailable' };
  if (!state.units) return { status: 'unpublished' };
  const unit = findRecord(state.units, unitId);
  if (!unit) return { status: 'not-found', unitId };
  const a = state.announce;
  const base = { unitId, name: unit.name, brigade: unit.brigade };
  if (unit.status !== 'active') return { ...base, status: 'inactive', unitStatus: unit.status };
  const excl = (a.exclusions || []).find((x) => x.unit_id === unitId);
  if (excl) return { ...base, status: 'excluded', reason: excl.reason };
  const stratum = stratumOf(a, unit);
  if (stratum === null) return { ...base, status: 'unmatched' };
  const t = ticket(hexToBytes(state.seed, 32), 'target', unitId);
  const inStratum = state.result.selected.filter((s) => s.stratum === stratum);
  const cutoff = inStratum.length ? inStratum[inStratum.length - 1].ticket : null;
  const sel = inStratum.find((s) => s.unit_id === unitId);
  const st = (state.result.strata || []).find((s) => s.name === stratum) || { reserve: [] };
  const reserveRank = st.reserve.indexOf(unitId);
  return {
    ...base, status: 'in-pool', stratum, ticket: t, cutoff, n: st.n, k: st.k,
    selected: Boolean(sel), rank: sel ? sel.rank : null, reserve: reserveRank >= 0 ? reserveRank + 1 : null,
  };
}

/**
 * The offline bundle (docs/spec/portal-data.md §Offline bundles, as fairdraw/bundle.py):
 * canonical JSON {"created_at", "draw_id", "files": {path: base64}, "format": "fairdraw-bundle/v1",
 * "source"} holding every file this verification read.
 */
function offlineBundle(source) {
  if (!state) throw new Error('nothing verified yet');
  const files = {};
  for (const [path, data] of state.fetched.entries()) files[path] = encodeBase64(data);
  return canonicalize({
    format: 'fairdraw-bundle/v1', draw_id: state.drawId, source: String(source || ''),
    created_at: Math.floor(Date.now() / 1000), files,
  });
}

onmessage = async (ev) => {
  const msg = ev.data;
  try {
    if (msg.kind === 'verify') await verify(msg);
    else if (msg.kind === 'lookup') post({ kind: 'lookup', answer: lookup(msg.unitId) });
    else if (msg.kind === 'bundle') post({ kind: 'bundle', text: offlineBundle(msg.source) });
    else if (msg.kind === 'lines-root') post({ kind: 'lines-root', root: snapshotLinesRoot(msg.bytes) }); // as a helper
  } catch (e) {
    post({ kind: 'error', message: String((e && e.message) || e) });
  }
};

/**
 * Web Worker running verifyDraw (docs/spec/portal-js.md) off the main thread,
 * so the page stays responsive while a large draw recomputes.
 *
 * Messages in:
 *   {kind: 'verify', drawId, base?: absolute URL of the portal root, files?: {path: Uint8Array},
 *    backend: 'auto'|'noble'|'webcrypto', memory?: {<memoryKey(origin, key id)>: record} (absent offline;
 *    record = {origin, key_id, trust_fingerprint, tree_size, root_hash, note (base64)}, js/trustroot.js)}
 *   {kind: 'lookup', unitId}
 *   {kind: 'bundle', source} -> {kind: 'bundle', text} (the offline bundle JSON of the files read)
 *   {kind: 'lines-root', bytes} -> {kind: 'lines-root', root} (when run nested as a hashing helper)
 * Messages out:
 *   {kind: 'progress', phase: 'download'|'verify'|'recompute', fraction}
 *   {kind: 'done', out: {...verifyDraw output without entries, status, chainOfDraws, cancel, outcomes,
 *     trustInfo, proofs, index, consistency, memory (record to remember or null), units, people, backend,
 *     brigadeNames ({code: brigade_name} from the records), witnessTimes (each witness's cosignature
 *     time on the commitment and the current checkpoint, deadline, margin; checkpoints lose their
 *     cosignatures)}}
 *   {kind: 'lookup', answer}
 *   {kind: 'error', message}
 * Files come either from the portal over HTTP (`base`) or from an offline bundle (`files`,
 * paths relative to the portal root, docs/spec/portal-data.md §Offline bundle).
 * Navigation files (data/draws.json, data/draws/<id>.json, data/log.json) are read only as
 * hints: where to find checkpoints and proof files, and what to compare with the log
 * ("index"); the draw itself comes from every entry of the log (verifyDraw).
 */
import {
  verifyDraw, checkConsistency, parseSnapshotLines, parseUtcSeconds, snapshotLinesRoot, ParsedSnapshot,
  DEFAULT_MARGIN_SECONDS,
} from './js/verify-draw.js';
import { drawHistory, cancelFate as historyCancelFate } from './js/history.js';
import { cryptoBackend, setCryptoBackend } from './js/hashing.js';
import { keyFingerprint, parseChainInfo } from './js/drand.js';
import { TileReader } from './js/tiles.js';
import { hexToBytes, decodeBase64, decodeUtf8, encodeBase64 } from './js/bytes.js';
import { compareMemory, memoryKey, trustFingerprint } from './js/trustroot.js';
import { keyIdHex, parseVerifierKey } from './js/note.js';
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
    // Files a portal rewrites (checkpoint, trust.json, navigation) are revalidated on every
    // visit; tiles and bundles are write-once and may come from the HTTP cache.
    const mutable = !path.startsWith('log/tile/') && !path.startsWith('log/checkpoints/') && !path.startsWith('data/snapshots/');
    const r = await fetch(new URL(path, msg.base), mutable ? { cache: 'no-cache' } : {});
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

// Where messages out go: the page, through postMessage in a worker, or a callback when the
// page runs this module on its main thread (file:// pages and browsers that refuse workers).
let post = (m) => postMessage(m);
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

const CHECKPOINT_PATH = /^log\/checkpoints\/[A-Za-z0-9._-]{1,80}$/;
const SNAPSHOT_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const PROOF_PATH = /^data\/proofs\/[A-Za-z0-9._-]{1,80}\.tlog-proof$/;

/** Status of a draw from its proven history (docs/spec/portal-data.md status rules). */
function statusOf(h) {
  if (h.supersededBy.length) return 'superseded';
  if (h.cancels.length) return 'cancelled';
  if (h.results.length) return 'drawn';
  return 'announced';
}

/**
 * The supersede chain through `drawId`, oldest first, from proven entries only: each link
 * {drawId, announceIndex, title, status, roundTime, cancel: {index, reason}, fateMinutes}.
 */
function supersedeChain(entries, drawId, checkpoints) {
  const link = (id) => {
    const h = drawHistory(entries, id);
    const ai = h.announces.length === 1 ? h.announces[0] : null;
    const a = ai === null ? null : entries[ai];
    let rt = null;
    try {
      rt = parseUtcSeconds(a && a.beacon && a.beacon.round_time);
    } catch { /* shown without a fate */ }
    const c = h.cancels.length === 1 ? h.cancels[0] : null;
    return {
      drawId: id, announceIndex: ai, title: a ? a.title : null, status: statusOf(h), roundTime: a && a.beacon ? a.beacon.round_time : null,
      cancel: c === null ? null : { index: c, reason: entries[c].reason },
      fateMinutes: rt === null || c === null ? null : historyCancelFate(h, checkpoints, rt),
      supersedes: h.supersedes, supersededBy: h.supersededBy.length === 1 ? entries[h.supersededBy[0]].draw_id : null,
    };
  };
  const chain = [link(drawId)];
  const seen = new Set([drawId]);
  while (chain[0].supersedes && !seen.has(chain[0].supersedes) && chain.length < 64) {
    seen.add(chain[0].supersedes);
    chain.unshift(link(chain[0].supersedes));
  }
  while (chain[chain.length - 1].supersededBy && !seen.has(chain[chain.length - 1].supersededBy) && chain.length < 64) {
    seen.add(chain[chain.length - 1].supersededBy);
    chain.push(link(chain[chain.length - 1].supersededBy));
  }
  return chain.length > 1 ? chain : [];
}

/** The key id (8 hex) of the log key the browser remembers the log under. */
function logKeyId(trust) {
  return keyIdHex(parseVerifierKey((trust.log.vkeys ?? [trust.log.vkey])[0]).keyId);
}

/** What every draw page shows of trust.json: its fingerprint and every key in it. */
function describeTrust(trust, chain) {
  let fp = { short: '-', full: '-' };
  try {
    fp = trustFingerprint(trust);
  } catch (e) {
    fp = { short: '-', full: `no fingerprint: ${e.message}` };
  }
  const wp = trust.witness_policy || {};
  const beacons = Object.entries(trust.beacons || {}).map(([hash, info]) => {
    let fingerprint = null;
    try {
      fingerprint = keyFingerprint(parseChainInfo(info));
    } catch (e) {
      fingerprint = `(${e.message})`;
    }
    return { chainHash: hash, scheme: info && info.scheme, local: Boolean(info && info.local), keyFingerprint: fingerprint, used: Boolean(chain && chain.chainHash === hash) };
  });
  return {
    fingerprint: fp.full, short: fp.short, origin: trust.log && trust.log.origin,
    logKeys: (trust.log && (trust.log.vkeys ?? [trust.log.vkey])) || [],
    witnesses: (wp.witnesses || []).map((w) => ({ name: w.name, vkey: w.vkey })),
    groups: (wp.groups || []).map((g) => ({ name: g.name, k: g.k, members: g.members })),
    quorum: wp.quorum, beacons, margin: trust.margin_seconds ?? null, maxAge: trust.max_age_seconds ?? null,
  };
}

/**
 * The navigation files (data/draws.json row, data/draws/<id>.json) against what the log
 * proves: any difference is reported ("index"), never believed.
 */
function compareIndex(drawId, out, row, nav) {
  if (!out.announce) return null;
  const a = out.announce;
  const proven = {
    title: a.title, kind: a.kind, authority: a.authority, round: a.beacon && a.beacon.round,
    round_time: a.beacon && a.beacon.round_time, local: Boolean(a.beacon && a.beacon.local), status: out.status,
    announce_index: out.announceIndex, result_index: out.history.results.length === 1 ? out.history.results[0] : null,
    cancel_index: out.history.cancels.length === 1 ? out.history.cancels[0] : null,
    supersedes: out.history.supersedes,
  };
  const diffs = [];
  const compare = (where, hint, fields) => {
    if (!hint) return;
    for (const f of fields) {
      if (!(f in hint)) continue;
      const said = hint[f] === undefined ? null : hint[f];
      if (JSON.stringify(said) !== JSON.stringify(proven[f] ?? null)) diffs.push(`${where} says ${f} ${JSON.stringify(said)}, the log ${JSON.stringify(proven[f] ?? null)}`);
    }
  };
  compare('data/draws.json', row, ['title', 'kind', 'status', 'round', 'round_time', 'local', 'announce_index', 'result_index', 'cancel_index', 'supersedes']);
  compare(`data/draws/${drawId}.json`, nav, ['announce_index', 'result_index', 'cancel_index']);
  if (!row) diffs.push('data/draws.json does not list this draw');
  return diffs.length
    ? { status: 'fail', reason: `the portal's index differs from the log: ${diffs.join('; ')}` }
    : { status: 'pass', reason: 'the portal\'s index agrees with the proven entries' };
}

async function verify(msg) {
  const t0 = performance.now();
  const timings = {};
  setCryptoBackend(msg.backend || 'auto');
  const fetched = new Map();
  const load = makeLoader(msg, fetched);
  const json = async (p, optional = false) => {
    const data = await load(p, { optional });
    return data === null ? null : JSON.parse(decodeUtf8(data, p));
  };
  // Navigation hints only (docs/spec/verification.md): where to look, never what is true.
  let nav = null;
  try {
    nav = await json(`data/draws/${msg.drawId}.json`, true);
  } catch { /* a broken hint file hides nothing: the log is read in full */ }
  nav = nav && typeof nav === 'object' ? nav : {};
  let indexRow = null;
  try {
    const index = await json('data/draws.json', true);
    indexRow = ((index && index.draws) || []).find((d) => d && d.draw_id === msg.drawId) || null;
  } catch { /* hint only */ }
  let logNav = null;
  try {
    logNav = await json('data/log.json', true);
  } catch { /* hint only */ }
  const trustBytes = await load('trust.json');
  const trust = JSON.parse(decodeUtf8(trustBytes, 'trust.json'));
  const checkpoint = await load('log/checkpoint');
  const hintPaths = [...new Set([...((logNav && logNav.checkpoints) || []), ...(nav.commitment_checkpoints || [])])]
    .filter((p) => typeof p === 'string' && CHECKPOINT_PATH.test(p));
  const checkpoints = [];
  // The largest checkpoint this browser saw before is a hint too: a checkpoint the portal
  // stopped listing (a dropped commitment) still counts for the timing rules.
  for (const r of Object.values(msg.memory || {})) {
    try {
      if (r && typeof r.note === 'string') checkpoints.push(decodeBase64(r.note));
    } catch { /* not a note: ignored */ }
  }
  for (const p of hintPaths) {
    const note = await load(p, { optional: true });
    if (note) checkpoints.push(note);
  }
  const fetchTile = (p) => load(`log/${p}`, { optional: true });
  timings.fetch_ms = performance.now() - t0;
  progress('verify', 0);
  const parsed = {};
  // Snapshot files are read at the portal layout's path for the names the PROVEN announce
  // gives (never the paths of the navigation file); each parsed once (ParsedSnapshot: leaves
  // hashed from the raw lines, by a helper worker on another core for large files).
  const loadSnapshots = async (announce) => {
    const t1 = performance.now();
    const refs = ['units', 'inspectors', 'experts'].filter((k) => announce[k] && SNAPSHOT_NAME.test(announce[k].snapshot));
    const sizes = refs.map(() => [0, 1]);
    const raw = {};
    for (const [i, kind] of refs.entries()) {
      const bytes = await load(`data/snapshots/${announce[kind].snapshot}.jsonl`, {
        optional: true,
        onBytes: (done, total) => {
          sizes[i] = [done, total];
          const sum = sizes.reduce((a, [d, t]) => [a[0] + d, a[1] + t], [0, 0]);
          progress('download', sum[0] / sum[1]);
        },
      });
      if (bytes) raw[kind] = bytes;
    }
    timings.fetch_ms += performance.now() - t1;
    const roots = {};
    for (const [kind, bytes] of Object.entries(raw)) roots[kind] = bytes.length >= HELPER_MIN_BYTES ? rootInHelper(bytes) : null;
    const snapshots = {};
    for (const [kind, bytes] of Object.entries(raw)) {
      try {
        parsed[kind] = parseSnapshotLines(bytes);
        snapshots[kind] = new ParsedSnapshot(parsed[kind], (await roots[kind]) || snapshotLinesRoot(bytes));
      } catch {
        snapshots[kind] = bytes; // verifyDraw's snapshot check reports why it does not parse
      }
    }
    return snapshots;
  };
  const out = await verifyDraw({
    drawId: msg.drawId, trust, checkpoint, fetchTile, checkpoints, loadSnapshots,
    now: Date.now() / 1000, offline: Boolean(msg.files), onProgress: (f) => progress('recompute', f),
  });
  timings.verify_ms = performance.now() - t0 - timings.fetch_ms;
  const entries = out.entries || [];
  out.entries = undefined; // the whole log stays in the worker
  out.backend = cryptoBackend();
  out.trustInfo = describeTrust(trust, out.chain);
  out.proofs = Object.fromEntries(Object.entries((nav && nav.proofs) || {})
    .filter(([k, p]) => ['announce', 'result', 'cancel'].includes(k) && typeof p === 'string' && PROOF_PATH.test(p)));
  out.history = out.history && {
    announces: out.history.announces, results: out.history.results, cancels: out.history.cancels,
    supersededBy: out.history.supersededBy, supersedes: out.history.supersedes,
  };
  out.status = out.history && out.history.announces.length ? statusOf(out.history) : null;
  out.chainOfDraws = out.announce ? supersedeChain(entries, msg.drawId, out.checkpoints) : [];
  // Outcomes: proven inspection.outcome entries naming this draw, logged after its announce.
  out.outcomes = [];
  if (out.announceIndex !== null) {
    entries.forEach((e, i) => {
      if (e && e.type === 'inspection.outcome' && e.draw_id === msg.drawId && i > out.announceIndex) {
        // A correction names the outcome it supersedes; both stay (draw-history checked it).
        out.outcomes.push({ index: i, ...e, supersededBy: (out.outcomesSupersededBy || {})[i] ?? null });
      }
    });
  }
  if (out.cancel) out.cancel = { index: out.cancel.index, reason: out.cancel.entry.reason };

  // Navigation hints against the proven facts: a lying index turns the page red ("index").
  out.index = compareIndex(msg.drawId, out, indexRow, nav);

  // This browser's memory of the log (docs/spec/verification.md "Trust root"): per
  // (origin, log key id) the trust.json fingerprint and the largest checkpoint seen.
  // msg.memory: {<memoryKey>: record} kept by the page, or undefined offline.
  out.memory = null;
  out.consistency = null; // offline: nothing to compare with
  if (msg.memory !== undefined && out.current) {
    const current = {
      origin: out.current.origin, key_id: logKeyId(trust), trust_fingerprint: out.trustInfo.fingerprint,
      tree_size: out.current.treeSize, root_hash: out.current.rootHash,
    };
    const key = memoryKey(current.origin, current.key_id);
    out.memoryKey = key;
    const previous = (msg.memory || {})[key] || null;
    const cmp = compareMemory(previous, current);
    let status = ['trust-changed', 'rollback', 'fork'].includes(cmp.status) ? 'fail' : 'pass';
    let reason = cmp.reason;
    if (cmp.status === 'extends') {
      try {
        const reader = new TileReader(fetchTile, out.current.treeSize);
        await checkConsistency(reader, hexToBytes(current.root_hash), { treeSize: previous.tree_size, rootHash: hexToBytes(previous.root_hash) });
        reason = `consistent with the checkpoint of size ${previous.tree_size} seen before (${cmp.reason})`;
      } catch (e) {
        status = 'fail';
        reason = `fork: no consistency proof from the checkpoint of size ${previous.tree_size} seen before: ${e.message}`;
      }
    }
    out.consistency = { status, reason, first: cmp.status === 'new', memory: cmp.status };
    // Only a verified checkpoint that extends (or repeats) what was seen is remembered.
    const verified = ['checkpoint-signature', 'witness-cosignatures'].every((n) => out.checks.find((c) => c.name === n).status === 'pass');
    if (status === 'pass' && verified) out.memory = { key, record: { ...current, note: encodeBase64(checkpoint) } };
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
  // The rules section names the excluded units and the units of each recusal.
  if (out.announce) {
    for (const x of out.announce.exclusions || []) wanted.add(x.unit_id);
    for (const pair of out.announce.recusals || []) wanted.add(pair[1]);
  }
  out.units = {};
  for (const id of wanted) {
    const u = units && findRecord(units, id);
    if (u) out.units[id] = { name: u.name, brigade: u.brigade };
  }
  out.people = Object.fromEntries(people);
  out.brigadeNames = brigadeNames(parsed);
  out.witnessTimes = witnessTimes(out, trust);
  out.checkpoints = out.checkpoints.map((c) => ({ ...c, cosignatures: undefined })); // shown via witnessTimes
  timings.total_ms = performance.now() - t0;
  out.timings = timings;
  state = { announce: out.announce, result, units, seed: result && result.seed, fetched, drawId: msg.drawId };
  post({ kind: 'done', out });
}

/**
 * Brigade code -> Chinese name from the snapshot records that carry one (`brigade_name`,
 * DESIGN §4 "extra attributes are allowed"): the first name met per code.
 */
function brigadeNames(parsed) {
  const names = {};
  for (const kind of ['units', 'inspectors']) {
    for (const r of parsed[kind] || []) {
      if (typeof r.brigade === 'string' && typeof r.brigade_name === 'string' && !(r.brigade in names)) names[r.brigade] = r.brigade_name;
    }
  }
  return names;
}

/**
 * When each witness co-signed (docs/spec/portal.md "Witnesses"): for every witness of the
 * policy, its verified cosignature time on the commitment checkpoint (the first verified
 * checkpoint covering the announce whose quorum was met by round time − margin, as
 * commitment-timing picks it; else the covering one whose quorum came first) and on the
 * current checkpoint. POSIX seconds as numbers; null where a witness did not co-sign.
 */
function witnessTimes(out, trust) {
  if (!out.announce) return null;
  const margin = trust.margin_seconds ?? DEFAULT_MARGIN_SECONDS;
  let roundTime = null;
  try {
    roundTime = parseUtcSeconds(out.announce.beacon && out.announce.beacon.round_time);
  } catch { /* beacon-identity says why */ }
  const deadline = roundTime === null ? null : roundTime - margin;
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const view = (c) => c && {
    treeSize: c.treeSize, quorumTime: num(c.quorumTime),
    times: Object.fromEntries((c.cosignatures || []).map((s) => [s.witness, Number(s.timestamp)])),
  };
  const covering = out.checkpoints.filter((c) => c.treeSize > out.announceIndex);
  const inTime = deadline === null ? undefined : covering.find((c) => c.quorumTime !== null && Number(c.quorumTime) <= deadline);
  const first = covering.filter((c) => c.quorumTime !== null).sort((a, b) => Number(a.quorumTime) - Number(b.quorumTime))[0];
  const commitment = view(inTime || first || null);
  const current = view(out.checkpoints.find((c) => c.current) || null);
  const names = ((trust.witness_policy && trust.witness_policy.witnesses) || []).map((w) => w.name);
  return {
    margin, roundTime, deadline, met: Boolean(inTime), commitment, current, quorum: (trust.witness_policy || {}).quorum ?? null,
    witnesses: names.map((name) => ({
      name,
      commitment: commitment && name in commitment.times ? commitment.times[name] : null,
      current: current && name in current.times ? current.times[name] : null,
    })),
  };
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

async function handle(msg) {
  try {
    if (msg.kind === 'verify') await verify(msg);
    else if (msg.kind === 'lookup') post({ kind: 'lookup', answer: lookup(msg.unitId) });
    else if (msg.kind === 'bundle') post({ kind: 'bundle', text: offlineBundle(msg.source) });
    else if (msg.kind === 'lines-root') post({ kind: 'lines-root', root: snapshotLinesRoot(msg.bytes) }); // as a helper
  } catch (e) {
    post({ kind: 'error', message: String((e && e.message) || e) });
  }
}

/**
 * Run this verifier on the calling thread: messages out go to `send`; returns the function
 * taking messages in (the main-thread fallback of draw-view.js). One verification per page.
 */
export function connectMainThread(send) {
  post = send;
  return handle;
}

if (typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope) {
  onmessage = (ev) => handle(ev.data);
}

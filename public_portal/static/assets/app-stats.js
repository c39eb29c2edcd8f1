/**
 * The statistics page (stats.html; docs/spec/stats.md, issue 19). Trusts what the draw pages
 * trust (docs/spec/verification.md): the checkpoint opens with trust.json's log key and meets
 * the witness quorum, every entry bundle is proven to its root, the draw ids come from those
 * proven entries, and every draw runs the whole draw checklist (js/verify-draw.js verifyDraw:
 * history rules, snapshot roots, beacon, commitment, recompute). Only then are the figures
 * computed (js/stats.js, the twin of draw_engine/stats.py) from the proven entries and the
 * snapshot records whose roots matched, embedded as #stats-data (the shape of
 * `fairdraw stats --json`) and drawn (stats-plots.js). data/log.json, data/draws/<id>.json and
 * data/registry.json are hints: where checkpoints and diff ids documents are.
 * A draw that fails turns the page red naming the draw and its failed checks; no figure is shown.
 * Opened from disk (file://) the page cannot fetch, so `load` reads the same files from the
 * classic scripts the builder wrote (public_portal/disk.py): data/disk/stats.js, the manifest
 * {files: {path: sha256}}, and data/disk/f/<sha256>.js, each file's bytes. Everything after
 * `load` is the one verification and the one computation of the served page.
 */
import { TEXTS, applyLanguage, checkLabel, currentLang, onLanguageChange, setupLanguage, t } from './i18n.js';
import { requestedBackend } from './draw-view.js';
import { openCheckpoint } from './js/checkpoint.js';
import { collectCosignatures, parsePolicy, requireQuorum } from './js/policy.js';
import { TileReader } from './js/tiles.js';
import { parseEntry } from './js/entries.js';
import { drawHistories } from './js/history.js';
import { parseSnapshot, verifyDraw } from './js/verify-draw.js';
import { computeStats, unitHistory } from './js/stats.js';
import { decodeBase64, decodeUtf8 } from './js/bytes.js';
import { cryptoBackend, setCryptoBackend } from './js/hashing.js';
import { renderStats } from './stats-plots.js';

Object.assign(TEXTS, {
  'stats.title': ['公平性统计：许多次抽取放在一起看', 'Fairness over many draws'],
  'stats.lead': ['本页在您的浏览器中验证每一次抽取（与抽取页相同的检查），再用已证明的日志条目计算：各层、各大队、各单位被抽中的次数与预期，执法人员的任务与搭配，名录库随时间的变化。',
    'This page verifies every draw in your browser (the checks of the draw pages), then computes from the proven log entries: units drawn per stratum, brigade and unit against what the ratios predict, officers\' duties and pairings, and the registry over time.'],
  'disk.stats-missing': ['从磁盘打开的统计页需要离线数据文件 data/disk/stats.js，但它无法读取；请用网页服务器打开门户目录。',
    'The statistics page opened from disk needs the offline data file data/disk/stats.js, which could not be read; serve the portal directory instead.'],
  'stats.check.log-entries': ['日志条目', 'Log entries'],
  'stats.check.stats': ['统计', 'Statistics'],
  'stats.verified': ['全部抽取已验证，统计由已证明的条目计算', 'Every draw verified; the figures come from proven entries'],
  'stats.pending': ['部分抽取尚无法完全验证（见下），统计只用已验证的部分', 'Some draws cannot be fully verified yet (below); the figures use what verified'],
});
setupLanguage();
setCryptoBackend(requestedBackend());
const $ = (id) => document.getElementById(id);
const base = new URL('./', location.href);
const CHECKPOINT_PATH = /^log\/checkpoints\/[A-Za-z0-9._-]{1,80}$/;
const fetched = new Map();

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${url} could not be read`));
    document.head.append(s);
  });
}

/** From disk: the manifest data/disk/stats.js and every file it names, path -> base64. */
let diskFiles = null;
async function openDisk() {
  const url = new URL('data/disk/stats.js', base).href;
  try {
    await loadScript(url);
  } catch (e) {
    throw new Error(`${t('disk.stats-missing')} ${e.message}`);
  }
  const manifest = globalThis.FairdrawDiskStats;
  if (manifest && manifest.format === 'fairdraw-disk/v1' && manifest.files === null && typeof manifest.refused === 'string') {
    throw new Error(`${url}: ${manifest.refused}`);
  }
  if (!manifest || manifest.format !== 'fairdraw-disk/v1' || !manifest.files || typeof manifest.files !== 'object') {
    throw new Error(`${url} registers no statistics manifest`);
  }
  const digests = [...new Set(Object.values(manifest.files))];
  for (const d of digests) {
    if (typeof d !== 'string' || !/^[0-9a-f]{64}$/.test(d)) throw new Error(`${url}: ${JSON.stringify(d)} is not a SHA-256 name`);
  }
  await Promise.all(digests.map((d) => loadScript(new URL(`data/disk/f/${d}.js`, base).href)));
  const stored = globalThis.FairdrawDiskFiles || {};
  diskFiles = new Map();
  for (const [path, d] of Object.entries(manifest.files)) {
    if (typeof stored[d] !== 'string') throw new Error(`data/disk/f/${d}.js (${path}) registers no file`);
    diskFiles.set(path, stored[d]);
  }
}

async function read(path, optional) {
  if (diskFiles === null) {
    const r = await fetch(new URL(path, base));
    if (r.status === 404 && optional) return null;
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }
  if (!diskFiles.has(path)) {
    if (optional) return null;
    throw new Error(`${path} is not among the disk files (data/disk/stats.js)`);
  }
  return decodeBase64(diskFiles.get(path), path);
}

async function load(path, optional = false) {
  if (fetched.has(path)) return fetched.get(path);
  const bytes = await read(path, optional);
  if (bytes === null) return null;
  if (path.startsWith('log/tile/') || path.startsWith('data/snapshots/')) fetched.set(path, bytes);
  return bytes;
}

async function hint(path) {
  try {
    const bytes = await load(path, true);
    return bytes === null ? null : JSON.parse(decodeUtf8(bytes, path));
  } catch {
    return null; // a hint only
  }
}

const shownChecks = [];
function showCheck([li, label, reason]) {
  const status = li.dataset.status;
  li.textContent = `${status === 'pass' ? '✓' : status === 'fail' ? '✗' : '–'} ${label()} — ${reason}`;
}

/** `label`: a function giving the check's name in the current language (it follows the switch). */
function addCheck(name, status, reason, label = () => checkLabel(name)) {
  const li = document.createElement('li');
  li.dataset.check = name;
  li.dataset.status = status;
  li.className = `check ${status}`;
  shownChecks.push([li, label, reason]);
  showCheck(shownChecks.at(-1));
  $('checks').append(li);
  return status;
}
const entriesLabel = () => t('stats.check.log-entries');
const statsLabel = () => t('stats.check.stats');
onLanguageChange(() => shownChecks.forEach(showCheck));

function finish(verdict, detail) {
  document.documentElement.dataset.verdict = verdict;
  $('verdict').className = `verdict ${verdict}`;
  $('verdict-title').dataset.i18n = verdict === 'pass' ? 'stats.verified' : verdict === 'fail' ? 'verdict.fail' : 'stats.pending';
  $('verdict-detail').textContent = detail;
  applyLanguage(document, false);
}

async function main() {
  if (location.protocol === 'file:') {
    try {
      await openDisk();
    } catch (e) {
      addCheck('load', 'fail', e.message);
      return finish('fail', e.message);
    }
  }
  const trust = JSON.parse(decodeUtf8(await load('trust.json'), 'trust.json'));
  const note = await load('log/checkpoint');
  const { checkpoint: cp } = await openCheckpoint(note, trust.log.vkeys ?? [trust.log.vkey], trust.log.origin);
  addCheck('checkpoint-signature', 'pass', `tree size ${cp.treeSize}`);
  const policy = parsePolicy(trust.witness_policy);
  const cosigs = await collectCosignatures(note, policy);
  requireQuorum(policy, cosigs.map((c) => c.witness), 'latest checkpoint');
  addCheck('witness-cosignatures', 'pass', cosigs.map((c) => c.witness).join(', '));
  const fetchTile = (p) => load(`log/${p}`, true);
  const reader = new TileReader(fetchTile, Number(cp.treeSize));
  let entries;
  try {
    const raw = await reader.allEntries(cp.rootHash);
    entries = raw.map((bytes, i) => {
      try {
        return parseEntry(bytes);
      } catch (e) {
        throw new Error(`entry ${i}: ${e.message}`);
      }
    });
  } catch (e) {
    addCheck('log-entries', 'fail', e.message, entriesLabel);
    return finish('fail', `log-entries: ${e.message}`);
  }
  addCheck('log-entries', 'pass', `${entries.length} entries proven to the checkpoint root`, entriesLabel);

  const drawIds = [...drawHistories(entries).keys()];
  const logNav = await hint('data/log.json');
  const paths = new Set((logNav && logNav.checkpoints) || []);
  for (const id of drawIds) {
    const nav = await hint(`data/draws/${id}.json`);
    for (const p of (nav && nav.commitment_checkpoints) || []) paths.add(p);
  }
  const checkpoints = [];
  for (const p of paths) {
    if (typeof p !== 'string' || !CHECKPOINT_PATH.test(p)) continue;
    const c = await load(p, true);
    if (c) checkpoints.push(c);
  }
  const parsed = new Map();
  const snapshotOf = async (name) => {
    if (!parsed.has(name)) {
      const bytes = await load(`data/snapshots/${name}.jsonl`, true);
      parsed.set(name, bytes === null ? null : parseSnapshot(bytes));
    }
    return parsed.get(name);
  };
  const records = {};
  const failed = [];
  let pending = 0;
  for (const [n, drawId] of drawIds.entries()) {
    $('verdict-detail').textContent = `${n + 1} / ${drawIds.length}: ${drawId}`;
    const given = {};
    const out = await verifyDraw({
      drawId, trust, checkpoint: note, fetchTile, checkpoints, now: Date.now() / 1000,
      loadSnapshots: async (announce) => {
        for (const kind of ['units', 'inspectors', 'experts']) {
          if (announce[kind]) given[kind] = [announce[kind].snapshot, await snapshotOf(announce[kind].snapshot)];
        }
        return Object.fromEntries(Object.entries(given).map(([k, [, s]]) => [k, s]));
      },
    });
    const bad = out.checks.filter((c) => c.status === 'fail');
    const roots = out.checks.find((c) => c.name === 'snapshot-roots');
    if (roots && roots.status !== 'fail') {
      for (const [name, snap] of Object.values(given)) if (snap) records[name] = snap.records;
    }
    if (out.verdict === 'fail') {
      failed.push(`${drawId}: ${bad.map((c) => c.name).join(', ')}`);
      addCheck(`draw:${drawId}`, 'fail', bad.map((c) => `${c.name}: ${c.reason}`).join('; '), () => drawId);
    } else if (out.verdict === 'pending' && out.cancel !== null && out.result === null) {
      // Cancelled in time (draw-history passed): no result will follow, nothing is pending.
      addCheck(`draw:${drawId}`, 'pass', `cancelled (entry ${out.cancel.index}): every check that applies passes`, () => drawId);
    } else if (out.verdict === 'pending') {
      pending += 1;
      const skipped = out.checks.filter((c) => c.status === 'skipped').map((c) => `${c.name}: ${c.reason}`);
      addCheck(`draw:${drawId}`, 'skipped', skipped.join('; '), () => drawId);
    } else {
      addCheck(`draw:${drawId}`, 'pass', 'all twelve checks pass', () => drawId);
    }
  }
  if (failed.length) return finish('fail', failed.join(' · '));

  const documents = {};
  const listing = await hint('data/registry.json');
  for (const row of (listing && listing.snapshots) || []) {
    if (row && typeof row.diff_ids === 'string' && typeof row.name === 'string') {
      const bytes = await load(row.diff_ids, true);
      if (bytes) documents[row.name] = bytes;
    }
  }
  let stats;
  try {
    stats = await computeStats(entries, records, documents, Number(cp.treeSize));
  } catch (e) {
    addCheck('stats', 'fail', e.message, statsLabel);
    return finish('fail', `stats: ${e.message}`);
  }
  addCheck('stats', 'pass', `${stats.draws.length} drawn draws`, statsLabel);
  $('stats-data').textContent = JSON.stringify(stats);
  const lookup = (unitId) => unitHistory(entries, records, unitId);
  renderStats(stats, $('stats'), lookup, currentLang());
  onLanguageChange((lang) => {
    // Drawn again with the labels of the new language; a unit looked up is looked up again.
    const asked = $('unit-lookup-input') ? $('unit-lookup-input').value : '';
    renderStats(stats, $('stats'), lookup, lang);
    if (asked) {
      $('unit-lookup-input').value = asked;
      $('unit-lookup').requestSubmit();
    }
  });
  return finish(pending ? 'pending' : 'pass', `${drawIds.length} draws, ${entries.length} entries · ${cryptoBackend()}`);
}

main().catch((e) => {
  finish('fail', String((e && e.message) || e));
});

/**
 * The registry page: every registry.snapshot entry of the log with its diff, ids and names
 * (docs/spec/registry-diff.md). The checkpoint is opened with the log key and its witness
 * quorum checked (as on the log page); each snapshot entry listed by data/registry.json is
 * proven included under that checkpoint before it is shown; a big diff's ids document must
 * hash to the entry's ids_sha256; names come from a published records file only after its
 * root equals the entry's. data/registry.json itself is a hint: a row it lists that the log
 * does not hold fails the page.
 */
import { applyLanguage, checkLabel, checkReason, setupLanguage, t } from './i18n.js';
import { requestedBackend } from './draw-view.js';
import { openCheckpoint } from './js/checkpoint.js';
import { collectCosignatures, parsePolicy, requireQuorum } from './js/policy.js';
import { TileReader } from './js/tiles.js';
import { SNAPSHOT, checkIdsFile, entryType, parseEntry, snapshotDiffRef, snapshotRef } from './js/entries.js';
import { parseSnapshotLines, snapshotLinesRoot } from './js/verify-draw.js';
import { bytesToHex, decodeUtf8 } from './js/bytes.js';
import { cryptoBackend, setCryptoBackend } from './js/hashing.js';

setupLanguage();
setCryptoBackend(requestedBackend());
const $ = (id) => document.getElementById(id);
const base = new URL('./', location.href);
const LISTS = ['removed', 'retired', 'added', 'reactivated', 'changed'];

async function load(path, optional = false) {
  const r = await fetch(new URL(path, base));
  if (r.status === 404 && optional) return null;
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function addCheck(name, status, reason) {
  const li = document.createElement('li');
  li.dataset.check = name;
  li.dataset.status = status;
  li.className = `check ${status}`;
  li.textContent = `${status === 'pass' ? '✓' : status === 'fail' ? '✗' : '–'} ${checkLabel(name)} — ${checkReason(name, status)} (${reason})`;
  $('checks').append(li);
  return status;
}

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('data-')) e.dataset[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = v;
    else e.setAttribute(k, v);
  }
  if (text !== null) e.textContent = text;
  return e;
}

function i18n(tag, key, attrs = {}) {
  const e = el(tag, { ...attrs, 'data-i18n': key }, t(key));
  return e;
}

/** id -> name from a published records file, only when its root is the entry's. */
async function namesOf(row, entry) {
  if (!row || !row.records) return null;
  const bytes = await load(row.records, true);
  if (bytes === null) return null;
  if (bytesToHex(snapshotLinesRoot(bytes)) !== entry.root) throw new Error(`${row.records} does not have the root of snapshot ${row.name}`);
  const names = new Map();
  for (const r of parseSnapshotLines(bytes)) names.set(r.id, typeof r.name === 'string' ? r.name : '');
  return names;
}

function listTable(list, items, names, fallbackNames) {
  const wrap = el('div', { class: 'diff-list', 'data-list': list, 'data-count': String(items.length) });
  wrap.append(i18n('h3', `registry.list.${list}`));
  if (!items.length) {
    wrap.append(i18n('p', 'registry.none', { class: 'meta' }));
    return wrap;
  }
  const table = el('table', { class: 'diff' });
  const head = el('tr');
  head.append(i18n('th', 'registry.col.id'), i18n('th', 'registry.col.name'));
  if (list === 'changed') head.append(i18n('th', 'registry.col.fields'));
  const thead = el('thead');
  thead.append(head);
  table.append(thead);
  const body = el('tbody');
  for (const item of items) {
    const [id, fields] = list === 'changed' ? item : [item, null];
    const source = list === 'removed' ? fallbackNames : names;
    const name = source ? (source.get(id) ?? '') : null;
    const tr = el('tr', { 'data-id': id });
    tr.append(el('td', { class: 'mono' }, id));
    tr.append(name === null ? i18n('td', 'registry.names-missing', { class: 'meta' }) : el('td', { 'data-name': name }, name));
    if (fields) tr.append(el('td', { class: 'mono', 'data-fields': fields.join(',') }, fields.join(', ')));
    body.append(tr);
  }
  table.append(body);
  wrap.append(table);
  return wrap;
}

async function showSnapshot(row, entry, rows, entries) {
  const ref = snapshotRef(entry);
  const section = el('section', { class: 'snapshot', 'data-snapshot': ref.snapshot, 'data-kind': ref.kind, 'data-status': 'pass' });
  section.append(el('h2', {}, `${ref.snapshot} · ${t(`snapshot.${ref.kind}`)} · ${ref.count}`));
  const meta = el('p', { class: 'meta' });
  meta.append(i18n('span', 'registry.entry'), el('span', { class: 'mono' }, ` ${row.index} · `));
  meta.append(i18n('span', 'registry.prev'), el('span', { class: 'mono' }, ` ${entry.prev ?? '—'} · `));
  meta.append(i18n('span', 'registry.proven'));
  section.append(meta);
  const diff = snapshotDiffRef(entry);
  section.append(el('p', { class: 'mono', 'data-counts': `${diff.added},${diff.removed},${diff.changed}` },
    `+${diff.added} −${diff.removed} ~${diff.changed}`));
  let ids = diff.ids;
  if (ids === null && diff.idsSha256 !== null) {
    const bytes = row.diff_ids ? await load(row.diff_ids, true) : null;
    if (bytes === null) {
      section.append(i18n('p', 'registry.ids-missing', { class: 'meta', 'data-missing': 'ids' }));
      section.dataset.status = 'pending';
      return section;
    }
    ids = await checkIdsFile(diff, bytes);
  }
  if (ids === null) {
    section.append(i18n('p', entry.prev === null ? 'registry.first' : 'registry.counts-only', { class: 'meta' }));
    return section;
  }
  const names = await namesOf(row, entry);
  const prevRow = rows.find((r) => r.name === entry.prev);
  const prevNames = prevRow ? await namesOf(prevRow, entries.get(prevRow.name)) : null;
  for (const list of LISTS) section.append(listTable(list, ids[list], names, prevNames));
  return section;
}

async function main() {
  const trust = JSON.parse(decodeUtf8(await load('trust.json'), 'trust.json'));
  const keys = trust.log.vkeys ?? [trust.log.vkey];
  const note = await load('log/checkpoint');
  const statuses = [];
  const { checkpoint: cp } = await openCheckpoint(note, keys, trust.log.origin);
  statuses.push(addCheck('checkpoint-signature', 'pass', `tree size ${cp.treeSize}`));
  const policy = parsePolicy(trust.witness_policy);
  try {
    const cosigs = await collectCosignatures(note, policy);
    requireQuorum(policy, cosigs.map((c) => c.witness), 'latest checkpoint');
    statuses.push(addCheck('witness-cosignatures', 'pass', cosigs.map((c) => c.witness).join(', ')));
  } catch (e) {
    statuses.push(addCheck('witness-cosignatures', 'fail', e.message));
  }
  const reader = new TileReader((p) => load(`log/${p}`, true), Number(cp.treeSize));
  const listing = JSON.parse(decodeUtf8((await load('data/registry.json', true)) ?? new TextEncoder().encode('{"snapshots":[]}'), 'registry.json'));
  const rows = listing.snapshots.filter((r) => Number(r.index) < Number(cp.treeSize));
  if (!rows.length) $('snapshots').append(i18n('p', 'registry.empty', { class: 'meta' }));
  const entries = new Map();
  for (const row of rows) {
    const entry = parseEntry(await reader.provenEntry(row.index, cp.rootHash));
    if (entryType(entry) !== SNAPSHOT || entry.snapshot !== row.name) throw new Error(`data/registry.json says entry ${row.index} is snapshot ${row.name}; the log holds ${entry.type} ${entry.snapshot ?? ''}`);
    entries.set(row.name, entry);
  }
  for (const row of [...rows].reverse()) {
    let section;
    try {
      section = await showSnapshot(row, entries.get(row.name), rows, entries);
    } catch (e) {
      section = el('section', { class: 'snapshot', 'data-snapshot': row.name, 'data-status': 'fail' });
      section.append(el('h2', {}, row.name), el('p', { class: 'error', 'data-error': '' }, e.message));
    }
    if (section.dataset.status === 'fail') statuses.push('fail');
    $('snapshots').append(section);
  }
  const verdict = statuses.includes('fail') ? 'fail' : 'pass';
  document.documentElement.dataset.verdict = verdict;
  $('verdict').className = `verdict ${verdict}`;
  $('verdict-title').dataset.i18n = verdict === 'pass' ? 'registry.proven' : 'verdict.fail';
  $('verdict-detail').textContent = cryptoBackend();
  applyLanguage(document, false);
}

main().catch((e) => {
  document.documentElement.dataset.verdict = 'fail';
  $('verdict').className = 'verdict fail';
  $('verdict-title').dataset.i18n = 'verdict.fail';
  $('verdict-detail').textContent = String(e.message || e);
  applyLanguage(document, false);
});

/**
 * The log page: the latest checkpoint (signature, size, root), the witnesses
 * with the time of their last co-signature over every published checkpoint,
 * and consistency with the checkpoint this browser saw last time.
 * Runs on the main thread: a few signatures and one consistency proof.
 */
import { applyLanguage, checkLabel, checkReason, setupLanguage, t } from './i18n.js';
import { requestedBackend, loadMemory, rememberRecord } from './draw-view.js';
import { memoryKey, trustFingerprint } from './js/trustroot.js';
import { keyIdHex, parseVerifierKey } from './js/note.js';
import { openCheckpoint } from './js/checkpoint.js';
import { collectCosignatures, parsePolicy, requireQuorum } from './js/policy.js';
import { TileReader } from './js/tiles.js';
import { checkConsistency } from './js/verify-draw.js';
import { bytesToHex, hexToBytes, decodeUtf8, encodeBase64 } from './js/bytes.js';
import { cryptoBackend, setCryptoBackend } from './js/hashing.js';

setupLanguage();
setCryptoBackend(requestedBackend());
const $ = (id) => document.getElementById(id);
const base = new URL('./', location.href);

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

async function main() {
  const trust = JSON.parse(decodeUtf8(await load('trust.json'), 'trust.json'));
  const keys = trust.log.vkeys ?? [trust.log.vkey];
  $('log-key').textContent = keys.join(' ');
  const note = await load('log/checkpoint');
  const statuses = [];
  let cp = null;
  try {
    ({ checkpoint: cp } = await openCheckpoint(note, keys, trust.log.origin));
    $('log-origin').textContent = cp.origin;
    $('log-tree-size').textContent = String(cp.treeSize);
    $('log-root').textContent = bytesToHex(cp.rootHash);
    statuses.push(addCheck('checkpoint-signature', 'pass', `tree size ${cp.treeSize}`));
  } catch (e) {
    statuses.push(addCheck('checkpoint-signature', 'fail', e.message));
  }
  const policy = parsePolicy(trust.witness_policy);
  $('policy').textContent = `${policy.quorum}`;
  const last = new Map();
  let current = [];
  if (cp) {
    try {
      current = await collectCosignatures(note, policy);
      requireQuorum(policy, current.map((c) => c.witness), 'latest checkpoint');
      statuses.push(addCheck('witness-cosignatures', 'pass', current.map((c) => c.witness).join(', ')));
    } catch (e) {
      statuses.push(addCheck('witness-cosignatures', 'fail', e.message));
    }
    const reader = new TileReader((p) => load(`log/${p}`, true), Number(cp.treeSize));
    // The same memory as the draw pages: per (origin, log key id), docs/spec/portal.md.
    const keyId = keyIdHex(parseVerifierKey(keys[0]).keyId);
    const key = memoryKey(cp.origin, keyId);
    const previous = loadMemory()[key];
    const fingerprint = trustFingerprint(trust).full;
    try {
      if (previous && previous.trust_fingerprint && previous.trust_fingerprint !== fingerprint) throw new Error(`trust.json changed: fingerprint ${previous.trust_fingerprint} then, ${fingerprint} now`);
      if (previous) await checkConsistency(reader, cp.rootHash, { treeSize: previous.tree_size, rootHash: hexToBytes(previous.root_hash) });
      statuses.push(addCheck('log-consistency', 'pass', previous ? `size ${previous.tree_size} → ${cp.treeSize}` : 'first visit'));
      rememberRecord(key, { origin: cp.origin, key_id: keyId, trust_fingerprint: fingerprint, tree_size: Number(cp.treeSize), root_hash: bytesToHex(cp.rootHash), note: encodeBase64(note) });
    } catch (e) {
      statuses.push(addCheck('log-consistency', 'fail', e.message));
    }
  }
  const index = JSON.parse(decodeUtf8((await load('data/log.json', true)) ?? new TextEncoder().encode('{"checkpoints":[]}'), 'log.json'));
  for (const path of index.checkpoints) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = path;
    a.textContent = path;
    li.append(a);
    $('checkpoints').append(li);
    try {
      for (const c of await collectCosignatures(await load(path), policy)) {
        if (!last.has(c.witness) || last.get(c.witness) < c.timestamp) last.set(c.witness, c.timestamp);
      }
    } catch { /* an older note that does not verify is shown without times */ }
  }
  for (const c of current) if (!last.has(c.witness) || last.get(c.witness) < c.timestamp) last.set(c.witness, c.timestamp);
  for (const w of trust.witness_policy.witnesses) {
    const tr = document.createElement('tr');
    tr.dataset.witness = w.name;
    const ts = last.get(w.name);
    for (const text of [w.name, w.vkey, ts ? new Date(Number(ts) * 1000).toISOString().replace('.000Z', 'Z') : t('log.notcosigned')]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    if (ts) tr.dataset.timestamp = String(ts);
    $('witnesses').append(tr);
  }
  const verdict = statuses.includes('fail') ? 'fail' : 'pass';
  document.documentElement.dataset.verdict = verdict;
  $('verdict').className = `verdict ${verdict}`;
  $('verdict-title').dataset.i18n = `verdict.${verdict}`;
  $('verdict-detail').textContent = cryptoBackend();
  applyLanguage(document, false);
}

main().catch((e) => {
  document.documentElement.dataset.verdict = 'fail';
  $('verdict').className = 'verdict fail';
  $('verdict-detail').textContent = String(e.message || e);
});

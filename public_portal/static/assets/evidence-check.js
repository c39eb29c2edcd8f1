/**
 * Evidence of the inspection outcomes (一公开; issue 18 point 5): each outcome's
 * `evidence_sha256` digests from its proven `inspection.outcome` entry, and a
 * "check a file" drop zone. A dropped or chosen file is read and hashed HERE, in the
 * browser (js/hashing.js sha256: WebCrypto in a secure context, the vendored noble
 * SHA-256 otherwise); it is never sent anywhere. The verdict names the outcomes whose
 * evidence lists the file's digest, in Chinese and English:
 *   <li data-evidence-file="<name>" data-sha256="<hex>" data-match="1|0"
 *       data-backend="webcrypto|noble">.
 * `fairdraw evidence hash FILE` prints the same digest from a terminal.
 */
import { cryptoBackend, setCryptoBackend, sha256 } from './js/hashing.js';
import { bytesToHex } from './js/bytes.js';

const $ = (id) => document.getElementById(id);

function node(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') n.textContent = v;
    else n.setAttribute(k, v);
  }
  n.append(...children);
  return n;
}

/** The digests of one outcome, for its table cell (full hex on hover and for copying). */
export function evidenceCell(outcome) {
  const list = Array.isArray(outcome.evidence_sha256) ? outcome.evidence_sha256 : [];
  const td = node('td', { class: 'evidence mono' });
  if (!list.length) {
    td.textContent = '—';
    return td;
  }
  for (const hex of list) {
    td.append(node('code', { 'data-sha256': hex, title: hex, text: `${hex.slice(0, 16)}…` }), ' ');
  }
  return td;
}

/** hex digest → [{unit_id, date, index}] over every proven outcome of the draw. */
export function evidenceIndex(outcomes) {
  const index = new Map();
  for (const o of outcomes || []) {
    if (o.error || !Array.isArray(o.evidence_sha256)) continue;
    for (const hex of o.evidence_sha256) {
      if (!index.has(hex)) index.set(hex, []);
      index.get(hex).push({ unit_id: o.unit_id, date: o.date, index: o.index });
    }
  }
  return index;
}

/** The SHA-256 of a File as lowercase hex, computed locally. */
export async function hashFile(file) {
  return bytesToHex(await sha256(new Uint8Array(await file.arrayBuffer())));
}

function verdict(file, hex, hits, backend) {
  const li = node('li', { 'data-evidence-file': file.name, 'data-sha256': hex,
    'data-match': hits.length ? '1' : '0', 'data-backend': backend, class: hits.length ? 'ok' : 'bad' });
  li.append(node('strong', { text: file.name }), ' ', node('code', { class: 'mono', text: hex }), ' ');
  if (hits.length) {
    const where = hits.map((h) => `${h.unit_id} (${h.date}, #${h.index})`).join(', ');
    li.append(node('span', { text: `✓ 匹配：是以下检查结果的证据 ${where} / match: evidence of the outcome of ${where}` }));
  } else {
    li.append(node('span', { text: '✗ 不匹配：本次抽取的检查结果中没有这个文件的哈希 / no match: no outcome of this draw lists this file\'s SHA-256' }));
  }
  return li;
}

/**
 * Show the drop zone under the outcomes table and answer every file given to it;
 * `backend` is the page's requested crypto backend ('auto', 'webcrypto' or 'noble').
 */
export function setupEvidenceCheck(outcomes, backend = 'auto') {
  const box = $('evidence-check');
  if (!box) return;
  setCryptoBackend(backend);
  const index = evidenceIndex(outcomes);
  box.hidden = false;
  const zone = $('evidence-drop');
  const input = $('evidence-input');
  const results = $('evidence-results');
  const check = async (files) => {
    for (const file of files) {
      try {
        const hex = await hashFile(file);
        results.prepend(verdict(file, hex, index.get(hex) || [], cryptoBackend()));
      } catch (e) {
        results.prepend(node('li', { 'data-evidence-file': file.name, class: 'bad',
          text: `${file.name}: 无法读取 / cannot read: ${e && e.message ? e.message : e}` }));
      }
    }
  };
  input.onchange = () => check([...input.files]);
  zone.ondragover = (ev) => {
    ev.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    check([...(ev.dataTransfer ? ev.dataTransfer.files : [])]);
  };
}

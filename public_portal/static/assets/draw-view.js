/**
 * The verification view shared by the draw page and the offline page
 * (docs/spec/portal.md): starts verify-worker.js, shows progress, renders the
 * verdict banner and the checklist with the stable hooks
 *   <html data-verdict="pending|pass|fail" data-done="1" (once finished)>,
 *   <li data-check="<name>" data-status="pass|fail|skipped">,
 * the facts of the draw from its proven announce (anything else is marked
 * "未验证 / not verified"), the supersede chain with each old draw's fate, the
 * trust root (fingerprint and every key), the selected units per stratum
 * (brigade filter, CSV; greyed out and marked on a failed page), reserves,
 * outcomes, .tlog-proof links and the "was my unit in the pool?" lookup; the rules,
 * witness times and beacon of the draw come from draw-story.js.
 * The browser's memory of each log lives in localStorage (MEMORY_KEY).
 */
import { CHECK_TEXTS, checkDetail, checkLabel, checkReason, onLanguageChange, t } from './i18n.js';
import { UNVERIFIED, brigadeLabel, cutoffs, el, renderStory, stratumTitle } from './draw-story.js';
import { evidenceCell, setupEvidenceCheck } from './evidence-check.js';

export const MEMORY_KEY = 'fairdraw.logs';
const $ = (id) => document.getElementById(id);

/** The backend forced with ?crypto=noble|webcrypto (tests, diagnostics), else 'auto'. */
export function requestedBackend() {
  const v = new URLSearchParams(location.search).get('crypto');
  return ['noble', 'webcrypto'].includes(v) ? v : 'auto';
}

/**
 * This browser's memory: {<memoryKey(origin, log key id)>: {origin, key_id, trust_fingerprint,
 * tree_size, root_hash, note}} (js/trustroot.js compareMemory reads the records).
 */
export function loadMemory() {
  try {
    const v = JSON.parse(localStorage.getItem(MEMORY_KEY) || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

export function rememberRecord(key, record) {
  const all = loadMemory();
  all[key] = record;
  try {
    localStorage.setItem(MEMORY_KEY, JSON.stringify(all));
  } catch { /* storage unavailable: nothing remembered */ }
}

/** Forget one log (after a legitimate key or trust.json change the person has checked). */
export function forgetLog(key) {
  const all = loadMemory();
  delete all[key];
  try {
    localStorage.setItem(MEMORY_KEY, JSON.stringify(all));
  } catch { /* nothing to forget */ }
}

let lastOut = null;

function setVerdict(verdict, out) {
  document.documentElement.dataset.verdict = verdict;
  const box = $('verdict');
  box.dataset.verdict = verdict;
  box.className = `verdict ${verdict}`;
  const title = $('verdict-title');
  const detail = $('verdict-detail');
  if (verdict === 'pass') {
    title.dataset.i18n = 'verdict.pass';
    detail.textContent = '';
  } else if (verdict === 'fail') {
    title.dataset.i18n = 'verdict.fail';
    const failed = out.allChecks.filter((c) => c.status === 'fail');
    detail.textContent = `${t('verdict.failed-check')}: ${failed.map((c) => `${checkLabel(c.name)} (${c.name})`).join(', ')}`;
    detail.dataset.failed = failed.map((c) => c.name).join(' ');
  } else if (out && out.cancel && !out.cancel.error) {
    // A proven cancel whose history holds (draw-history passed): no result will ever come,
    // so the page says "cancelled", not "not verifiable yet" (data-verdict stays pending).
    title.dataset.i18n = 'verdict.cancelled';
    detail.textContent = pendingReason(out);
  } else {
    title.dataset.i18n = out ? 'verdict.waiting' : 'verdict.pending';
    detail.textContent = out ? pendingReason(out) : '';
  }
  title.textContent = t(title.dataset.i18n);
}

function pendingReason(out) {
  // The cancel reason comes from the proven draw.cancel entry, never from an index.
  if (out.cancel) return `${t('status.cancelled')}: ${out.cancel.reason}`;
  if (out.status === 'superseded') return t('status.superseded');
  if (!out.result) return t('lookup.unavailable');
  const skipped = out.allChecks.filter((c) => c.status === 'skipped');
  return skipped.map((c) => `${checkLabel(c.name)}: ${c.reason}`).join('; ');
}

function renderChecks(checks) {
  const list = $('checks');
  list.replaceChildren();
  for (const c of checks) {
    const icon = c.status === 'pass' ? '✓' : c.status === 'fail' ? '✗' : '–';
    list.append(el('li', { 'data-check': c.name, 'data-status': c.status, class: `check ${c.status}` },
      el('span', { class: 'icon', text: icon }),
      el('strong', { class: 'label', text: checkLabel(c.name) }), ' ',
      el('span', { class: 'reason', text: checkReason(c.name, c.status) }),
      // Unfolded: what the check computed in the page language, then the verifier's own
      // technical reason (English, with its evidence: hashes, sizes, times).
      el('details', {}, el('summary', {}, `${t('checks.details')} · `, el('span', { class: 'mono', text: c.name })),
        el('p', { class: 'check-detail', 'data-check-detail': c.name, text: checkDetail(c.name) }),
        el('div', {}, el('small', { text: `${t('checks.original')}: ` }), el('code', { class: 'detail', text: c.reason || '' })))));
  }
}

/**
 * The facts in the page header were written by the builder from data/draws.json (a hint):
 * they carry data-fact and an "未验证 / not verified" badge until the proven announce
 * replaces them; on a page whose announce is not proven they keep the badge.
 */
function renderFacts(out) {
  const a = out.announce;
  const proven = a ? {
    title: a.title, authority: a.authority, round: String(a.beacon && a.beacon.round),
    round_time: a.beacon && a.beacon.round_time, status: out.status,
  } : null;
  for (const node of document.querySelectorAll('[data-fact]')) {
    const badge = node.parentElement && node.parentElement.querySelector(`[data-badge-for="${node.dataset.fact}"]`);
    if (!proven || proven[node.dataset.fact] === undefined || proven[node.dataset.fact] === null) continue;
    const f = node.dataset.fact;
    if (f === 'status') {
      node.dataset.i18n = `status.${proven.status}`;
      node.className = `status status-${proven.status}`;
      node.textContent = t(node.dataset.i18n);
    } else {
      node.textContent = proven[f];
    }
    node.removeAttribute('data-unverified');
    node.dataset.proven = String(out.announceIndex);
    if (badge) badge.remove();
  }
  if (a && a.beacon && a.beacon.local && $('local-banner')) $('local-banner').hidden = false;
  if (a && a.beacon && !a.beacon.local && $('local-banner') && document.documentElement.dataset.page === 'draw') $('local-banner').hidden = true;
}

function minutesText(n) {
  return n >= 0 ? t('history.fate', { n }) : t('history.fate-late', { n: -n });
}

/** The supersede chain through this draw, from proven entries, each old draw with its fate. */
function renderChain(out) {
  const chain = out.chainOfDraws || [];
  if (!chain.length || !$('history-section')) return;
  $('history-section').hidden = false;
  const list = $('draw-chain');
  list.replaceChildren();
  for (const d of chain) {
    const self = d.drawId === out.drawId;
    const fate = d.cancel
      ? `${t('status.cancelled')}${d.fateMinutes === null ? '' : ` (${minutesText(d.fateMinutes)})`}: ${d.cancel.reason}`
      : t(`status.${d.status}`);
    list.append(el('li', { 'data-chain-draw': d.drawId, 'data-status': d.status, 'data-fate-minutes': d.fateMinutes === null ? null : String(d.fateMinutes) },
      self ? el('strong', { class: 'mono', text: d.drawId }) : el('a', { class: 'mono', href: `${encodeURIComponent(d.drawId)}.html`, text: d.drawId }),
      ` ${d.title ?? ''} — `, el('span', { class: 'fate', text: fate }),
      d.announceIndex === null ? null : el('small', { class: 'mono', text: ` (#${d.announceIndex})` })));
  }
}

/** trust.json: its fingerprint and every key in it, for comparison with the published ones. */
function renderTrust(info) {
  if (!info || !$('trust-section')) return;
  $('trust-section').hidden = false;
  $('trust-fingerprint').textContent = info.short;
  $('trust-fingerprint').title = info.fingerprint;
  $('trust-fingerprint').dataset.fingerprint = info.fingerprint;
  $('trust-fingerprint-full').textContent = info.fingerprint;
  const rows = [];
  const row = (kind, name, value, attrs = {}) => rows.push(el('tr', { 'data-trust-key': kind, ...attrs },
    el('td', { 'data-i18n': `trust.${kind}`, text: t(`trust.${kind}`) }), el('td', { class: 'mono', text: name }), el('td', { class: 'mono', text: value })));
  for (const k of info.logKeys) row('log', info.origin, k);
  for (const w of info.witnesses) row('witness', w.name, w.vkey);
  const groups = info.groups.map((g) => `${g.name}: ${g.k}/${g.members.length} (${g.members.join(', ')})`).join('; ');
  row('quorum', info.quorum ?? '', groups);
  for (const b of info.beacons) {
    row('beacon', `${b.scheme}${b.local ? ' (LOCAL)' : ''}`, `chain ${b.chainHash} · key ${b.keyFingerprint}`, { 'data-chain-hash': b.chainHash, 'data-key-fingerprint': b.keyFingerprint });
  }
  if (info.margin !== null) row('margin', 'margin_seconds', String(info.margin));
  if (info.maxAge !== null) row('maxage', 'max_age_seconds', String(info.maxAge));
  $('trust-keys').replaceChildren(...rows);
}

/** Links to each entry's C2SP tlog-proof file when the portal publishes them. */
function renderProofs(out, base) {
  const proofs = out.proofs || {};
  if (!base || !Object.keys(proofs).length || !$('proofs')) return;
  $('proofs-box').hidden = false;
  $('proofs').replaceChildren(...Object.entries(proofs).map(([kind, path]) => el('a', {
    href: new URL(path, base).href, download: path.split('/').pop(), 'data-proof': kind, class: 'proof',
  }, el('span', { 'data-i18n': `proof.${kind}`, text: t(`proof.${kind}`) }), ' .tlog-proof')));
}

/** A failed page keeps the (possibly tampered) result visible but greyed out and marked. */
function markUnverified(verdict) {
  const section = $('result-section');
  if (!section) return;
  const bad = verdict === 'fail';
  section.classList.toggle('unverified', bad);
  section.dataset.unverified = bad ? '1' : '';
  for (const id of ['csv-download', 'bundle-download']) {
    const b = $(id);
    if (!b) continue;
    b.classList.toggle('unverified', bad);
    b.dataset.unverified = bad ? '1' : '';
    b.title = bad ? UNVERIFIED : '';
  }
  const note = $('result-unverified');
  if (note) note.hidden = !bad;
}

function teamText(team, people) {
  if (!team) return '';
  const parts = team.members.map((m) => {
    const p = people[m.person_id];
    const scope = m.scope ? ` [${t(`scope.${m.scope}`)}]` : '';
    return `${t(`role.${m.role}`)}: ${p && p.name ? `${p.name} ` : ''}${m.person_id}${scope}`;
  });
  for (const r of team.unfilled || []) parts.push(`${t(`role.${r}`)}: ${t('result.unfilled')}`);
  return parts.join('; ');
}

function rowsOf(out) {
  const units = out.units || {};
  return (out.result.selected || []).map((s) => {
    const u = units[s.unit_id] || {};
    return { stratum: s.stratum, rank: s.rank, unit_id: s.unit_id, name: u.name ?? '', brigade: u.brigade ?? '', ticket: s.ticket, team: teamText(s.team, out.people || {}) };
  });
}

function renderResult(out) {
  if (!out.result || !Array.isArray(out.result.selected)) return;
  $('result-section').hidden = false;
  const rows = rowsOf(out);
  const names = out.brigadeNames || {};
  const cut = cutoffs(out.result);
  const box = $('strata');
  box.replaceChildren();
  for (const st of out.result.strata || []) {
    const body = el('tbody');
    for (const r of rows.filter((x) => x.stratum === st.name)) {
      body.append(el('tr', { 'data-unit-id': r.unit_id, 'data-brigade': r.brigade },
        el('td', { text: String(r.rank) }), el('td', { class: 'mono', text: r.unit_id }), el('td', { text: r.name }),
        el('td', { title: r.brigade, text: brigadeLabel(r.brigade, names) }), el('td', { class: 'mono', title: r.ticket, text: r.ticket.slice(0, 12) + '…' }),
        el('td', { text: r.team })));
    }
    const ticket = cut.get(st.name) ?? null;
    const head = el('tr', {}, ...['col.rank', 'col.unit', 'col.name', 'col.brigade', 'col.ticket', 'col.team']
      .map((k) => el('th', { 'data-i18n': k, text: t(k) })));
    const reserve = (st.reserve || []).map((id) => `${id}${out.units[id] ? ` ${out.units[id].name}` : ''}`).join('、');
    box.append(el('div', { class: 'stratum', 'data-stratum': st.name },
      el('h3', {}, el('span', { 'data-i18n': 'result.stratum', text: t('result.stratum') }), ' ', stratumTitle(st.name), ' ',
        el('small', { text: t('result.nk', { n: st.n, k: st.k }) })),
      el('p', { class: 'cutoff' }, el('span', { 'data-i18n': 'result.cutoff', text: t('result.cutoff') }), ': ',
        el('span', { class: 'mono', 'data-cutoff': st.name, text: ticket ?? t('result.none') })),
      el('table', { class: 'selected' }, el('thead', {}, head), body),
      el('p', { class: 'reserve' }, el('span', { 'data-i18n': 'result.reserve', text: t('result.reserve') }), ': ',
        el('span', { class: 'mono', 'data-reserve': st.name, text: reserve || t('result.none') }))));
  }
  // Re-rendered on a language change: options rebuilt (value = code, text = name), choice kept.
  const select = $('brigade-filter');
  const chosen = select.value;
  select.replaceChildren(select.options[0]);
  for (const b of [...new Set(rows.map((r) => r.brigade))].filter(Boolean).sort()) select.append(el('option', { value: b, text: brigadeLabel(b, names) }));
  select.value = chosen;
  select.onchange = () => {
    for (const tr of box.querySelectorAll('tr[data-unit-id]')) tr.hidden = Boolean(select.value) && tr.dataset.brigade !== select.value;
  };
  select.onchange();
  $('csv-download').onclick = () => {
    const chosen = rows.filter((r) => !select.value || r.brigade === select.value);
    const cols = ['stratum', 'rank', 'unit_id', 'name', 'brigade', 'ticket', 'team'];
    const esc = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const text = '\ufeff' + [cols.join(','), ...chosen.map((r) => cols.map((c) => esc(r[c])).join(','))].join('\r\n') + '\r\n';
    download(`${out.drawId}${select.value ? `-${select.value}` : ''}.csv`, new Blob([text], { type: 'text/csv;charset=utf-8' }));
  };
}

function download(name, blob) {
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 1000);
}

function renderOutcomes(out) {
  if (!out.outcomes || !out.outcomes.length) return;
  $('outcomes-section').hidden = false;
  const body = $('outcomes');
  body.replaceChildren();
  for (const o of out.outcomes) {
    const u = (out.units || {})[o.unit_id];
    const corrects = Number.isInteger(o.supersedes) ? `${t('outcome.corrects', { i: o.supersedes })}: ` : '';
    const later = o.supersededBy !== null && o.supersededBy !== undefined;
    body.append(el('tr', {
      'data-outcome-index': String(o.index), 'data-result': o.result, class: later ? 'superseded' : null,
      'data-supersedes': corrects ? String(o.supersedes) : null, 'data-superseded-by': later ? String(o.supersededBy) : null,
    },
      el('td', { text: o.error ? `#${o.index}` : `${o.unit_id}${u ? ` ${u.name}` : ''}` }), el('td', { text: o.date || '' }),
      el('td', { 'data-i18n': o.result ? `outcome.${o.result}` : null, text: o.error ? `✗ ${o.error}` : t(`outcome.${o.result}`) }),
      el('td', { text: `${later ? `(${t('outcome.superseded-by', { i: o.supersededBy })}) ` : ''}${corrects}${o.note || ''}` }), evidenceCell(o)));
  }
  setupEvidenceCheck(out.outcomes, requestedBackend());
}

function renderLookup(worker) {
  $('lookup-section').hidden = false;
  $('lookup-form').onsubmit = (ev) => {
    ev.preventDefault();
    worker.postMessage({ kind: 'lookup', unitId: $('lookup-input').value.trim() });
  };
}

function showLookup(a) {
  const box = $('lookup-result');
  box.dataset.status = a.status;
  const lines = [];
  if (a.status === 'in-pool') {
    lines.push(t('lookup.in-pool', { stratum: a.stratum, ticket: a.ticket, cutoff: a.cutoff ?? '-' }));
    lines.push(a.selected ? t('lookup.selected', { rank: a.rank }) : a.reserve ? t('lookup.reserve', { r: a.reserve }) : t('lookup.not-selected'));
  } else {
    lines.push(t(`lookup.${a.status}`, { s: a.unitStatus ?? '', r: a.reason ?? '' }));
  }
  box.replaceChildren(el('p', { class: 'mono-break', text: `${a.unitId ?? ''} ${a.name ?? ''}` }), ...lines.map((l) => el('p', { text: l })));
  if (a.status === 'in-pool') {
    box.dataset.ticket = a.ticket;
    box.dataset.cutoff = a.cutoff ?? '';
    box.dataset.stratum = a.stratum;
  }
}

/**
 * The verifier in a Web Worker; where workers are refused (a page opened from disk, file://,
 * or a browser that blocks them) the same module runs on this thread behind the same
 * message interface, loaded on demand.
 */
function startWorker() {
  if (location.protocol !== 'file:') {
    try {
      return new Worker(new URL('./verify-worker.js', import.meta.url), { type: 'module' });
    } catch { /* refused: fall back to the main thread */ }
  }
  const port = { onmessage: null, onerror: null, queue: [] };
  const deliver = (m) => setTimeout(() => port.onmessage && port.onmessage({ data: m }), 0);
  let handle = null;
  import('./verify-worker.js').then((mod) => {
    handle = mod.connectMainThread(deliver);
    for (const m of port.queue.splice(0)) handle(m);
  }, (e) => port.onerror && port.onerror({ message: `the verifier could not load: ${e.message}` }));
  port.postMessage = (m) => (handle ? setTimeout(() => handle(m), 0) : port.queue.push(m));
  document.documentElement.dataset.mainThread = '1';
  return port;
}

/**
 * Verify one draw. source = {base} (portal URL) or {files} (offline bundle map); `failure`
 * (a message) shows a red page without verifying (the page could not even get its inputs).
 * remember: compare with / update this browser's memory of the log (localStorage).
 */
export function startVerification({ drawId, base, files, remember, failure = null }) {
  const worker = failure ? { postMessage() {} } : startWorker();
  const started = performance.now();
  setVerdict('pending', null);
  return new Promise((resolve) => {
    worker.onmessage = (ev) => {
      const m = ev.data;
      if (m.kind === 'progress') {
        $('progress').value = m.fraction;
        $('progress-text').textContent = `${t(`progress.${m.phase}`)} ${Math.round(m.fraction * 100)}%`;
      } else if (m.kind === 'done') {
        const out = m.out;
        const pageChecks = [];
        if (out.consistency) pageChecks.push({ name: 'log-consistency', ...out.consistency });
        if (out.index) pageChecks.push({ name: 'index', ...out.index });
        out.allChecks = [...out.checks, ...pageChecks];
        let verdict = out.verdict;
        if (pageChecks.some((c) => c.status === 'fail')) verdict = 'fail';
        lastOut = out;
        renderChecks(out.allChecks);
        $('crypto-backend').textContent = out.backend;
        renderFacts(out);
        renderStory(out);
        renderTrust(out.trustInfo);
        renderChain(out);
        renderResult(out);
        renderOutcomes(out);
        renderProofs(out, base);
        markUnverified(verdict);
        if (out.result) renderLookup(worker);
        $('progress-box').hidden = true;
        if (remember && out.memory) rememberRecord(out.memory.key, out.memory.record);
        if (remember && out.consistency && out.consistency.status === 'fail' && $('forget-log')) {
          const key = out.memoryKey;
          $('forget-box').hidden = false;
          $('forget-log').onclick = () => {
            forgetLog(key);
            location.reload();
          };
        }
        $('bundle-download').onclick = () => worker.postMessage({ kind: 'bundle', source: base || 'offline bundle' });
        document.documentElement.dataset.elapsedMs = String(Math.round(performance.now() - started));
        document.documentElement.dataset.timings = JSON.stringify(out.timings || {});
        setVerdict(verdict, out);
        document.documentElement.dataset.done = '1';
        resolve(out);
      } else if (m.kind === 'lookup') {
        showLookup(m.answer);
      } else if (m.kind === 'bundle') {
        download(`${drawId}.bundle.json`, new Blob([m.text], { type: 'application/json' }));
      } else if (m.kind === 'error') {
        const out = { checks: [], allChecks: [{ name: 'load', status: 'fail', reason: m.message }], nav: {} };
        renderChecks(out.allChecks);
        $('progress-box').hidden = true;
        markUnverified('fail');
        setVerdict('fail', out);
        document.documentElement.dataset.done = '1';
        resolve(out);
      }
    };
    worker.onerror = (e) => {
      worker.onmessage({ data: { kind: 'error', message: e.message || 'the verifier could not start' } });
    };
    if (failure) {
      worker.onmessage({ data: { kind: 'error', message: failure } });
      return;
    }
    const msg = { kind: 'verify', drawId, backend: requestedBackend() };
    if (files) msg.files = files;
    else msg.base = base;
    if (remember) msg.memory = loadMemory();
    worker.postMessage(msg);
  });
}

onLanguageChange(() => {
  if (!lastOut) return;
  renderChecks(lastOut.allChecks);
  const v = document.documentElement.dataset.verdict;
  setVerdict(v, lastOut);
  renderChain(lastOut);
  renderTrust(lastOut.trustInfo);
  renderResult(lastOut);
  renderStory(lastOut);
});

export { CHECK_TEXTS, UNVERIFIED };

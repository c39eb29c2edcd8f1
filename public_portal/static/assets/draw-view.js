/**
 * The verification view shared by the draw page and the offline page
 * (docs/spec/portal.md): starts verify-worker.js, shows progress, renders the
 * verdict banner and the checklist with the stable hooks
 *   <html data-verdict="pending|pass|fail" data-done="1" (once finished)>,
 *   <li data-check="<name>" data-status="pass|fail|skipped">,
 * the selected units per stratum (brigade filter, CSV), reserves, outcomes and
 * the "was my unit in the pool?" lookup.
 */
import { CHECK_TEXTS, applyLanguage, checkLabel, checkReason, onLanguageChange, t } from './i18n.js';

const CHECKPOINT_KEY = 'fairdraw.checkpoints';
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-') || k === 'class' || k === 'title' || k === 'href' || k === 'download') e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

/** The backend forced with ?crypto=noble|webcrypto (tests, diagnostics), else 'auto'. */
export function requestedBackend() {
  const v = new URLSearchParams(location.search).get('crypto');
  return ['noble', 'webcrypto'].includes(v) ? v : 'auto';
}

export function loadSeenCheckpoints() {
  try {
    return JSON.parse(localStorage.getItem(CHECKPOINT_KEY) || '{}') || {};
  } catch {
    return {};
  }
}

export function rememberCheckpoint(current) {
  if (!current) return;
  const seen = loadSeenCheckpoints();
  seen[current.origin] = { treeSize: current.treeSize, rootHash: current.rootHash };
  try {
    localStorage.setItem(CHECKPOINT_KEY, JSON.stringify(seen));
  } catch { /* storage unavailable: nothing remembered */ }
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
  } else {
    title.dataset.i18n = out ? 'verdict.waiting' : 'verdict.pending';
    detail.textContent = out ? pendingReason(out) : '';
  }
  title.textContent = t(title.dataset.i18n);
}

function pendingReason(out) {
  const nav = out.nav || {};
  if (out.cancel) return `${t('status.cancelled')}: ${out.cancel.reason ?? out.cancel.error}`;
  if (nav.result_index === null || nav.result_index === undefined) return t('lookup.unavailable');
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
      el('details', {}, el('summary', { text: c.name }), el('code', { class: 'detail', text: c.reason || '' }))));
  }
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
  const box = $('strata');
  box.replaceChildren();
  for (const st of out.result.strata || []) {
    const body = el('tbody');
    for (const r of rows.filter((x) => x.stratum === st.name)) {
      body.append(el('tr', { 'data-unit-id': r.unit_id, 'data-brigade': r.brigade },
        el('td', { text: String(r.rank) }), el('td', { class: 'mono', text: r.unit_id }), el('td', { text: r.name }),
        el('td', { text: r.brigade }), el('td', { class: 'mono', title: r.ticket, text: r.ticket.slice(0, 12) + '…' }),
        el('td', { text: r.team })));
    }
    const head = el('tr', {}, ...['col.rank', 'col.unit', 'col.name', 'col.brigade', 'col.ticket', 'col.team']
      .map((k) => el('th', { 'data-i18n': k, text: t(k) })));
    const reserve = (st.reserve || []).map((id) => `${id}${out.units[id] ? ` ${out.units[id].name}` : ''}`).join('、');
    box.append(el('div', { class: 'stratum', 'data-stratum': st.name },
      el('h3', {}, el('span', { 'data-i18n': 'result.stratum', text: t('result.stratum') }), ` ${st.name} `,
        el('small', { text: t('result.nk', { n: st.n, k: st.k }) })),
      el('table', { class: 'selected' }, el('thead', {}, head), body),
      el('p', { class: 'reserve' }, el('span', { 'data-i18n': 'result.reserve', text: t('result.reserve') }), ': ',
        el('span', { class: 'mono', 'data-reserve': st.name, text: reserve || t('result.none') }))));
  }
  const select = $('brigade-filter');
  for (const b of [...new Set(rows.map((r) => r.brigade))].filter(Boolean).sort()) select.append(el('option', { value: b, text: b }));
  select.onchange = () => {
    for (const tr of box.querySelectorAll('tr[data-unit-id]')) tr.hidden = Boolean(select.value) && tr.dataset.brigade !== select.value;
  };
  $('csv-download').onclick = () => {
    const chosen = rows.filter((r) => !select.value || r.brigade === select.value);
    const cols = ['stratum', 'rank', 'unit_id', 'name', 'brigade', 'ticket', 'team'];
    const esc = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const text = '\ufeff' + [cols.join(','), ...chosen.map((r) => cols.map((c) => esc(r[c])).join(','))].join('\r\n') + '\r\n';
    download(`${out.nav.draw_id}${select.value ? `-${select.value}` : ''}.csv`, new Blob([text], { type: 'text/csv;charset=utf-8' }));
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
    body.append(el('tr', { 'data-outcome-index': String(o.index), 'data-result': o.result },
      el('td', { text: o.error ? `#${o.index}` : `${o.unit_id}${u ? ` ${u.name}` : ''}` }), el('td', { text: o.date || '' }),
      el('td', { 'data-i18n': o.result ? `outcome.${o.result}` : null, text: o.error ? `✗ ${o.error}` : t(`outcome.${o.result}`) }),
      el('td', { text: o.note || '' })));
  }
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
 * Verify one draw. source = {base} (portal URL) or {files} (offline bundle map).
 * remember: compare with / update the checkpoint kept in localStorage.
 */
export function startVerification({ drawId, base, files, remember }) {
  const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { type: 'module' });
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
        out.allChecks = out.consistency ? [...out.checks, { name: 'log-consistency', ...out.consistency }] : out.checks;
        let verdict = out.verdict;
        if (out.consistency && out.consistency.status === 'fail') verdict = 'fail';
        if (!out.checks.length) verdict = 'pending';
        lastOut = out;
        renderChecks(out.allChecks);
        $('crypto-backend').textContent = out.backend;
        if (out.local) $('local-banner').hidden = false;
        renderResult(out);
        renderOutcomes(out);
        if (out.result) renderLookup(worker);
        $('progress-box').hidden = true;
        if (remember && out.consistency && out.consistency.status === 'pass') rememberCheckpoint(out.current);
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
        setVerdict('fail', out);
        document.documentElement.dataset.done = '1';
        resolve(out);
      }
    };
    worker.onerror = (e) => {
      worker.onmessage({ data: { kind: 'error', message: e.message || 'the verifier could not start' } });
    };
    const msg = { kind: 'verify', drawId, backend: requestedBackend() };
    if (files) msg.files = files;
    else msg.base = base;
    if (remember) msg.previous = loadSeenCheckpoints();
    worker.postMessage(msg);
  });
}

onLanguageChange(() => {
  if (!lastOut) return;
  renderChecks(lastOut.allChecks);
  const v = document.documentElement.dataset.verdict;
  setVerdict(v, lastOut);
  if ($('strata')) applyLanguage($('strata'), false);
});

export { CHECK_TEXTS };

/**
 * The operator console (issue 17): every write goes through the operator API
 * (/api/registries, /api/snapshots, /api/draws, /api/checkpoints/publish, …); the
 * console's own endpoints (/api/console/…, /api/registries/{kind}/preview) only read
 * or dry-run. The token lives in sessionStorage and travels as a Bearer header only.
 * Evidence files are hashed here with the portal's SHA-256 (/console/lib/hashing.js)
 * and never sent.
 */
import { sha256 } from './lib/hashing.js';
import { bytesToHex } from './lib/bytes.js';
import { applyLang, currentLang, setLang, t } from './i18n.js';

const TOKEN_KEY = 'fairdraw.console.token';
const LIST_LIMIT = 500; // rows shown per list; the counts are exact
const $ = (id) => document.getElementById(id);
const state = { session: null, preview: null, previewFile: null, template: null, validated: null, draw: null, result: null, evidence: [], timer: null };

class ApiError extends Error {
  constructor(status, detail) {
    const d = detail && typeof detail === 'object' ? detail : { message: String(detail ?? '') };
    super(d.message || d.detail || JSON.stringify(d));
    this.status = status;
    this.detail = d;
  }
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

async function api(method, path, { json, body, query, raw = false } = {}) {
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/octet-stream';
  }
  const url = query ? `${path}?${new URLSearchParams(query)}` : path;
  const r = await fetch(url, { method, headers, body: payload, cache: 'no-store' });
  if (!r.ok) {
    let detail;
    try {
      const j = await r.json();
      detail = j.detail ?? j;
    } catch {
      detail = r.statusText;
    }
    throw new ApiError(r.status, detail);
  }
  if (raw) return r;
  return r.status === 204 ? null : r.json();
}

function say(text, kind = 'info') {
  const m = $('message');
  m.hidden = false;
  m.dataset.kind = kind;
  m.textContent = text;
}

function fail(e) {
  if (e instanceof ApiError) {
    const d = e.detail;
    const field = d.field ? ` [${d.field}]` : '';
    say(t('error', { status: e.status, m: `${d.message || e.message}${field}` }), 'error');
    if (e.status === 401) signOut(false);
  } else {
    say(String(e && e.message ? e.message : e), 'error');
  }
}

const localDate = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const local = (iso) => (iso ? new Date(iso).toLocaleString(currentLang() === 'en' ? 'en-GB' : 'zh-CN', { hour12: false }) : '');

// -- sign in / out --------------------------------------------------------------------

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    state.session = await api('GET', '/api/console/session');
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.session = null;
    document.body.dataset.state = 'signed-out';
    say(t('signin.bad', { m: e.detail ? e.detail.message || e.message : e.message }), 'error');
    return false;
  }
  const s = state.session;
  document.body.dataset.state = 'signed-in';
  document.body.dataset.role = s.role;
  $('signin').hidden = true;
  $('tabs').hidden = false;
  $('who').hidden = false;
  $('sign-out').hidden = false;
  $('who-name').textContent = s.name;
  $('who-role').textContent = s.role;
  $('local-banner').hidden = !(s.beacon && s.beacon.local);
  for (const b of document.querySelectorAll('[data-action]')) {
    const a = b.dataset.action;
    if (a in s.actions) b.hidden = !s.actions[a];
  }
  for (const b of document.querySelectorAll('[data-needs]')) b.hidden = !s.actions[b.dataset.needs];
  const first = [...document.querySelectorAll('[data-tab]')].find((b) => !b.hidden);
  showTab(first ? first.dataset.tab : 'follow');
  if (!s.writer) say(t('readonly', { why: s.read_only_reason || '' }), 'error');
  // snapshots and draws are public reads; templates are the planners' (operator) read
  await Promise.all([loadSnapshots(), s.actions['plan-validate'] ? loadTemplates() : null, loadDraws()]);
  return true;
}

function signOut(announce = true) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.session = null;
  clearInterval(state.timer);
  document.body.dataset.state = 'signed-out';
  delete document.body.dataset.role;
  $('signin').hidden = false;
  $('tabs').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  for (const s of document.querySelectorAll('section.tab')) s.hidden = true;
  $('token').value = '';
  if (announce) say(t('signin.gone'), 'ok');
}

function showTab(name) {
  for (const s of document.querySelectorAll('section.tab')) s.hidden = s.id !== name;
  for (const b of document.querySelectorAll('[data-tab]')) b.classList.toggle('active', b.dataset.tab === name);
  if (name === 'audit') loadAudit().catch(fail);
  if (name === 'after') renderAfter();
  if (name === 'returns' && !$('rv-quarter').value) $('rv-quarter').value = currentQuarter();
}

// -- registries -----------------------------------------------------------------------

function fileFormat(name) {
  const m = /\.(csv|xlsx|jsonl)$/i.exec(name);
  return m ? m[1].toLowerCase() : null;
}

function toBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** The files (in the order chosen: the first wins a merge) and the mapping file, read as
 * `POST /api/registries/{kind}/import-sources` takes them; the preview takes the same. */
async function readImport() {
  const files = [...$('import-file').files];
  if (!files.length) return null;
  const sources = [];
  for (const f of files) sources.push({ name: f.name, format: fileFormat(f.name) || 'csv', data_base64: toBase64(new Uint8Array(await f.arrayBuffer())) });
  const m = $('import-mapping').files[0];
  let mapping = null;
  if (m) {
    try {
      mapping = JSON.parse(await m.text());
    } catch (e) {
      throw new Error(t('reg.mapping.bad', { name: m.name, m: e.message }));
    }
  }
  return { files: sources, mapping, mappingName: m ? m.name : null };
}

async function previewImport() {
  $('row-errors-box').hidden = true;
  $('preview').hidden = true;
  state.preview = null;
  document.querySelector('[data-action="import-commit"]').disabled = true;
  const upload = await readImport();
  if (!upload) return say(t('reg.nofile'), 'error');
  const kind = $('import-kind').value;
  const p = await api('POST', `/api/registries/${kind}/preview`, { json: { files: upload.files, mapping: upload.mapping } });
  if (!p.ok) return showRowErrors(p.errors);
  state.preview = p;
  state.previewFile = { ...upload, kind };
  $('message').hidden = true;
  $('preview').hidden = false;
  const absent = new Set(p.removed.map((r) => r.id));
  const counts = { added: p.added.length, retired: p.retired.length, changed: p.changed.length };
  const summary = $('preview-summary');
  summary.textContent = `${t('reg.summary', { version: p.version, count: p.count, added: counts.added, removed: counts.retired, changed: counts.changed, sha: p.source_sha256 })} ${t('reg.sources', { names: p.sources.join(' + '), mapping: upload.mappingName || '—' })}`;
  Object.assign(summary.dataset, { added: counts.added, removed: counts.retired, changed: counts.changed, version: p.version, decisions: p.decisions.length });
  const lists = $('preview-lists');
  lists.replaceChildren();
  const list = (key, items, extra) => {
    const body = el('tbody');
    for (const it of items.slice(0, LIST_LIMIT)) body.append(el('tr', { 'data-id': it.id }, el('td', { class: 'mono', text: it.id }), el('td', { text: it.name ?? '' }), el('td', { text: extra(it) })));
    const more = items.length > LIST_LIMIT ? el('p', { class: 'meta', text: t('reg.more', { n: items.length - LIST_LIMIT }) }) : '';
    lists.append(el('div', { 'data-list': key }, el('h4', { text: `${t(`reg.${key}`)} (${items.length})` }), el('table', {}, body), more));
  };
  list('added', p.added, () => '');
  list('retired', p.retired, (it) => (absent.has(it.id) ? t('reg.absent') : t('reg.marked')));
  list('changed', p.changed, (it) => (it.fields || []).join(', '));
  const row = (r) => t('reg.row', { source: r.source, row: r.row });
  const merges = document.querySelector('#merge-decisions tbody');
  merges.replaceChildren();
  for (const d of p.decisions.slice(0, LIST_LIMIT)) {
    merges.append(el('tr', { 'data-key': d.key, 'data-kept': `${d.kept.source}:${d.kept.row}` },
      el('td', { class: 'mono', text: d.key }), el('td', { text: `${row(d.kept)} (${d.kept.id})` }),
      el('td', { text: d.merged.map(row).join('; ') }),
      el('td', { text: Object.entries(d.filled).map(([f, src]) => `${f} ← ${src}`).join('; ') }),
      el('td', { text: d.dropped.map((x) => `${x.field}=${JSON.stringify(x.value)} (${row(x)}; ${JSON.stringify(x.kept)})`).join('; ') }),
      el('td', { class: 'reason', text: d.reason })));
  }
  $('merge-box').hidden = !p.decisions.length;
  const guard = p.mass_removal;
  $('mass-removal').hidden = !guard.exceeded;
  $('confirm-mass-removal').checked = false;
  $('mass-removal-text').textContent = t('reg.mass', { retired: guard.retired, active: guard.active, limit: guard.limit_percent });
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  $('snapshot-name').value = `${kind}-${today}-v${p.version}`;
  updateCommit();
}

function showRowErrors(problems) {
  const body = document.querySelector('#row-errors tbody');
  body.replaceChildren();
  for (const p of problems) body.append(el('tr', { 'data-row': String(p.row), 'data-source': p.source ?? '' }, el('td', { text: p.source ?? '' }), el('td', { text: String(p.row) }), el('td', { text: p.column ?? '' }), el('td', { text: p.what })));
  state.preview = null;
  $('row-errors-box').hidden = false;
  say(t('reg.errors.msg', { n: problems.length }), 'error');
}

function updateCommit() {
  const p = state.preview;
  const ok = p && (!p.mass_removal.exceeded || $('confirm-mass-removal').checked);
  document.querySelector('[data-action="import-commit"]').disabled = !ok;
}

async function commitImport() {
  const p = state.preview;
  const f = state.previewFile;
  if (!p || !f) return;
  const request = { files: f.files, mapping: f.mapping, allow_mass_removal: false };
  if (p.mass_removal.exceeded) {
    if (!$('confirm-mass-removal').checked) return;
    request.allow_mass_removal = true;
  }
  const button = document.querySelector('[data-action="import-commit"]');
  button.disabled = true;
  try {
    // The import and the snapshot are two calls: if only the snapshot was refused (its
    // name taken…), a retry logs the version already imported instead of importing again.
    const done = state.imported && state.imported.sha === p.source_sha256 && state.imported.kind === f.kind ? state.imported.version : null;
    const v = done || await api('POST', `/api/registries/${f.kind}/import-sources`, { json: request });
    state.imported = { sha: p.source_sha256, kind: f.kind, version: v };
    const snap = await api('POST', '/api/snapshots', { json: { kind: f.kind, name: $('snapshot-name').value.trim(), publish: $('snapshot-publish').value } });
    say(t('reg.committed', { name: snap.name, index: snap.log_index, version: v.version, count: snap.count, root: snap.root }), 'ok');
    state.preview = null;
    state.imported = null;
    $('preview').hidden = true;
    $('import-file').value = '';
    $('import-mapping').value = '';
    await loadSnapshots();
  } catch (e) {
    button.disabled = false;
    fail(e);
  }
}

async function loadSnapshots() {
  const snaps = await api('GET', '/api/snapshots');
  state.snapshots = snaps;
  const body = document.querySelector('#snapshots tbody');
  body.replaceChildren();
  for (const s of snaps) body.append(el('tr', { 'data-snapshot': s.name }, el('td', { class: 'mono', text: s.name }), el('td', { text: t(`kind.${s.kind}`) }), el('td', { text: String(s.count) }), el('td', { class: 'mono', title: s.root, text: `${s.root.slice(0, 16)}…` }), el('td', { text: String(s.log_index ?? '') }), el('td', { text: t(`publish.${s.publish}`) })));
  for (const kind of ['units', 'inspectors', 'experts']) {
    const select = $(`snap-${kind}`);
    const chosen = select.value;
    select.replaceChildren(el('option', { value: '', text: '—' }));
    const mine = snaps.filter((s) => s.kind === kind && s.log_index !== null).sort((a, b) => b.log_index - a.log_index);
    for (const s of mine) select.append(el('option', { value: s.name, text: `${s.name} (${s.count})` }));
    select.value = chosen && mine.some((s) => s.name === chosen) ? chosen : mine.length ? mine[0].name : '';
  }
}

// -- templates and the plan -------------------------------------------------------------

async function loadTemplates() {
  const list = await api('GET', '/api/console/templates');
  const select = $('template-select');
  const chosen = select.value;
  select.replaceChildren(select.options[0]);
  for (const tpl of list) select.append(el('option', { value: tpl.name, text: `${tpl.name}${tpl.title ? ` · ${tpl.title}` : ''}` }));
  select.value = list.some((x) => x.name === chosen) ? chosen : '';
}

function quotaText(q) {
  const parts = [];
  if (q.ratio) parts.push(`${q.ratio}`);
  if (q.count !== undefined) parts.push(`${q.count}`);
  if (q.all) parts.push('all');
  if (q.min !== undefined) parts.push(`min ${q.min}`);
  return parts.join(', ');
}

function renderTemplate(tpl) {
  const box = $('template-view');
  box.replaceChildren();
  if (!tpl) return;
  const plan = tpl.plan;
  const labels = tpl.labels || {};
  const rows = (plan.strata || []).map((s) => el('tr', { 'data-stratum': s.name }, el('td', { text: labels[s.name] || '' }), el('td', { class: 'mono', text: s.name }), el('td', { class: 'mono', text: JSON.stringify(s.match) }), el('td', { text: quotaText(s.quota) }), el('td', { text: String(s.quota.reserve ?? 0) })));
  const head = el('tr', {}, ...['plan.label', 'col.id', 'plan.match', 'plan.quota', 'plan.reserve'].map((k) => el('th', { text: t(k) })));
  box.append(el('h3', { text: t('plan.strata') }), el('table', { id: 'template-strata' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  const facts = [
    ['plan.teams', plan.teams ? JSON.stringify(plan.teams) : '—'],
    ['plan.zones', plan.zones ? Object.entries(plan.zones).map(([z, b]) => `${z}: ${b.join('、')}`).join('; ') : '—'],
    ['plan.exclusions', (plan.exclusions || []).map((x) => `${x.unit_id} (${x.reason})`).join('; ') || '—'],
    ['plan.recusals', (plan.recusals || []).map((p) => p.join(' ↔ ')).join('; ') || '—'],
  ];
  box.append(el('table', { class: 'facts' }, el('tbody', {}, ...facts.map(([k, v]) => el('tr', {}, el('td', { text: t(k) }), el('td', { class: 'mono', text: v }))))));
}

async function chooseTemplate() {
  const name = $('template-select').value;
  state.template = null;
  state.validated = null;
  document.querySelector('[data-action="plan-announce"]').disabled = true;
  if (!name) return renderTemplate(null);
  try {
    const tpl = await api('GET', `/api/console/templates/${encodeURIComponent(name)}`);
    state.template = tpl;
    renderTemplate(tpl);
    $('template-name').value = tpl.name;
    const { name: _n, ...stored } = tpl;
    $('template-json').value = JSON.stringify(stored, null, 1);
    if (tpl.plan.title) $('draw-title').value = tpl.plan.title;
    for (const kind of ['units', 'inspectors', 'experts']) {
      const ref = tpl.plan[kind];
      const name = typeof ref === 'string' ? ref : ref && ref.snapshot;
      if (name && [...$(`snap-${kind}`).options].some((o) => o.value === name)) $(`snap-${kind}`).value = name;
    }
    await proposeRound();
  } catch (e) {
    fail(e);
  }
}

async function saveTemplate() {
  const name = $('template-name').value.trim();
  let value;
  try {
    value = JSON.parse($('template-json').value);
  } catch (e) {
    return say(`JSON: ${e.message}`, 'error');
  }
  try {
    await api('PUT', `/api/console/templates/${encodeURIComponent(name)}`, { json: value });
    say(t('plan.template.saved', { name }), 'ok');
    await loadTemplates();
    $('template-select').value = name;
    await chooseTemplate();
  } catch (e) {
    fail(e);
  }
}

/** Seconds the proposed round lies beyond the lead time: time to review the announce
 * before it is logged (the announce pins the round shown, which must still be at least
 * the lead time ahead when it is sent). */
function reviewSlack(lead) {
  return Math.min(600, Math.max(10, Math.round(lead / 10)));
}

function beaconChoice() {
  const mode = document.querySelector('input[name="beacon-mode"]:checked').value;
  if (mode === 'round') return { round: Number($('beacon-round').value) };
  if (mode === 'not_before') {
    const v = $('beacon-not-before').value;
    return v ? { not_before: `${new Date(v).toISOString().slice(0, 19)}Z` } : {};
  }
  const lead = state.session ? state.session.lead_time : 0;
  const at = new Date(Date.now() + (lead + reviewSlack(lead)) * 1000);
  return { not_before: `${at.toISOString().slice(0, 19)}Z` };
}

async function proposeRound() {
  try {
    const b = await api('GET', '/api/console/beacon', { query: beaconChoice() });
    const p = $('beacon-proposal');
    p.dataset.round = b.round;
    p.dataset.roundTime = b.round_time;
    p.textContent = t('plan.proposal', { round: b.round, time: local(b.round_time), utc: b.round_time, commit: local(b.commit_by), lead: b.lead_time, margin: b.margin });
    return b;
  } catch (e) {
    fail(e);
    return null;
  }
}

function buildPlan() {
  const tpl = state.template;
  const plan = { ...(tpl ? tpl.plan : {}) };
  plan.draw_id = $('draw-id').value.trim();
  const title = $('draw-title').value.trim();
  if (title) plan.title = title;
  plan.period = { from: $('period-from').value, to: $('period-to').value };
  for (const kind of ['units', 'inspectors', 'experts']) {
    const v = $(`snap-${kind}`).value;
    if (v) plan[kind] = v;
    else delete plan[kind];
  }
  plan.beacon = beaconChoice();
  return plan;
}

async function validatePlan() {
  document.querySelector('[data-action="plan-announce"]').disabled = true;
  state.validated = null;
  const plan = buildPlan();
  try {
    const announce = await api('POST', '/api/draws/plan', { json: plan });
    // What is shown is what will be logged: the announce pins the round it was shown with.
    state.validated = { ...plan, beacon: { round: announce.beacon.round } };
    $('announce-box').hidden = false;
    $('announce-json').textContent = JSON.stringify(announce, null, 1);
    const s = $('announce-summary');
    s.dataset.round = announce.beacon.round;
    s.textContent = t('plan.valid', { round: announce.beacon.round, time: `${local(announce.beacon.round_time)} (UTC ${announce.beacon.round_time})`, units: announce.units.snapshot, ucount: announce.units.count });
    $('message').hidden = true;
    document.querySelector('[data-action="plan-announce"]').disabled = false;
  } catch (e) {
    $('announce-box').hidden = true;
    fail(e);
  }
}

async function announcePlan() {
  if (!state.validated) return;
  const button = document.querySelector('[data-action="plan-announce"]');
  button.disabled = true;
  try {
    const d = await api('POST', '/api/draws', { json: state.validated });
    say(t('plan.announced', { id: d.draw_id, index: d.announce_index }), 'ok');
    state.validated = null;
    await loadDraws(d.draw_id);
    showTab('follow');
  } catch (e) {
    fail(e);
  }
}

// -- follow, execute, cancel, result ----------------------------------------------------------

async function loadDraws(select) {
  const draws = await api('GET', '/api/draws');
  const s = $('draw-select');
  const chosen = select || s.value;
  s.replaceChildren();
  if (!draws.length) s.append(el('option', { value: '', text: t('follow.none') }));
  for (const d of draws) s.append(el('option', { value: d.draw_id, 'data-status': d.status, text: `${d.draw_id} · ${t(`status.${d.status}`)}` }));
  if (draws.some((d) => d.draw_id === chosen)) s.value = chosen;
  await chooseDraw();
}

async function chooseDraw() {
  clearInterval(state.timer);
  state.result = null;
  $('result-box').hidden = true;
  const id = $('draw-select').value;
  state.draw = id || null;
  $('follow-box').hidden = !id;
  if (!id) return;
  await refreshFollow();
  state.timer = setInterval(() => refreshFollow().catch(() => {}), 1000);
}

async function refreshFollow() {
  const id = state.draw;
  if (!id || !state.session) return;
  const f = await api('GET', `/api/console/draws/${encodeURIComponent(id)}/follow`);
  if (id !== state.draw) return;
  const box = $('follow-box');
  box.dataset.status = f.status;
  $('f-status').textContent = t(`status.${f.status}`);
  $('f-round').textContent = String(f.round);
  $('f-round-time').textContent = `${local(f.round_time)} (UTC ${f.round_time})`;
  $('f-commit-by').textContent = `${local(f.commit_by)} (UTC ${f.commit_by})`;
  const left = $('time-left');
  left.dataset.seconds = f.seconds_to_round;
  left.textContent = f.seconds_to_round > 0 ? `${Math.floor(f.seconds_to_round / 3600)}:${String(Math.floor(f.seconds_to_round / 60) % 60).padStart(2, '0')}:${String(f.seconds_to_round % 60).padStart(2, '0')}` : t('follow.due');
  const policy = $('policy');
  policy.dataset.met = String(f.policy_met);
  policy.className = f.policy_met ? 'ok' : 'bad';
  policy.textContent = f.policy_met ? t('follow.met') : `${t('follow.notmet')}${f.commitment_reason ? `: ${f.commitment_reason}` : ''}`;
  const body = document.querySelector('#witnesses tbody');
  body.replaceChildren();
  for (const w of f.witnesses) {
    body.append(el('tr', { 'data-witness': w.name, 'data-cosigned': w.cosigned_at ? 'yes' : 'no', 'data-in-time': String(w.in_time) },
      el('td', { class: 'mono', text: w.name }), el('td', { text: w.cosigned_at ? `${local(w.cosigned_at)} (UTC ${w.cosigned_at})` : '—' }),
      el('td', { class: w.in_time ? 'ok' : 'bad', text: w.in_time ? t('yes') : t('no') })));
  }
  // a return-visit draw is executed through its own route (the commission's), any other
  // through the ordinary one (the role decides which buttons show, at sign-in)
  const returnVisit = f.kind === 'return_visit';
  document.querySelector('[data-action="execute"]').disabled = !f.can_execute || returnVisit;
  document.querySelector('[data-action="return-visit-execute"]').disabled = !f.can_execute || !returnVisit;
  $('cancel-box').hidden = !(f.can_cancel && state.session.actions.cancel);
  if (f.status === 'drawn' && !state.result) await loadResult(id);
}

async function publish() {
  try {
    const p = await api('POST', '/api/checkpoints/publish');
    say(t('follow.published', { size: p.tree_size, drawn: p.committed.join(', ') || '—' }), 'ok');
    await refreshFollow();
  } catch (e) {
    fail(e);
  }
}

async function execute(returnVisit = false) {
  const id = state.draw;
  const button = document.querySelector(`[data-action="${returnVisit ? 'return-visit-execute' : 'execute'}"]`);
  button.disabled = true;
  try {
    const path = returnVisit ? `/api/return-visits/${encodeURIComponent(id)}/execute` : `/api/draws/${encodeURIComponent(id)}/execute`;
    const d = await api('POST', path, { json: { timeout: 60 } });
    say(t(returnVisit ? 'rv.executed' : 'follow.executed', { id, index: d.result_index }), 'ok');
    await loadDraws(id);
  } catch (e) {
    fail(e);
  }
}

async function cancelDraw() {
  const reason = $('cancel-reason').value.trim();
  if (!reason) return say(t('cancel.noreason'), 'error');
  try {
    const d = await api('POST', `/api/draws/${encodeURIComponent(state.draw)}/cancel`, { json: { reason } });
    say(`${t('cancel.done', { id: d.draw_id, reason })}${d.warning ? `\n${d.warning}` : ''}`, d.warning ? 'error' : 'ok');
    await loadDraws(d.draw_id);
  } catch (e) {
    fail(e);
  }
}

function teamText(team) {
  if (!team) return '';
  const parts = team.members.map((m) => `${t(`role.${m.role}`)}: ${m.name ? `${m.name} ` : ''}${m.person_id}`);
  for (const r of team.unfilled || []) parts.push(`${t(`role.${r}`)}: ${t('result.unfilled')}`);
  return parts.join('; ');
}

async function loadResult(id) {
  const r = await api('GET', `/api/console/draws/${encodeURIComponent(id)}/result`);
  if (id !== state.draw) return;
  state.result = r;
  $('result-box').hidden = false;
  const link = $('public-link');
  link.hidden = !r.public_page;
  if (r.public_page) link.href = r.public_page;
  $('result-meta').textContent = t('result.meta', { index: r.result_index, round: r.beacon.round, seed: r.seed });
  const labels = (state.template && state.template.labels) || {};
  const box = $('strata');
  box.replaceChildren();
  for (const st of r.strata) {
    const body = el('tbody');
    for (const s of r.selected.filter((x) => x.stratum === st.name)) {
      body.append(el('tr', { 'data-unit-id': s.unit_id, 'data-brigade': s.brigade }, el('td', { text: String(s.rank) }), el('td', { class: 'mono', text: s.unit_id }), el('td', { text: s.name }), el('td', { text: s.brigade }), el('td', { class: 'mono', title: s.ticket, text: `${s.ticket.slice(0, 12)}…` }), el('td', { text: teamText(s.team) })));
    }
    const head = el('tr', {}, ...['col.rank', 'col.unit', 'col.name', 'col.brigade', 'col.ticket', 'col.team'].map((k) => el('th', { text: t(k) })));
    const reserve = st.reserve.map((u) => `${u.unit_id} ${u.name}`).join('、') || t('result.none');
    box.append(el('div', { class: 'stratum', 'data-stratum': st.name },
      el('h4', {}, `${t('result.stratum')} ${labels[st.name] ? `${labels[st.name]} ` : ''}`, el('span', { class: 'mono', text: st.name }), ' ', el('small', { text: t('result.nk', { n: st.n, k: st.k }) })),
      el('table', { class: 'selected' }, el('thead', {}, head), body),
      el('p', { class: 'reserve' }, `${t('result.reserve')}: `, el('span', { class: 'mono', text: reserve }))));
  }
  renderAfter();
}

// -- after: outcomes, evidence, notices --------------------------------------------------------

function renderAfter() {
  const r = state.result;
  const ok = Boolean(r && r.draw_id === state.draw);
  $('after-draw').textContent = ok ? t('after.draw', { id: r.draw_id, title: r.title || '' }) : t('after.nodraw');
  for (const id of ['outcome-form', 'evidence-hashes']) $(id).hidden = !ok;
  for (const a of ['record-outcome', 'export-notices']) {
    const b = document.querySelector(`[data-action="${a}"]`);
    b.disabled = !ok;
  }
  if (!ok) return;
  const unit = $('outcome-unit');
  const chosen = unit.value;
  unit.replaceChildren();
  const done = new Set(r.outcomes.filter((o) => o.in_force).map((o) => o.unit_id));
  for (const s of r.selected) unit.append(el('option', { value: s.unit_id, text: `${s.unit_id} ${s.name}${done.has(s.unit_id) ? ' ✓' : ''}` }));
  for (const st of r.strata) for (const u of st.reserve) unit.append(el('option', { value: u.unit_id, text: `${u.unit_id} ${u.name} (${t('result.reserve')})` }));
  if (chosen) unit.value = chosen;
  if (!$('outcome-date').value) $('outcome-date').value = localDate(new Date()); // an outcome is never dated in the future
  const names = Object.fromEntries(r.selected.map((s) => [s.unit_id, s.name]));
  const body = document.querySelector('#outcomes tbody');
  body.replaceChildren();
  for (const o of r.outcomes) {
    const relation = [o.supersedes !== null && o.supersedes !== undefined ? t('after.corrects', { index: o.supersedes }) : '',
      o.in_force ? t('after.inforce') : t('after.correctedby', { index: o.superseded_by })].filter(Boolean).join('; ');
    body.append(el('tr', { 'data-unit-id': o.unit_id, 'data-result': o.result, 'data-log-index': String(o.log_index), 'data-in-force': String(o.in_force), 'data-supersedes': o.supersedes ?? null, class: o.in_force ? null : 'superseded' },
      el('td', { text: `${o.unit_id} ${names[o.unit_id] || ''}` }), el('td', { text: o.date }), el('td', { text: t(`outcome.${o.result}`) }),
      el('td', { class: 'mono', text: (o.evidence_sha256 || []).join(' ') }), el('td', { text: o.note || '' }), el('td', { text: relation }), el('td', { text: String(o.log_index) })));
  }
  renderSupersedes();
  const brigade = $('notice-brigade');
  const was = brigade.value;
  brigade.replaceChildren(brigade.options[0]);
  for (const b of [...new Set(r.selected.map((s) => s.brigade))].sort()) brigade.append(el('option', { value: b, text: b }));
  brigade.value = was;
}

/** The outcomes a new entry may correct: only the one in force for the chosen unit
 * (docs/spec/verification.md "Outcomes"); none means a new outcome. */
function renderSupersedes() {
  const r = state.result;
  const select = $('outcome-supersedes');
  const was = select.value;
  select.replaceChildren(select.options[0]);
  if (!r) return;
  const unit = $('outcome-unit').value;
  for (const o of r.outcomes.filter((x) => x.in_force && x.unit_id === unit)) {
    select.append(el('option', { value: String(o.log_index), text: t('after.supersedes.option', { index: o.log_index, unit: o.unit_id, result: t(`outcome.${o.result}`), date: o.date }) }));
  }
  select.value = [...select.options].some((o) => o.value === was) ? was : '';
}

async function hashEvidence() {
  const list = $('evidence-hashes');
  list.replaceChildren();
  state.evidence = [];
  const files = [...$('evidence-files').files];
  list.dataset.state = 'hashing';
  for (const f of files) {
    const item = el('li', { text: `${f.name}: ${t('after.hashing')}` });
    list.append(item);
    const digest = bytesToHex(await sha256(new Uint8Array(await f.arrayBuffer())));
    item.dataset.sha256 = digest;
    item.textContent = `${digest}  ${f.name} (${f.size} B)`;
    state.evidence.push(digest);
  }
  list.dataset.state = 'done';
}

async function recordOutcome() {
  const r = state.result;
  if (!r) return;
  const body = { unit_id: $('outcome-unit').value, date: $('outcome-date').value, result: $('outcome-result').value, note: $('outcome-note').value.trim(), evidence_sha256: [...new Set(state.evidence)] };
  const supersedes = $('outcome-supersedes').value;
  if (supersedes) {
    if (!body.note) return say(t('after.correct.noreason'), 'error');
    body.supersedes = Number(supersedes);
  }
  try {
    const o = await api('POST', `/api/draws/${encodeURIComponent(r.draw_id)}/outcomes`, { json: body });
    say(supersedes ? t('after.corrected', { old: supersedes, index: o.log_index }) : t('after.recorded', { unit: o.unit_id, index: o.log_index }), 'ok');
    $('outcome-note').value = '';
    $('evidence-files').value = '';
    $('evidence-hashes').replaceChildren();
    state.evidence = [];
    state.result = null;
    await loadResult(r.draw_id);
  } catch (e) {
    fail(e);
  }
}

async function exportNotices() {
  const r = state.result;
  if (!r) return;
  const brigade = $('notice-brigade').value;
  const fmt = $('notice-format').value;
  try {
    const resp = await api('GET', `/api/console/draws/${encodeURIComponent(r.draw_id)}/notices`, { query: { brigade, format: fmt }, raw: true });
    const blob = await resp.blob();
    const name = `notices-${r.draw_id}-${brigade || 'all'}.${fmt}`;
    const a = el('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    say(t('notices.done', { rows: resp.headers.get('X-Notice-Rows'), file: name }), 'ok');
  } catch (e) {
    fail(e);
  }
}

// -- return visits (the commission) ------------------------------------------------------------

function currentQuarter() {
  const d = new Date();
  return `${d.getUTCFullYear()}Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

async function planReturnVisit() {
  const body = { quarter: $('rv-quarter').value.trim() || currentQuarter() };
  const ratio = $('rv-ratio').value.trim();
  const id = $('rv-draw-id').value.trim();
  if (ratio) body.ratio = ratio;
  if (id) body.draw_id = id;
  const button = document.querySelector('[data-action="return-visit-plan"]');
  button.disabled = true;
  try {
    const p = await api('POST', '/api/return-visits/plan', { json: body });
    state.returnVisit = p;
    $('rv-box').hidden = false;
    $('rv-box').dataset.drawId = p.draw.draw_id;
    $('rv-pool').textContent = `${p.pool.snapshot} (${t('col.index')} ${p.pool.log_index})`;
    $('rv-count').textContent = String(p.pool.count);
    $('rv-draw').textContent = `${p.draw.draw_id} · ${t(`status.${p.draw.status}`)}`;
    say(t('rv.planned', { id: p.draw.draw_id, pool: p.pool.snapshot, count: p.pool.count, reused: p.pool.reused ? t('rv.reused') : '' }), 'ok');
    await loadSnapshots();
  } finally {
    button.disabled = false;
  }
}

async function followReturnVisit() {
  const p = state.returnVisit;
  if (!p) return;
  showTab('follow');
  await loadDraws(p.draw.draw_id);
}

// -- audit trail (admin) --------------------------------------------------------------------

async function loadAudit() {
  const rows = await api('GET', '/api/admin/audit', { query: { limit: 200 } });
  const body = document.querySelector('#audit-table tbody');
  body.replaceChildren();
  for (const a of rows) {
    let content = '';
    if (a.detail) {
      try {
        const d = JSON.parse(a.detail);
        content = d.body !== undefined ? d.body : `${d.bytes} B, SHA-256 ${d.sha256}`;
      } catch {
        content = a.detail;
      }
    }
    const cell = content.length > 160
      ? el('details', {}, el('summary', { text: `${content.slice(0, 120)}…` }), el('pre', { class: 'json', text: content }))
      : content;
    body.append(el('tr', { 'data-audit-id': String(a.id), 'data-status': String(a.status) }, el('td', { text: local(a.at) }), el('td', { text: a.actor ?? '—' }), el('td', { text: a.role ?? '' }), el('td', { class: 'mono', text: `${a.method} ${a.path}` }), el('td', { text: String(a.status) }), el('td', { class: 'mono detail' }, cell)));
  }
}

// -- wiring -------------------------------------------------------------------------------------

function on(selector, event, fn) {
  for (const e of document.querySelectorAll(selector)) e.addEventListener(event, (ev) => Promise.resolve(fn(ev)).catch(fail));
}

function start() {
  applyLang();
  $('lang').textContent = currentLang() === 'en' ? '中文' : 'English';
  on('#lang', 'click', () => {
    setLang(currentLang() === 'en' ? 'zh' : 'en');
    $('lang').textContent = currentLang() === 'en' ? '中文' : 'English';
    if (state.template) renderTemplate(state.template);
    if (state.result) loadResult(state.result.draw_id);
  });
  on('#signin-form', 'submit', (ev) => {
    ev.preventDefault();
    return signIn($('token').value.trim());
  });
  on('#sign-out', 'click', () => signOut(true));
  on('[data-tab]', 'click', (ev) => showTab(ev.currentTarget.dataset.tab));
  on('[data-action="import-preview"]', 'click', previewImport);
  on('[data-action="import-commit"]', 'click', commitImport);
  on('#confirm-mass-removal', 'change', updateCommit);
  on('#template-select', 'change', chooseTemplate);
  on('#template-save', 'click', saveTemplate);
  on('input[name="beacon-mode"], #beacon-round, #beacon-not-before', 'change', proposeRound);
  on('[data-action="plan-validate"]', 'click', validatePlan);
  on('[data-action="plan-announce"]', 'click', announcePlan);
  on('#plan-form', 'input', () => { document.querySelector('[data-action="plan-announce"]').disabled = true; state.validated = null; });
  on('#draw-select', 'change', chooseDraw);
  on('[data-action="publish"]', 'click', publish);
  on('[data-action="execute"]', 'click', () => execute(false));
  on('[data-action="return-visit-execute"]', 'click', () => execute(true));
  on('[data-action="return-visit-plan"]', 'click', planReturnVisit);
  on('#rv-follow', 'click', followReturnVisit);
  on('#outcome-unit', 'change', renderSupersedes);
  on('[data-action="cancel"]', 'click', cancelDraw);
  on('#evidence-files', 'change', hashEvidence);
  on('[data-action="record-outcome"]', 'click', recordOutcome);
  on('[data-action="export-notices"]', 'click', exportNotices);
  on('#audit-refresh', 'click', loadAudit);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token);
}

start();

/**
 * How a draw was made, on its page (docs/spec/portal.md "What the page shows"): the rules
 * of the proven announce (strata with display names, quotas, each stratum's cut-off ticket,
 * exclusions with reasons, recusals, zones, team rules), when each witness co-signed the
 * commitment checkpoint and the current one, and the beacon (chain, round, round time,
 * signature, randomness, announce hash, seed).
 *
 * Everything comes from the worker's `out`: proven log entries (announce, result), verified
 * cosignatures (out.witnessTimes), trust.json (out.chain) and the snapshot records (names).
 * A value whose vouching check did not pass carries the "未验证 / not verified" badge
 * (`data-check-status` on its row says which check and how it ended).
 * Display names of codes: a record's own `brigade_name`, else assets/i18n.js (`stratum.*`,
 * `brigade.*`, `zone.*`, `attr.*`, `val.*`, `reason.*`), else the code itself.
 * Rendering only: no I/O, the caller re-renders on a language change.
 */
import { codeLabel, currentLang, t } from './i18n.js';

export const UNVERIFIED = '未验证 / not verified';
const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
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

export const unverifiedBadge = () => el('span', { class: 'unverified-badge', 'data-unverified': '1', text: UNVERIFIED });

/** A brigade's name: the records' brigade_name (Chinese), the i18n label, or the code. */
export function brigadeLabel(code, names = {}) {
  if (!code) return '';
  const own = names && Object.prototype.hasOwnProperty.call(names, code) ? names[code] : null;
  const known = codeLabel('brigade', code);
  if (currentLang() === 'en') return known !== code ? known : own ? `${own} (${code})` : code;
  return own || known;
}

/** A stratum's display name followed by its code, or the code alone. */
export function stratumTitle(code) {
  const label = codeLabel('stratum', code);
  return label === code
    ? el('span', { class: 'mono', text: code })
    : el('span', {}, label, ' ', el('span', { class: 'code-label mono', text: code }));
}

/** The ticket of the last selected unit (largest rank) of each stratum: its cut-off. */
export function cutoffs(result) {
  const last = new Map();
  for (const s of (result && result.selected) || []) {
    const seen = last.get(s.stratum);
    if (!seen || s.rank > seen.rank) last.set(s.stratum, s);
  }
  return new Map([...last].map(([name, s]) => [name, s.ticket]));
}

const isoOf = (seconds) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** [local time with its UTC offset, UTC in RFC 3339] of POSIX seconds, on this computer's clock zone. */
function timeParts(seconds) {
  const d = new Date(Number(seconds) * 1000);
  const off = -d.getTimezoneOffset();
  const zone = `UTC${off < 0 ? '−' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return [`${local} (${t('time.local')} ${zone})`, `UTC ${isoOf(Number(seconds))}`];
}

const known = (seconds) => seconds !== null && seconds !== undefined && Number.isFinite(Number(seconds));

/** POSIX seconds as one line: local time with its offset, then UTC. */
export function timeText(seconds) {
  return known(seconds) ? timeParts(seconds).join(' · ') : '–';
}

/** POSIX seconds for a table cell: local time, UTC on a second, smaller line. */
export function timeNode(seconds) {
  if (!known(seconds)) return el('span', { text: '–' });
  const [local, utc] = timeParts(seconds);
  return el('span', { class: 'time', 'data-timestamp': String(seconds) }, local, el('br'), el('span', { class: 'time-utc', text: utc }));
}

function checkStatus(out, name) {
  const c = (out.allChecks || out.checks || []).find((x) => x.name === name);
  return c ? c.status : 'skipped';
}

function valueLabel(attr, v, names) {
  if (attr === 'brigade' && typeof v === 'string') return brigadeLabel(v, names);
  if (typeof v === 'boolean') return t(`val.${v}`);
  return typeof v === 'string' ? codeLabel('val', v) : String(v);
}

/** A stratum's `match` in words: "attribute: value / value; …", or "every unit" for {}. */
export function matchText(match, names) {
  const parts = Object.entries(match || {}).map(([attr, allowed]) =>
    `${codeLabel('attr', attr)}: ${(allowed || []).map((v) => valueLabel(attr, v, names)).join(` ${t('match.or')} `)}`);
  return parts.length ? parts.join(currentLang() === 'en' ? '; ' : '；') : t('match.all');
}

/** A quota in words (DESIGN §5 step 5): ratio p/q rounded up, count c or all; min; reserve. */
export function quotaText(q) {
  const parts = [];
  if (!q) return '';
  if (q.ratio !== undefined) parts.push(t('quota.ratio', { r: q.ratio }));
  else if (q.count !== undefined) parts.push(t('quota.count', { c: q.count }));
  else if (q.all) parts.push(t('quota.all'));
  if (q.min !== undefined) parts.push(t('quota.min', { m: q.min }));
  if (q.reserve) parts.push(t('quota.reserve', { r: q.reserve }));
  return parts.join(currentLang() === 'en' ? ', ' : '，');
}

const unitText = (out, id) => {
  const u = (out.units || {})[id];
  return u && u.name ? `${id} ${u.name}` : id;
};
const personText = (out, id) => {
  const p = (out.people || {})[id];
  return p && p.name ? `${p.name} (${id})` : id;
};
const heading = (key) => el('h3', { 'data-i18n': key, text: t(key) });

function renderRules(out) {
  const a = out.announce;
  const box = $('rules');
  if (!a || !box) return;
  $('rules-section').hidden = false;
  const names = out.brigadeNames || {};
  const result = out.result;
  const cut = cutoffs(result);
  const counted = new Map(((result && result.strata) || []).map((s) => [s.name, s]));
  const parts = [];

  const facts = [
    ['rules.kind', t(`kind.${a.kind}`)],
    ['rules.period', `${a.period.from} – ${a.period.to}`],
  ];
  const snaps = ['units', 'inspectors', 'experts'].filter((k) => a[k])
    .map((k) => `${t(`snapshot.${k}`)}: ${a[k].snapshot}, ${a[k].count}, ${a[k].root.slice(0, 16)}…`);
  facts.push(['rules.snapshots', snaps.join(' · ')]);
  parts.push(el('table', { class: 'rules-facts' }, el('tbody', {}, ...facts.map(([k, v]) =>
    el('tr', { 'data-rule': k.split('.')[1] }, el('td', { 'data-i18n': k, text: t(k) }), el('td', { text: v }))))));

  parts.push(heading('rules.strata'), el('p', { class: 'meta', text: t('rules.order') }));
  const head = el('tr', {}, ...['col.stratum', 'col.match', 'col.quota', 'col.n', 'col.k', 'col.cutoff']
    .map((k) => el('th', { 'data-i18n': k, text: t(k) })));
  const rows = a.strata.map((s) => {
    const c = counted.get(s.name);
    const ticket = cut.get(s.name) ?? null;
    return el('tr', { 'data-rule-stratum': s.name, 'data-cutoff': ticket ?? '' },
      el('td', {}, stratumTitle(s.name)), el('td', { text: matchText(s.match, names) }), el('td', { text: quotaText(s.quota) }),
      el('td', { text: c ? String(c.n) : '–' }), el('td', { text: c ? String(c.k) : '–' }),
      el('td', { class: 'mono', title: ticket ?? '', text: ticket ? `${ticket.slice(0, 16)}…` : '–' }));
  });
  parts.push(el('table', { class: 'rules-strata' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  if (result && Number.isInteger(result.unmatched)) parts.push(el('p', { 'data-unmatched': String(result.unmatched), text: t('rules.unmatched', { n: result.unmatched }) }));

  if ((a.exclusions || []).length) {
    parts.push(heading('rules.exclusions'), el('ul', { class: 'exclusions' }, ...a.exclusions.map((x) =>
      el('li', { 'data-exclusion': x.unit_id }, el('span', { text: unitText(out, x.unit_id) }), ' — ',
        el('span', { class: 'reason', text: codeLabel('reason', x.reason) })))));
  }
  if ((a.recusals || []).length) {
    const applied = (person, unit) => ((result && result.selected) || []).filter((s) => s.unit_id === unit && s.team
      && (s.team.skipped || []).some((k) => k.person_id === person && k.reason === 'recusal')).length;
    parts.push(heading('rules.recusals'), el('ul', { class: 'recusals' }, ...a.recusals.map(([person, unit]) => {
      const n = applied(person, unit);
      return el('li', { 'data-recusal': `${person} ${unit}`, 'data-applied': String(n) },
        `${personText(out, person)} ↔ ${unitText(out, unit)}`, n ? el('small', { text: ` (${t('rules.recusal-applied', { n })})` }) : null);
    })));
  }
  const zones = Object.entries(a.zones || {});
  if (zones.length) {
    parts.push(heading('rules.zones'), el('table', { class: 'zones' }, el('tbody', {}, ...zones.map(([zone, brigades]) =>
      el('tr', { 'data-zone': zone }, el('td', {}, codeLabel('zone', zone), ' ', el('span', { class: 'code-label mono', text: zone })),
        el('td', { text: brigades.map((b) => brigadeLabel(b, names)).join(currentLang() === 'en' ? ', ' : '、') }))))));
  }
  parts.push(heading('rules.teams'));
  if (a.teams) {
    const tm = a.teams;
    const scopes = (tm.scopes || ['detachment']).map((s) => t(`scope.${s}`)).join(' → ');
    parts.push(el('ul', { class: 'team-rules', 'data-teams': '1' },
      el('li', { text: t('teams.size', { a: tm.assistants ?? 1, e: tm.experts ?? 0 }) }),
      el('li', { text: t('teams.scopes', { s: scopes }) }),
      tm.exclude_own_brigade ? el('li', { text: t('teams.own') }) : null,
      el('li', { text: t('teams.certs', { d: a.period.to }) })));
  } else {
    parts.push(el('p', { 'data-teams': '0', text: t('teams.none') }));
  }
  box.replaceChildren(el('div', { class: 'rules' }, ...parts));
}

function timeCell(seconds, deadline, check, status) {
  if (seconds === null) return el('td', { class: 'none', text: t('witness.none') });
  const inTime = deadline === null ? null : seconds <= deadline;
  return el('td', { 'data-timestamp': String(seconds) }, timeNode(seconds),
    inTime === null ? null : el('span', { class: inTime ? 'in-time' : 'late', text: ` · ${t(inTime ? 'witness.in-time' : 'witness.late')}` }),
    status === 'pass' ? null : ' ', status === 'pass' ? null : unverifiedBadge());
}

function renderWitnesses(out) {
  const w = out.witnessTimes;
  const box = $('witnesses');
  if (!w || !box) return;
  $('witness-section').hidden = false;
  const parts = [];
  const timing = checkStatus(out, 'commitment-timing');
  const current = checkStatus(out, 'witness-cosignatures');
  const met = w.met && w.commitment;
  // The timeline: round time − margin = deadline; the quorum time of the commitment checkpoint.
  const line = (key, attrs, ...value) => el('tr', attrs, el('td', { 'data-i18n': key, text: t(key) }), el('td', {}, ...value));
  parts.push(el('table', { class: 'timeline' }, el('tbody', {},
    line('witness.round-time', { 'data-time': 'round' }, timeNode(w.roundTime)),
    line('witness.margin', { 'data-time': 'margin' }, t('witness.seconds', { m: w.margin })),
    line('witness.deadline', { id: 'witness-deadline', 'data-deadline': w.deadline === null ? '' : String(w.deadline) }, timeNode(w.deadline)),
    line('witness.quorum-time', { 'data-time': 'quorum', 'data-quorum-time': met ? String(w.commitment.quorumTime) : '' },
      met ? timeNode(w.commitment.quorumTime) : '–'))));
  parts.push(el('p', { id: 'witness-policy', class: met ? 'policy-met' : 'policy-missed', 'data-met': met ? '1' : '0' },
    met ? t('witness.met', { q: w.quorum ?? '' }) : t('witness.missed', { q: w.quorum ?? '' }),
    timing === 'pass' ? null : ' ', timing === 'pass' ? null : unverifiedBadge()));
  if (!w.commitment) parts.push(el('p', { text: t('witness.no-commitment') }));
  const head = el('tr', {}, el('th', { 'data-i18n': 'col.witness', text: t('col.witness') }),
    el('th', { 'data-commitment-size': w.commitment ? String(w.commitment.treeSize) : '' },
      w.commitment ? t('witness.commitment', { n: w.commitment.treeSize }) : '–'),
    el('th', { 'data-current-size': w.current ? String(w.current.treeSize) : '' }, w.current ? t('witness.current', { n: w.current.treeSize }) : '–'));
  const rows = w.witnesses.map((x) => el('tr', {
    'data-witness': x.name, 'data-commitment-timestamp': x.commitment === null ? '' : String(x.commitment),
    'data-current-timestamp': x.current === null ? '' : String(x.current),
  }, el('td', { class: 'mono', text: x.name }),
  w.commitment ? timeCell(x.commitment, w.deadline, 'commitment-timing', timing) : el('td', { text: '–' }),
  w.current ? timeCell(x.current, null, 'witness-cosignatures', current) : el('td', { text: '–' })));
  parts.push(el('table', { class: 'witnesses' }, el('thead', {}, head), el('tbody', {}, ...rows)));
  box.replaceChildren(...parts);
}

function renderBeacon(out) {
  const a = out.announce;
  const body = $('beacon');
  if (!a || !body) return;
  $('beacon-section').hidden = false;
  const b = a.beacon || {};
  const r = out.result;
  const fromAnnounce = t('beacon.from-announce', { i: out.announceIndex });
  const fromResult = r ? t('beacon.from-result', { i: out.resultIndex }) : '';
  const rows = [];
  const row = (key, value, shown, source, check) => {
    const status = checkStatus(out, check);
    rows.push(el('tr', { 'data-beacon': key, 'data-value': String(value), 'data-verified-by': check, 'data-check-status': status },
      el('td', { 'data-i18n': `beacon.${key}`, text: t(`beacon.${key}`) }),
      el('td', { class: shown === value ? 'mono' : null }, shown, status === 'pass' ? null : ' ', status === 'pass' ? null : unverifiedBadge()),
      el('td', { class: 'meta', text: source })));
  };
  row('chain', b.chain_hash, b.chain_hash, fromAnnounce, 'beacon-identity');
  row('scheme', b.scheme, b.local ? `${b.scheme} (LOCAL)` : b.scheme, fromAnnounce, 'beacon-identity');
  if (out.chain) row('key', out.chain.keyFingerprint, out.chain.keyFingerprint, t('beacon.from-trust'), 'beacon-identity');
  row('round', b.round, String(b.round), fromAnnounce, 'beacon-identity');
  const rt = Date.parse(b.round_time);
  row('round_time', b.round_time, Number.isFinite(rt) ? timeNode(rt / 1000) : String(b.round_time), fromAnnounce, 'beacon-identity');
  if (r && r.beacon) {
    row('signature', r.beacon.signature, r.beacon.signature, fromResult, 'beacon-signature');
    if (r.beacon.previous_signature !== undefined) row('previous_signature', r.beacon.previous_signature, r.beacon.previous_signature, fromResult, 'beacon-signature');
    row('randomness', r.beacon.randomness, r.beacon.randomness, fromResult, 'beacon-signature');
    row('spec_hash', r.spec_hash, r.spec_hash, fromResult, 'recompute');
    row('seed', r.seed, r.seed, fromResult, 'recompute');
  } else {
    rows.push(el('tr', { 'data-beacon': 'pending' }, el('td', { colSpan: 3, text: t('beacon.pending') })));
  }
  if (b.local) rows.push(el('tr', { 'data-beacon': 'local' }, el('td', { colSpan: 3, class: 'late', text: t('beacon.local') })));
  body.replaceChildren(...rows);
}

/** The rules, witness and beacon sections of a draw page (hidden until there is an announce). */
export function renderStory(out) {
  renderRules(out);
  renderWitnesses(out);
  renderBeacon(out);
}

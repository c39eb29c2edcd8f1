/**
 * Fairness over many draws (docs/spec/stats.md, issue 19): the browser twin of
 * draw_engine/stats.py. Same inputs (proven entries by leaf index, records of
 * snapshots whose roots the caller checked, published diff ids documents), same
 * output, digit for digit; both read tests/vectors/stats/*.json.
 *
 * Distributions are IEEE doubles computed with + - * / only, in the order the
 * Python module uses, so both give the same bits; expectations are exact
 * fractions (BigInt) printed with three decimals. The registry-gap rule and the
 * team-load spread are the twins of draw_engine/registry_gaps.py and
 * draw_engine/team_load.py. Pure: no fetch, no clock, no DOM.
 */
import { bytesToHex, hexToBytes } from './bytes.js';
import { compileMatch, matches, parseAnnounce, ticket } from './draw.js';
import { checkIdsFile, entryType, snapshotDiffRef } from './entries.js';
import { checkAnnounce, checkResults, drawHistories } from './history.js';
import { VerificationError } from './errors.js';

export const ALPHA = 0.05;
export const TAIL = 1e-20;
const MOST_DRAWN = 10;
const UNKNOWN = '?';
const DUTY_ROLES = ['lead', 'assist'];

/** Python's str order (code points). */
export function byCodePoint(a, b) {
  const x = [...a].map((c) => c.codePointAt(0));
  const y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
const sortedKeys = (iterable) => [...iterable].sort(byCodePoint);
const byTuple = (a, b) => {
  for (let i = 0; i < a.length; i++) {
    const d = byCodePoint(a[i], b[i]);
    if (d) return d;
  }
  return 0;
};

// -- exact and float arithmetic shared with stats.py ----------------------------------------------

const gcd = (a, b) => {
  while (b) [a, b] = [b, a % b];
  return a;
};
export class Fraction {
  constructor(num, den = 1n) {
    const g = gcd(num < 0n ? -num : num, den) || 1n;
    this.num = num / g;
    this.den = den / g;
  }

  add(other) {
    return new Fraction(this.num * other.den + other.num * this.den, this.den * other.den);
  }
}
export function formatFraction(f) {
  const thousandths = (f.num * 2000n + f.den) / (2n * f.den);
  return `${thousandths / 1000n}.${String(thousandths % 1000n).padStart(3, '0')}`;
}
export function formatMilli(x) {
  const thousandths = Math.floor(x * 1000 + 0.5);
  return `${Math.floor(thousandths / 1000)}.${String(thousandths % 1000).padStart(3, '0')}`;
}
const decimalValue = (text) => Number(text);

function trim(offset, p) {
  let lo = 0;
  let hi = p.length;
  while (hi - lo > 1 && p[lo] < TAIL) lo++;
  while (hi - lo > 1 && p[hi - 1] < TAIL) hi--;
  return [offset + lo, p.slice(lo, hi)];
}

/** Units of a group of `good` among `k` drawn without replacement from `n`: [offset, probabilities]. */
export function hypergeometric(n, good, k) {
  const low = Math.max(0, k - (n - good));
  const high = Math.min(k, good);
  const mode = Math.min(Math.max(Math.floor(((k + 1) * (good + 1)) / (n + 2)), low), high);
  const weights = new Map([[mode, 1.0]]);
  let w = 1.0;
  for (let x = mode + 1; x <= high; x++) {
    w = w * ((good - x + 1) * (k - x + 1)) / (x * (n - good - k + x));
    if (w < TAIL) break;
    weights.set(x, w);
  }
  w = 1.0;
  for (let x = mode - 1; x >= low; x--) {
    w = w * ((x + 1) * (n - good - k + x + 1)) / ((good - x) * (k - x));
    if (w < TAIL) break;
    weights.set(x, w);
  }
  const start = Math.min(...weights.keys());
  const end = Math.max(...weights.keys());
  const values = [];
  for (let x = start; x <= end; x++) values.push(weights.get(x));
  let total = 0.0;
  for (const v of values) total = total + v;
  return [start, values.map((v) => v / total)];
}

export function convolve(a, b) {
  const out = new Array(a[1].length + b[1].length - 1).fill(0.0);
  for (let i = 0; i < a[1].length; i++) {
    const pa = a[1][i];
    for (let j = 0; j < b[1].length; j++) out[i + j] = out[i + j] + pa * b[1][j];
  }
  return trim(a[0] + b[0], out);
}

/** [low, high]: P(X < low) <= tail and P(X > high) <= tail, each as tight as possible. */
export function interval([offset, p], tail) {
  let low = offset + p.length - 1;
  let cum = 0.0;
  for (let i = 0; i < p.length; i++) {
    cum = cum + p[i];
    if (cum > tail) {
      low = offset + i;
      break;
    }
  }
  let high = offset;
  cum = 0.0;
  for (let i = p.length - 1; i >= 0; i--) {
    cum = cum + p[i];
    if (cum > tail) {
      high = offset + i;
      break;
    }
  }
  return [low, high];
}

const flagOf = (drawn, low, high) => (drawn > high ? 'above' : drawn < low ? 'below' : null);
const tailOf = (rows) => ALPHA / (2 * Math.max(rows, 1));

// -- the draws -----------------------------------------------------------------------------------

function asMap(entries) {
  const pairs = entries instanceof Map ? [...entries] : Array.isArray(entries) ? entries.map((e, i) => [i, e]) : Object.entries(entries).map(([i, e]) => [Number(i), e]);
  return new Map(pairs.filter(([, e]) => e !== null && typeof e === 'object' && !Array.isArray(e)));
}

function drawn(byIndex) {
  const out = [];
  for (const h of drawHistories(byIndex).values()) {
    const a = checkAnnounce(h);
    const r = checkResults(h);
    if (r !== null) out.push([a, r]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}

function expectedByRatio(quota, n) {
  if (quota.kind === 'ratio') return new Fraction(BigInt(n) * quota.p, quota.q);
  return new Fraction(BigInt(quota.kind === 'count' ? Math.min(quota.count, n) : n));
}

/** Draw-v1 steps 3-4 (the twin of select.strata_pools): member ids of each stratum. */
export function strataPools(spec, units) {
  const compiled = spec.strata.map((s) => compileMatch(s.match));
  const pools = spec.strata.map(() => []);
  for (const unit of units) {
    // SPEC(draw-v1 §5.3): pool = active units not excluded.
    if (unit.status !== 'active' || spec.exclusions.has(unit.id)) continue;
    // SPEC(draw-v1 §5.4): a unit joins the FIRST stratum whose match holds.
    const s = compiled.findIndex((m) => matches(unit, m));
    if (s >= 0) pools[s].push(unit.id);
  }
  return pools;
}

const brigadeOf = (record) => (record && typeof record.brigade === 'string' ? record.brigade : UNKNOWN);

class Draw {
  constructor(byIndex, announceIndex, resultIndex, records) {
    this.announce = byIndex.get(announceIndex);
    this.result = byIndex.get(resultIndex);
    this.announceIndex = announceIndex;
    this.resultIndex = resultIndex;
    this.drawId = this.announce.draw_id;
    this.spec = parseAnnounce(this.announce);
    const unitsName = this.announce.units.snapshot;
    const people = this.announce.inspectors ? this.announce.inspectors.snapshot : null;
    this.units = records[unitsName] ?? null;
    this.inspectors = typeof people === 'string' ? records[people] ?? null : null;
    this.selected = this.result.selected;
    this.pools = null;
    if (this.units !== null) {
      this.pools = strataPools(this.spec, this.units);
      this.spec.strata.forEach((stratum, i) => {
        const logged = this.result.strata[i];
        if (this.pools[i].length !== logged.n) {
          throw new VerificationError(`draw ${this.drawId}: stratum ${stratum.name} has ${this.pools[i].length} members in units snapshot ${unitsName}, its result says n = ${logged.n}`);
        }
      });
    }
  }

  row() {
    const a = this.announce;
    let pool = 0;
    for (const s of this.result.strata) pool += s.n;
    return {
      draw_id: this.drawId, kind: a.kind, from: a.period.from, to: a.period.to, month: a.period.from.slice(0, 7),
      round_time: a.beacon.round_time, announce_index: this.announceIndex, result_index: this.resultIndex,
      units_snapshot: a.units.snapshot, pool, selected: this.selected.length, records: this.units !== null,
    };
  }
}

// -- the tables ----------------------------------------------------------------------------------

function strataRows(draws) {
  const rows = new Map();
  for (const d of draws) {
    const count = new Map();
    for (const s of d.selected) count.set(s.stratum, (count.get(s.stratum) ?? 0) + 1);
    d.spec.strata.forEach((stratum, i) => {
      const logged = d.result.strata[i];
      if (!rows.has(stratum.name)) rows.set(stratum.name, { stratum: stratum.name, draws: 0, pool: 0, quota: 0, drawn: 0, expected: new Fraction(0n) });
      const row = rows.get(stratum.name);
      row.draws += 1;
      row.pool += logged.n;
      row.quota += logged.k;
      row.drawn += count.get(stratum.name) ?? 0;
      row.expected = row.expected.add(expectedByRatio(stratum.quota, logged.n));
    });
  }
  return [...rows.values()].map((row) => ({ ...row, expected: formatFraction(row.expected), flag: flagOf(row.drawn, row.quota, row.quota) }));
}

class Tally {
  constructor() {
    this.drawn = 0;
    this.expected = new Fraction(0n);
    this.dist = [0, [1.0]];
  }

  add(drawnCount, expected, dist) {
    this.drawn += drawnCount;
    this.expected = this.expected.add(expected);
    this.dist = convolve(this.dist, dist);
  }

  row(tail, key) {
    const [low, high] = interval(this.dist, tail);
    return { ...key, drawn: this.drawn, expected: formatFraction(this.expected), low, high, flag: flagOf(this.drawn, low, high) };
  }
}

function getOr(map, key, make) {
  if (!map.has(key)) map.set(key, make());
  return map.get(key);
}

function groupTables(draws) {
  const brigades = new Map();
  const cells = new Map();
  const units = new Map();
  const drawnUnits = new Map();
  for (const d of draws) {
    if (d.units === null) continue;
    const byId = new Map(d.units.map((r) => [r.id, r]));
    const chosen = new Map();
    for (const s of d.selected) {
      getOr(chosen, s.stratum, () => new Set()).add(s.unit_id);
      drawnUnits.set(s.unit_id, (drawnUnits.get(s.unit_id) ?? 0) + 1);
    }
    d.spec.strata.forEach((stratum, i) => {
      const pool = d.pools[i];
      const n = pool.length;
      const k = d.result.strata[i].k;
      if (n === 0) return;
      const members = new Map();
      const hits = new Map();
      const mine = chosen.get(stratum.name) ?? new Set();
      for (const unitId of pool) {
        const b = brigadeOf(byId.get(unitId));
        members.set(b, (members.get(b) ?? 0) + 1);
        if (mine.has(unitId)) hits.set(b, (hits.get(b) ?? 0) + 1);
        getOr(units, unitId, () => []).push([k, n]);
      }
      for (const b of sortedKeys(members.keys())) {
        const dist = hypergeometric(n, members.get(b), k);
        const expected = new Fraction(BigInt(k * members.get(b)), BigInt(n));
        getOr(brigades, b, () => new Tally()).add(hits.get(b) ?? 0, expected, dist);
        getOr(cells, `${b}\u0000${stratum.name}`, () => new Tally()).add(hits.get(b) ?? 0, expected, dist);
      }
    });
  }
  const brigadeRows = sortedKeys(brigades.keys()).map((b) => brigades.get(b).row(tailOf(brigades.size), { brigade: b }));
  const cellKeys = [...cells.keys()].map((c) => c.split('\u0000')).sort(byTuple);
  const cellRows = cellKeys.map(([b, s]) => cells.get(`${b}\u0000${s}`).row(tailOf(cells.size), { brigade: b, stratum: s }));
  return [brigadeRows, cellRows, unitTable(units, drawnUnits)];
}

function unitTable(units, drawnUnits) {
  const tail = tailOf(units.size);
  const expectedHist = [];
  const observedHist = [];
  const flagged = [];
  const rows = [];
  for (const unitId of sortedKeys(units.keys())) {
    let dist = [0, [1.0]];
    let expected = new Fraction(0n);
    for (const [k, n] of units.get(unitId)) {
      const p = k / n;
      dist = convolve(dist, trim(0, [1.0 - p, p]));
      expected = expected.add(new Fraction(BigInt(k), BigInt(n)));
    }
    const times = drawnUnits.get(unitId) ?? 0;
    const [offset, probs] = dist;
    while (expectedHist.length < offset + probs.length) expectedHist.push(0.0);
    probs.forEach((v, i) => { expectedHist[offset + i] = expectedHist[offset + i] + v; });
    while (observedHist.length <= times) observedHist.push(0);
    observedHist[times] += 1;
    const [low, high] = interval(dist, tail);
    const row = { unit_id: unitId, draws: units.get(unitId).length, drawn: times, expected: formatFraction(expected), low, high, flag: flagOf(times, low, high) };
    rows.push(row);
    if (row.flag !== null) flagged.push(row);
  }
  let top = observedHist.length;
  while (top < expectedHist.length && formatMilli(expectedHist[top]) !== '0.000') top++;
  const histogram = [];
  for (let t = 0; t < top; t++) {
    histogram.push({ times: t, units: t < observedHist.length ? observedHist[t] : 0, expected: formatMilli(t < expectedHist.length ? expectedHist[t] : 0.0) });
  }
  const most = rows.slice().sort((a, b) => b.drawn - a.drawn || decimalValue(a.expected) - decimalValue(b.expected) || byCodePoint(a.unit_id, b.unit_id));
  return { pooled: units.size, histogram, flagged, most_drawn: most.slice(0, MOST_DRAWN).filter((r) => r.drawn > 0) };
}

// -- officers: the twin of draw_engine/team_load.py -------------------------------------------------

function spreadJson(scope, group, officers, duties, low, high) {
  const bestLow = officers ? Math.floor(duties / officers) : 0;
  const bestHigh = officers ? Math.ceil(duties / officers) : 0;
  return { scope, group, officers, duties, low, high, best_low: bestLow, best_high: bestHigh, excess: (high - low) - (bestHigh - bestLow) };
}

function zoneOf(zones) {
  const out = new Map();
  for (const [z, brigades] of Object.entries(zones || {})) for (const b of brigades) out.set(b, z);
  return out;
}

function drawDuties(selected) {
  const out = new Map();
  for (const sel of selected) {
    for (const m of (sel.team || {}).members || []) {
      if (DUTY_ROLES.includes(m.role)) out.set(m.person_id, (out.get(m.person_id) ?? 0) + 1);
    }
  }
  return out;
}

function dutyGroups(inspectors, zones, periodTo) {
  const zone = zoneOf(zones);
  const out = new Map();
  for (const p of inspectors) {
    const roles = p.roles || [];
    const cert = p.cert_valid_until;
    if (p.status === 'active' && roles.some((r) => DUTY_ROLES.includes(r)) && typeof cert === 'string' && cert >= periodTo) {
      const brigade = String(p.brigade ?? '');
      out.set(String(p.id), zone.has(brigade) ? zone.get(brigade) : brigade);
    }
  }
  return out;
}

function spreads(scope, duties, groups) {
  const members = new Map();
  for (const [person, group] of groups) getOr(members, group, () => []).push(duties.get(person) ?? 0);
  for (const [person, n] of duties) if (!groups.has(person)) getOr(members, UNKNOWN, () => []).push(n);
  const out = [];
  for (const group of sortedKeys(members.keys())) {
    const counts = members.get(group);
    let total = 0;
    for (const c of counts) total += c;
    if (total) out.push(spreadJson(scope, group, counts.length, total, Math.min(...counts), Math.max(...counts)));
  }
  return out;
}

function officerTables(draws) {
  const people = new Map();
  const pairs = new Map();
  draws.forEach((d, n) => {
    const brigadeOfPerson = new Map((d.inspectors || []).map((r) => [String(r.id), r]));
    const unitOf = new Map((d.units || []).map((r) => [String(r.id), r]));
    for (const s of d.selected) {
      for (const m of (s.team || {}).members || []) {
        const pid = String(m.person_id);
        const role = String(m.role);
        const row = getOr(people, pid, () => ({
          person_id: pid, brigade: null, duties: 0, roles: { lead: 0, assist: 0, expert: 0 },
          per_draw: new Array(draws.length).fill(0), unit_brigades: {}, partners: {},
        }));
        if (brigadeOfPerson.has(pid)) row.brigade = brigadeOf(brigadeOfPerson.get(pid));
        row.roles[role] = (row.roles[role] ?? 0) + 1;
        if (DUTY_ROLES.includes(role)) {
          row.duties += 1;
          row.per_draw[n] += 1;
        }
        const ub = brigadeOf(unitOf.get(String(s.unit_id)));
        row.unit_brigades[ub] = (row.unit_brigades[ub] ?? 0) + 1;
        const key = `${pid}\u0000${s.unit_id}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
      const team = ((s.team || {}).members || []).map((m) => String(m.person_id));
      for (const pid of team) {
        const partners = people.get(pid).partners;
        for (const other of team) if (other !== pid) partners[other] = (partners[other] ?? 0) + 1;
      }
    }
  });
  const sortedObject = (obj) => Object.fromEntries(sortedKeys(Object.keys(obj)).map((k) => [k, obj[k]]));
  for (const row of people.values()) {
    row.unit_brigades = sortedObject(row.unit_brigades);
    row.partners = sortedObject(row.partners);
  }
  const repeated = [...pairs].filter(([, t]) => t > 1).map(([key, t]) => [...key.split('\u0000'), t])
    .sort((a, b) => b[2] - a[2] || byTuple(a.slice(0, 2), b.slice(0, 2)));
  const perDraw = [];
  const months = new Map();
  for (const d of draws) {
    if (d.inspectors === null) continue;
    perDraw.push(...spreads(d.drawId, drawDuties(d.selected), dutyGroups(d.inspectors, d.announce.zones, d.announce.period.to)));
    getOr(months, d.row().month, () => []).push(d);
  }
  const perMonth = [];
  for (const month of sortedKeys(months.keys())) {
    const group = months.get(month);
    const latest = group[group.length - 1].inspectors || [];
    const total = new Map();
    const groups = new Map();
    for (const d of group) {
      for (const [person, n] of drawDuties(d.selected)) total.set(person, (total.get(person) ?? 0) + n);
      for (const [person, g] of dutyGroups(latest, d.announce.zones, d.announce.period.to)) groups.set(person, g);
    }
    perMonth.push(...spreads(month, total, groups));
    perMonth.push(...spreads(month, total, new Map([...groups.keys()].map((p) => [p, 'all']))));
  }
  return {
    officers: sortedKeys(people.keys()).map((p) => people.get(p)),
    pairs: pairs.size,
    repeated_pairs: repeated.map(([p, u, t]) => ({ person_id: p, unit_id: u, times: t })),
    spread: [...perDraw, ...perMonth],
  };
}

// -- the registry: the twin of draw_engine/registry_gaps.py -----------------------------------------

const GAP_WINDOW = 2;

async function unitsSnapshots(byIndex, documents) {
  const snaps = new Map();
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const e = byIndex.get(index);
    if (entryType(e) !== 'registry.snapshot' || e.kind !== 'units') continue;
    const name = e.snapshot;
    if (typeof name !== 'string' || snaps.has(name)) continue;
    const snap = { name, index, prev: typeof e.prev === 'string' ? e.prev : null, ids: null, whyMissing: '' };
    try {
      const ref = snapshotDiffRef(e);
      if (ref.ids !== null) snap.ids = ref.ids;
      else if (ref.idsSha256 !== null) {
        const doc = documents[name];
        if (doc === undefined || doc === null) snap.whyMissing = `the diff ids of snapshot ${name} are not published`;
        else snap.ids = await checkIdsFile(ref, doc);
      } else if (snap.prev !== null && (ref.added || ref.removed || ref.changed)) {
        snap.whyMissing = `snapshot ${name} logs its diff as counts only (an entry written before diffs carried ids)`;
      } else {
        snap.ids = { added: [], removed: [], changed: [], retired: [], reactivated: [] };
      }
    } catch (err) {
      if (!(err && err.name === 'EntryError')) throw err;
      snap.whyMissing = `snapshot ${name}: ${err.message}`;
    }
    snaps.set(name, snap);
  }
  return snaps;
}

/** registry_gap_findings: [{status: fail|pending|pass, drawId, …}] for every drawn draw. */
export async function registryGaps(byIndex, documents) {
  const snaps = await unitsSnapshots(byIndex, documents);
  const children = new Map();
  for (const s of snaps.values()) if (s.prev !== null) getOr(children, s.prev, () => []).push(s);
  const out = [];
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const e = byIndex.get(index);
    if (entryType(e) !== 'draw.result' || !Number.isInteger(e.announce_index)) continue;
    const announce = byIndex.get(e.announce_index);
    if (!announce || entryType(announce) !== 'draw.announce') continue;
    const name = announce.units && typeof announce.units === 'object' ? announce.units.snapshot : undefined;
    if (typeof name !== 'string' || typeof e.draw_id !== 'string') continue;
    const own = snaps.get(name);
    if (own === undefined) continue;
    const before = [];
    let step = own;
    while (step !== undefined && before.length < GAP_WINDOW && step.prev !== null) {
      before.push(step);
      step = snaps.get(step.prev);
    }
    const after = [];
    let frontier = own;
    while (after.length < GAP_WINDOW) {
      const later = (children.get(frontier.name) || []).slice().sort((a, b) => a.index - b.index);
      if (!later.length) break;
      frontier = later[0];
      if (frontier.index > index) after.push(frontier);
    }
    const missing = [...before, ...after].filter((s) => s.ids === null).map((s) => s.whyMissing);
    if (missing.length) {
      out.push({ status: 'pending', drawId: e.draw_id, reason: missing.join('; ') });
      continue;
    }
    const left = new Map();
    for (const s of before) {
      for (const u of s.ids.removed) if (!left.has(u)) left.set(u, [s, 'removed']);
      for (const u of s.ids.retired) if (!left.has(u)) left.set(u, [s, 'retired']);
    }
    const gaps = [];
    for (const s of after) {
      for (const [u, how] of [...s.ids.added.map((u) => [u, 'added']), ...s.ids.reactivated.map((u) => [u, 'reactivated'])]) {
        if (left.has(u) && !gaps.some((g) => g[0] === u)) gaps.push([u, left.get(u), [s, how]]);
      }
    }
    gaps.sort((a, b) => byCodePoint(a[0], b[0]));
    for (const [u, [outSnap, outHow], [backSnap, backHow]] of gaps) {
      out.push({ status: 'fail', drawId: e.draw_id, unit_id: u, left_in: outSnap.name, left_how: outHow, back_in: backSnap.name, back_how: backHow });
    }
    if (!gaps.length) out.push({ status: 'pass', drawId: e.draw_id });
  }
  return out;
}

async function registryTable(byIndex, documents) {
  const snapshots = [];
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const e = byIndex.get(index);
    if (entryType(e) !== 'registry.snapshot') continue;
    const row = {
      snapshot: e.snapshot ?? null, kind: e.kind ?? null, index, count: e.count ?? null, prev: e.prev ?? null,
      added: null, removed: null, changed: null, retired: null, reactivated: null,
    };
    let ref;
    let ids;
    try {
      ref = snapshotDiffRef(e);
      ids = ref.ids;
      const doc = documents[String(e.snapshot)];
      if (ids === null && ref.idsSha256 !== null && doc !== undefined && doc !== null) ids = await checkIdsFile(ref, doc);
    } catch (err) {
      if (!(err && err.name === 'EntryError')) throw err;
      snapshots.push(row);
      continue;
    }
    Object.assign(row, { added: ref.added, removed: ref.removed, changed: ref.changed });
    if (ids !== null) Object.assign(row, { retired: ids.retired.length, reactivated: ids.reactivated.length });
    snapshots.push(row);
  }
  const gaps = [];
  const pending = [];
  for (const f of await registryGaps(byIndex, documents)) {
    if (f.status === 'fail') gaps.push({ draw_id: f.drawId, unit_id: f.unit_id, left_in: f.left_in, left_how: f.left_how, back_in: f.back_in, back_how: f.back_how });
    else if (f.status === 'pending') pending.push({ draw_id: f.drawId, reason: f.reason });
  }
  return { snapshots, gaps, gaps_pending: pending };
}

/**
 * The figures of docs/spec/stats.md. entries: leaf index -> proven entry (array, Map or object);
 * records: {snapshot name: records} (roots checked by the caller); documents: {snapshot name:
 * Uint8Array of its diff ids document}; treeSize: the checkpoint's size.
 */
export async function computeStats(entries, records, documents, treeSize) {
  const byIndex = asMap(entries);
  const draws = drawn(byIndex).map(([a, r]) => new Draw(byIndex, a, r, records));
  const [brigades, cells, units] = groupTables(draws);
  return {
    version: 1,
    tree_size: treeSize,
    alpha: '0.05',
    draws: draws.map((d) => d.row()),
    pending: draws.filter((d) => d.units === null).map((d) => d.drawId),
    strata: strataRows(draws),
    brigades,
    cells,
    units,
    ...officerTables(draws),
    registry: await registryTable(byIndex, documents || {}),
  };
}

/** One unit across every drawn draw: stratum, target ticket, cut-off, rank (stats.py unit_history). */
export function unitHistory(entries, records, unitId) {
  const byIndex = asMap(entries);
  return drawn(byIndex).map(([a, r]) => {
    const d = new Draw(byIndex, a, r, records);
    const row = { draw_id: d.drawId, from: d.announce.period.from, in_snapshot: null, stratum: null, ticket: null, cutoff: null, rank: null };
    for (const s of d.selected) {
      if (s.unit_id === unitId) Object.assign(row, { stratum: s.stratum, rank: s.rank });
    }
    if (d.units !== null) {
      row.in_snapshot = d.units.some((u) => u.id === unitId);
      d.spec.strata.forEach((stratum, i) => {
        if (d.pools[i].includes(unitId)) row.stratum = stratum.name;
      });
    }
    if (row.stratum !== null) {
      row.ticket = ticket(hexToBytes(d.result.seed), 'target', unitId);
      const last = d.selected.filter((s) => s.stratum === row.stratum).map((s) => s.ticket).sort();
      row.cutoff = last.length ? last[last.length - 1] : null;
    }
    return row;
  });
}

export { bytesToHex };

/**
 * Algorithm draw-v1 (DESIGN §5; docs/spec/draw-v1.md), the browser twin of
 * draw_engine/select.py + draw_engine/announce.py.
 *
 * computeDraw(announce, units, randomness, {inspectors, experts}) returns the
 * computed part of a draw.result entry (§5 step 8) as a plain object whose
 * JCS bytes must equal Python's byte for byte (tests/vectors/draw/*.json are
 * authoritative). Pure and synchronous (hashing.js sha256Sync): no clock, no I/O;
 * an optional onProgress(doneFraction) callback lets a Web Worker report.
 * Left out: checking the records against the snapshot roots (verify-draw.js
 * does that) and anything about the beacon except its randomness bytes.
 */
import { DrawInputError } from './errors.js';
import { bytesToHex, concatBytes, utf8 } from './bytes.js';
import { sha256Scratch, sha256ScratchInto, sha256Sync } from './hashing.js';
import { canonicalBytes, canonicalize } from './jcs.js';

export const SEED_CONTEXT = 'fairdraw/draw-v1/seed';
const IDENTIFIER = /^[A-Za-z0-9._:-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const RATIO = /^(0|[1-9][0-9]{0,15})\/([1-9][0-9]{0,15})$/;
const SCOPES = ['brigade', 'zone', 'detachment'];
const REQUIRED = ['type', 'v', 'draw_id', 'title', 'authority', 'kind', 'algorithm', 'period', 'units', 'strata', 'beacon'];
const OPTIONAL = ['inspectors', 'experts', 'exclusions', 'zones', 'teams', 'recusals', 'supersedes', 'calendar'];

const RFC3339_UTC = /^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;
const BEACON_SCHEMES = ['bls-unchained-g1-rfc9380', 'pedersen-bls-chained'];
// Blank text: Python's str.isspace set plus U+FEFF, spelled out as in draw_engine/announce.py
// (JS `trim` and `\s` use other sets).
const BLANK = /^[\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$/u;

// `field` is the JSON path Python's AnnounceError names (e.g. "strata[2].quota.ratio").
const fail = (field, message) => new DrawInputError(`announce ${field || '$'}: ${message}`, { field });
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const sub = (field, key) => (field ? `${field}.${key}` : key);

function object(value, field) {
  if (!isObject(value)) throw fail(field, 'must be an object');
  return value;
}
function keys(obj, field, required, optional = []) {
  for (const k of required) if (!has(obj, k)) throw fail(sub(field, k), 'is missing');
  for (const k of Object.keys(obj)) {
    if (!required.includes(k) && !optional.includes(k)) throw fail(sub(field, k), `unknown field (allowed: ${[...required, ...optional].join(', ')})`);
  }
}
function identifier(value, field) {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) throw fail(field, `${JSON.stringify(value)} is not an ASCII identifier`);
  return value;
}
function int(value, field, minimum = 0) {
  if (!Number.isSafeInteger(value) || value < minimum) throw fail(field, `must be an integer >= ${minimum}`);
  return value;
}
function text(value, field) {
  if (typeof value !== 'string' || BLANK.test(value)) throw fail(field, 'must be a non-empty string (not only spaces)');
  return value;
}

/** True for a string YYYY-MM-DD naming a real Gregorian date, years 0001-9999 (Python date.fromisoformat). */
export function isCalendarDate(value) {
  if (typeof value !== 'string' || !DATE.test(value)) return false;
  const y = Number(value.slice(0, 4));
  const m = Number(value.slice(5, 7));
  const d = Number(value.slice(8, 10));
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}
function date(value, field) {
  if (typeof value !== 'string' || !DATE.test(value)) throw fail(field, 'must be a date YYYY-MM-DD');
  if (!isCalendarDate(value)) throw fail(field, `is not a calendar date: ${JSON.stringify(value)}`);
  return value;
}

/** draw_engine/canonical.check_value with its paths: safe integers, no floats, NFC strings without lone surrogates. */
function checkValue(value, path) {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw fail(path, 'floats are not allowed (write ratios as "p/q")');
    if (!Number.isSafeInteger(value)) throw fail(path, `integer ${value} is outside |n| < 2^53`);
    return;
  }
  if (typeof value === 'string') {
    checkString(value, path);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkValue(v, `${path}[${i}]`));
    return;
  }
  if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      checkString(k, sub(path, k));
      checkValue(v, sub(path, k));
    }
    return;
  }
  throw fail(path, `${typeof value} is not a JSON value`);
}
function checkString(s, path) {
  // SPEC(DESIGN §4): strings are valid Unicode (no lone surrogates) in NFC.
  if (/\p{Surrogate}/u.test(s)) throw fail(path, 'string contains a lone surrogate');
  if (s.normalize('NFC') !== s) throw fail(path, `string ${JSON.stringify(s)} is not in Unicode NFC`);
}

function years(value, field, empty) {
  if (!Array.isArray(value) || (value.length === 0 && !empty)) throw fail(field, `must be a list of years${empty ? '' : ' (not empty)'}`);
  value.forEach((y, i) => {
    int(y, `${field}[${i}]`, 1);
    if (y > 9999 || (i && y <= value[i - 1])) throw fail(`${field}[${i}]`, 'years are ascending, unique and at most 9999');
  });
  return value;
}

/** SPEC(schedule.md): calendar = {sha256, years (ascending), provisional (⊆ years)}. */
function parseCalendar(value) {
  const c = object(value, 'calendar');
  keys(c, 'calendar', ['sha256', 'years', 'provisional']);
  if (typeof c.sha256 !== 'string' || !HEX64.test(c.sha256)) throw fail('calendar.sha256', 'must be 64 lowercase hex digits');
  const all = years(c.years, 'calendar.years', false);
  years(c.provisional, 'calendar.provisional', true).forEach((y, i) => {
    if (!all.includes(y)) throw fail(`calendar.provisional[${i}]`, `${y} is not one of calendar.years`);
  });
  return c.sha256;
}

function parseBeacon(value) {
  const b = object(value, 'beacon');
  keys(b, 'beacon', ['scheme', 'chain_hash', 'round', 'round_time'], ['local']);
  if (!BEACON_SCHEMES.includes(b.scheme)) throw fail('beacon.scheme', `unknown scheme ${JSON.stringify(b.scheme)} (known: ${BEACON_SCHEMES.join(', ')})`);
  if (typeof b.chain_hash !== 'string' || !HEX64.test(b.chain_hash)) throw fail('beacon.chain_hash', 'must be 64 lowercase hex digits');
  const m = typeof b.round_time === 'string' ? RFC3339_UTC.exec(b.round_time) : null;
  if (!m) throw fail('beacon.round_time', `must be RFC 3339 UTC YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(b.round_time)}`);
  date(m[1], 'beacon.round_time');
  if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) throw fail('beacon.round_time', `is not a valid time: ${JSON.stringify(b.round_time)}`);
  if (has(b, 'local') && typeof b.local !== 'boolean') throw fail('beacon.local', 'must be true or false');
  int(b.round, 'beacon.round', 1);
}

function parseQuota(value, field) {
  const obj = object(value, field);
  const kinds = ['ratio', 'count', 'all'].filter((k) => has(obj, k));
  if (kinds.length !== 1) throw fail(field, 'must have exactly one of ratio, count, all');
  const kind = kinds[0];
  keys(obj, field, [kind], ['min', 'reserve']);
  const quota = {
    kind,
    minimum: has(obj, 'min') ? int(obj.min, `${field}.min`) : null,
    reserve: has(obj, 'reserve') ? int(obj.reserve, `${field}.reserve`) : 0,
  };
  if (kind === 'ratio') {
    const m = typeof obj.ratio === 'string' ? RATIO.exec(obj.ratio) : null;
    if (!m) throw fail(`${field}.ratio`, `${JSON.stringify(obj.ratio)} is not a ratio "p/q" of canonical decimals with q >= 1`);
    quota.p = BigInt(m[1]);
    quota.q = BigInt(m[2]);
    if (quota.p > quota.q) throw fail(`${field}.ratio`, 'is more than 1 (p must be <= q)');
  } else if (kind === 'count') {
    quota.count = int(obj.count, `${field}.count`);
  } else if (obj.all !== true) {
    throw fail(`${field}.all`, 'must be true');
  }
  return quota;
}

/** k for a stratum of n units (DESIGN §5 step 5). */
export function quotaSize(quota, n) {
  let k;
  if (quota.kind === 'ratio') {
    // SPEC(draw-v1 §5.5): k = ceil(n·p/q) in integer arithmetic (BigInt: n·p may exceed 2^53).
    const num = BigInt(n) * quota.p;
    k = Number((num + quota.q - 1n) / quota.q);
  } else if (quota.kind === 'count') {
    k = Math.min(quota.count, n); // SPEC(draw-v1 §5.5): k = min(c, n)
  } else {
    k = n; // SPEC(draw-v1 §5.5): all → k = n
  }
  if (quota.minimum !== null) k = Math.max(k, Math.min(quota.minimum, n)); // SPEC(draw-v1 §5.5): min raises k to min(m, n)
  return Math.min(k, n);
}

function valueKey(v) {
  // JSON equality: true is not 1, "1" is not 1.
  if (v === null) return 'n:';
  if (typeof v === 'boolean') return `b:${v}`;
  if (typeof v === 'number') return `i:${v}`;
  if (typeof v === 'string') return `s:${v}`;
  return `j:${canonicalize(v)}`;
}

/** Check an announce entry (mirrors draw_engine/announce.py) and return the parts draw-v1 reads. */
export function parseAnnounce(a) {
  object(a, '$');
  checkValue(a, ''); // JSON subset check: no floats, no unsafe integers, NFC strings
  keys(a, '', REQUIRED, OPTIONAL);
  if (a.type !== 'draw.announce') throw fail('type', 'must be "draw.announce"');
  if (a.v !== 1) throw fail('v', 'must be 1');
  if (a.algorithm !== 'draw-v1') throw fail('algorithm', 'must be "draw-v1"');
  if (!['routine', 'special', 'return_visit'].includes(a.kind)) throw fail('kind', 'must be routine, special or return_visit');
  for (const f of ['title', 'authority']) text(a[f], f);
  const period = object(a.period, 'period');
  keys(period, 'period', ['from', 'to']);
  const periodTo = date(period.to, 'period.to');
  if (date(period.from, 'period.from') > periodTo) throw fail('period', 'from is after to');
  if (!Array.isArray(a.strata) || a.strata.length === 0) throw fail('strata', 'must be a non-empty list');
  const strata = a.strata.map((s, i) => {
    const field = `strata[${i}]`;
    object(s, field);
    keys(s, field, ['name', 'match', 'quota']);
    const match = Object.entries(object(s.match, `${field}.match`)).map(([attr, allowed]) => {
      identifier(attr, `${field}.match.${attr}`);
      if (!Array.isArray(allowed) || allowed.length === 0) throw fail(`${field}.match.${attr}`, 'must be a non-empty list of allowed values');
      allowed.forEach((v, j) => {
        if (v !== null && typeof v === 'object') throw fail(`${field}.match.${attr}[${j}]`, 'allowed values are strings, integers, booleans or null');
      });
      return [attr, new Set(allowed.map(valueKey))];
    });
    return { name: identifier(s.name, `${field}.name`), match, quota: parseQuota(s.quota, `${field}.quota`) };
  });
  strata.forEach((s, i) => {
    if (strata.findIndex((t) => t.name === s.name) !== i) throw fail(`strata[${i}].name`, `stratum name ${s.name} is used twice`);
  });
  const exclusions = new Set();
  const ex = has(a, 'exclusions') ? a.exclusions : [];
  if (!Array.isArray(ex)) throw fail('exclusions', 'must be a list');
  ex.forEach((e, i) => {
    object(e, `exclusions[${i}]`);
    keys(e, `exclusions[${i}]`, ['unit_id', 'reason']);
    const id = identifier(e.unit_id, `exclusions[${i}].unit_id`);
    text(e.reason, `exclusions[${i}].reason`);
    if (exclusions.has(id)) throw fail(`exclusions[${i}].unit_id`, `unit ${id} is excluded twice`);
    exclusions.add(id);
  });
  // Brigade -> every brigade sharing a zone with it (union over all its zones).
  const zoneOf = new Map();
  const zones = object(has(a, 'zones') ? a.zones : {}, 'zones');
  for (const [zone, brigades] of Object.entries(zones)) {
    identifier(zone, `zones.${zone}`);
    if (!Array.isArray(brigades) || !brigades.every((b) => typeof b === 'string' && b)) throw fail(`zones.${zone}`, 'must be a list of brigade names');
    for (const b of brigades) {
      if (!zoneOf.has(b)) zoneOf.set(b, new Set());
      brigades.forEach((x) => zoneOf.get(b).add(x));
    }
  }
  const recusals = new Set();
  const rec = has(a, 'recusals') ? a.recusals : [];
  if (!Array.isArray(rec)) throw fail('recusals', 'must be a list of [person_id, unit_id]');
  rec.forEach((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw fail(`recusals[${i}]`, 'must be a pair [person_id, unit_id]');
    const key = `${identifier(pair[0], `recusals[${i}][0]`)}\u0000${identifier(pair[1], `recusals[${i}][1]`)}`;
    if (recusals.has(key)) throw fail(`recusals[${i}]`, 'pair is listed twice');
    recusals.add(key);
  });
  let teams = null;
  if (has(a, 'teams')) {
    const t = object(a.teams, 'teams');
    keys(t, 'teams', [], ['assistants', 'experts', 'scopes', 'exclude_own_brigade']);
    const scopes = has(t, 'scopes') ? t.scopes : ['detachment'];
    if (!Array.isArray(scopes) || scopes.length === 0) throw fail('teams.scopes', 'must be a non-empty list');
    scopes.forEach((s, i) => {
      if (!SCOPES.includes(s)) throw fail(`teams.scopes[${i}]`, `unknown scope ${JSON.stringify(s)}`);
    });
    if (new Set(scopes).size !== scopes.length) throw fail('teams.scopes', 'lists a scope twice');
    const exclude = has(t, 'exclude_own_brigade') ? t.exclude_own_brigade : false;
    if (typeof exclude !== 'boolean') throw fail('teams.exclude_own_brigade', 'must be true or false');
    teams = {
      assistants: int(has(t, 'assistants') ? t.assistants : 1, 'teams.assistants'),
      experts: int(has(t, 'experts') ? t.experts : 0, 'teams.experts'),
      scopes, excludeOwnBrigade: exclude,
    };
    if (!has(a, 'inspectors')) throw fail('inspectors', 'teams need an inspectors snapshot');
    if (teams.experts > 0 && !has(a, 'experts')) throw fail('experts', 'teams.experts > 0 needs an experts snapshot');
    if (scopes.includes('zone') && zoneOf.size === 0) throw fail('teams.scopes', 'scope "zone" needs a non-empty zones map');
  }
  for (const ref of ['units', 'inspectors', 'experts']) {
    if (!has(a, ref)) continue;
    const r = object(a[ref], ref);
    keys(r, ref, ['snapshot', 'root', 'count']);
    identifier(r.snapshot, `${ref}.snapshot`);
    if (typeof r.root !== 'string' || !HEX64.test(r.root)) throw fail(`${ref}.root`, 'must be 64 lowercase hex digits');
    int(r.count, `${ref}.count`);
  }
  parseBeacon(a.beacon);
  if (has(a, 'supersedes') && a.supersedes !== null) identifier(a.supersedes, 'supersedes');
  const calendarSha256 = has(a, 'calendar') ? parseCalendar(a.calendar) : null;
  identifier(a.draw_id, 'draw_id');
  return { periodTo, strata, exclusions, zoneOf, recusals, teams, calendarSha256 };
}

function indexRecords(records, kind) {
  const byId = new Map();
  records.forEach((r, i) => {
    if (!isObject(r)) throw new DrawInputError(`${kind} record ${i} is not an object`);
    if (typeof r.id !== 'string' || !IDENTIFIER.test(r.id)) throw new DrawInputError(`${kind} record ${i}: id ${JSON.stringify(r.id)} is not an ASCII identifier`);
    if (byId.has(r.id)) throw new DrawInputError(`${kind}: duplicate id ${JSON.stringify(r.id)}`);
    byId.set(r.id, r);
  });
  return byId;
}

/** SPEC(draw-v1 §5.1): spec_hash = SHA-256(JCS(A)). */
export function specHash(announce) {
  return sha256Sync(canonicalBytes(announce));
}

/** SPEC(draw-v1 §5.1): seed = SHA-256("fairdraw/draw-v1/seed" || 0x00 || spec_hash || r). */
export function deriveSeed(specHashBytes, randomness) {
  if (specHashBytes.length !== 32) throw new DrawInputError(`spec_hash must be 32 bytes, got ${specHashBytes.length}`);
  if (randomness.length === 0) throw new DrawInputError('beacon randomness is empty');
  return sha256Sync(concatBytes(utf8(SEED_CONTEXT), new Uint8Array([0]), specHashBytes, randomness));
}

/** SPEC(draw-v1 §5.2): ticket(parts…) = SHA-256(seed || JCS([parts…])), as lowercase hex. */
export function ticket(seed, ...parts) {
  return bytesToHex(sha256Sync(concatBytes(seed, canonicalBytes(parts))));
}

function ticketFn(seed) {
  // Identifiers and role names need no JSON escaping, so JCS([a, b, ...]) is '["a","b",...]'.
  return (...parts) => bytesToHex(sha256Sync(concatBytes(seed, utf8('["' + parts.join('","') + '"]'))));
}

/**
 * Target tickets of many units, hashed into one flat buffer (32 bytes per ticket) without
 * building strings: the message seed || '["target","' || id || '"]' is written into the
 * hash scratch buffer, the constant prefix once per call. Same bytes as ticketFn(seed)
 * ('target', id) because ids are ASCII identifiers (checked by indexRecords): one byte
 * per character and nothing to escape in JCS.
 */
class TargetTickets {
  constructor(seed, capacity) {
    this.prefix = concatBytes(seed, utf8('["target","'));
    this.bytes = new Uint8Array(32 * capacity);
    this.count = 0;
  }

  /** Hash the ticket of `id`; returns its number (its bytes are at 32 * number). */
  add(id) {
    const p = this.prefix.length;
    const length = p + id.length + 2;
    const buf = sha256Scratch(length);
    buf.set(this.prefix, 0);
    for (let i = 0; i < id.length; i++) buf[p + i] = id.charCodeAt(i);
    buf[length - 2] = 0x22; // "
    buf[length - 1] = 0x5d; // ]
    sha256ScratchInto(length, this.bytes, 32 * this.count);
    return this.count++;
  }

  hex(n) {
    return bytesToHex(this.bytes.subarray(32 * n, 32 * n + 32));
  }
}

/**
 * Rank the pool of one stratum (indices into `tickets`, ids in `ids`): ascending ticket
 * as 256-bit big-endian (= byte order = lowercase hex order), ties by id byte order, as
 * `members.sort((x, y) => byId(x.t, y.t) || byId(x.id, y.id))` did on hex strings. Only
 * the first `need` are returned: candidates are first cut by the 32-bit ticket prefix at
 * the need-th smallest prefix (native numeric sort), then sorted in full. `tickets` is
 * {bytes: Uint8Array} (32 bytes per ticket number). Exported for the equivalence tests.
 */
export function rankPool(pool, tickets, ids, need) {
  const b = tickets.bytes;
  const prefix = (n) => ((b[32 * n] << 24) | (b[32 * n + 1] << 16) | (b[32 * n + 2] << 8) | b[32 * n + 3]) >>> 0;
  const heads = new Float64Array(pool.length);
  for (let i = 0; i < pool.length; i++) heads[i] = prefix(pool[i]);
  let candidates = pool;
  if (need < pool.length) {
    const cut = heads.slice().sort()[need - 1] ?? -1; // need = 0: no candidate
    candidates = pool.filter((_, i) => heads[i] <= cut);
  }
  const compare = (x, y) => {
    for (let i = 32 * x, j = 32 * y, end = i + 32; i < end; i++, j++) {
      if (b[i] !== b[j]) return b[i] - b[j];
    }
    return byId(ids[x], ids[y]);
  };
  return candidates.slice().sort(compare).slice(0, need);
}

/** Byte order of ASCII identifiers equals JS string order. */
const byId = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The allowed values of one match attribute, split by JSON type so that testing a unit
 * builds no strings: `allowed.has(valueKey(v))` gives the same answer (allowed values are
 * strings, safe integers, booleans or null; `i:${v}` keys are equal exactly when the
 * numbers are, 0 and -0 included). Objects and nested lists still go through valueKey,
 * which also keeps its errors.
 */
class AllowedValues {
  constructor(attr, keys) {
    this.attr = attr;
    this.keys = keys;
    this.strings = new Set();
    this.numbers = new Set();
    for (const k of keys) {
      if (k.startsWith('s:')) this.strings.add(k.slice(2));
      else if (k.startsWith('i:')) this.numbers.add(Number(k.slice(2)));
    }
    this.hasTrue = keys.has('b:true');
    this.hasFalse = keys.has('b:false');
    this.hasNull = keys.has('n:');
  }

  has(v) {
    switch (typeof v) {
      case 'string':
        return this.strings.has(v);
      case 'number':
        return this.numbers.has(v);
      case 'boolean':
        return v ? this.hasTrue : this.hasFalse;
      default:
        return v === null ? this.hasNull : this.keys.has(valueKey(v));
    }
  }
}

export const compileMatch = (match) => match.map(([attr, keys]) => new AllowedValues(attr, keys));

export function matches(unit, match) {
  // SPEC(draw-v1 §5.4): every attribute of match holds; {} matches everything.
  for (let m = 0; m < match.length; m++) {
    const allowed = match[m];
    if (!has(unit, allowed.attr)) return false;
    const v = unit[allowed.attr];
    if (Array.isArray(v)) {
      // SPEC(draw-v1 §5.4): a list attribute must share one value with the allowed ones.
      let hit = false;
      for (let i = 0; i < v.length && !hit; i++) hit = allowed.has(v[i]);
      if (!hit) return false;
    } else if (!allowed.has(v)) {
      // SPEC(draw-v1 §5.4): a scalar attribute must be one of the allowed values.
      return false;
    }
  }
  return true;
}

class Teams {
  constructor(spec, seed, inspectors, experts) {
    this.spec = spec;
    this.rules = spec.teams;
    this.ticket = ticketFn(seed);
    this.duties = new Map();
    const eligible = (role) => [...inspectors.values()].filter((p) =>
      p.status === 'active' && Array.isArray(p.roles) && p.roles.includes(role)
      // SPEC(draw-v1 §5.7): cert_valid_until >= A.period.to (dates compare as text); a
      // missing value or one that is not a calendar date never qualifies.
      && isCalendarDate(p.cert_valid_until) && p.cert_valid_until >= spec.periodTo);
    this.people = {
      lead: eligible('lead'),
      assist: eligible('assist'),
      expert: [...experts.values()].filter((e) => e.status === 'active'),
    };
  }

  inScope(scope, person, unit) {
    if (this.rules.excludeOwnBrigade && person.brigade === unit.brigade) return false;
    if (scope === 'brigade') return person.brigade === unit.brigade;
    if (scope === 'zone') {
      const zone = this.spec.zoneOf.get(unit.brigade);
      return zone !== undefined && zone.has(person.brigade);
    }
    return true;
  }

  assign(unitId, unit) {
    const r = this.rules;
    const slots = ['lead', ...Array(r.assistants).fill('assist'), ...Array(r.experts).fill('expert')];
    const members = [];
    const skipped = [];
    const seenSkips = new Set();
    const unfilled = [];
    const inTeam = new Set();
    for (const role of slots) {
      const scopes = role === 'expert' ? [null] : r.scopes;
      const tickets = new Map(); // person -> ticket, for this slot
      let chosen = null;
      for (const scope of scopes) {
        const candidates = this.people[role].filter((p) => !inTeam.has(p.id) && (scope === null || this.inScope(scope, p, unit)));
        // SPEC(draw-v1 §5.7): order by (duties, ticket(role, unit_id, person_id), id). Tickets are
        // computed per duty group, lowest first, only until the slot is filled (same order, fewer hashes).
        const groups = new Map();
        for (const p of candidates) {
          const d = this.duties.get(p.id) || 0;
          if (!groups.has(d)) groups.set(d, []);
          groups.get(d).push(p.id);
        }
        for (const d of [...groups.keys()].sort((x, y) => x - y)) {
          const group = groups.get(d);
          for (const id of group) if (!tickets.has(id)) tickets.set(id, this.ticket(role, unitId, id));
          group.sort((x, y) => byId(tickets.get(x), tickets.get(y)) || byId(x, y));
          for (const id of group) {
            if (this.spec.recusals.has(`${id}\u0000${unitId}`)) {
              // SPEC(draw-v1 §5.7): a recused candidate is passed over, listed once per unit and role.
              if (!seenSkips.has(`${role}\u0000${id}`)) {
                seenSkips.add(`${role}\u0000${id}`);
                skipped.push({ role, person_id: id, reason: 'recusal' });
              }
              continue;
            }
            chosen = { id, scope };
            break;
          }
          if (chosen) break;
        }
        if (chosen) break;
      }
      if (!chosen) {
        unfilled.push(role); // SPEC(draw-v1 §5.7): never a silent relaxation.
        continue;
      }
      inTeam.add(chosen.id);
      this.duties.set(chosen.id, (this.duties.get(chosen.id) || 0) + 1);
      members.push({ role, person_id: chosen.id, scope: chosen.scope });
    }
    return { members, skipped, unfilled };
  }
}

/**
 * Run draw-v1. `randomness` is the beacon randomness (Uint8Array). Returns
 * {seed, strata, unmatched, selected} (DESIGN §5 step 8).
 */
export function computeDraw(announce, units, randomness, { inspectors = [], experts = [], onProgress = null } = {}) {
  const spec = parseAnnounce(announce);
  const unitById = indexRecords(units, 'units');
  const inspectorById = indexRecords(inspectors, 'inspectors');
  const expertById = indexRecords(experts, 'experts');
  // SPEC(draw-v1 §5.7): inspector and expert ids MUST be distinct.
  const shared = [...inspectorById.keys()].filter((id) => expertById.has(id)).sort(byId);
  if (shared.length) throw new DrawInputError(`ids used by both an inspector and an expert: ${shared.join(', ')}`);
  const seed = deriveSeed(specHash(announce), randomness);

  // Hot loop (one pass over every unit): no per-unit objects or strings; a unit in a
  // stratum costs one single-block SHA-256 written into a flat ticket buffer.
  const tickets = new TargetTickets(seed, units.length);
  const ids = []; // ticket number -> unit id
  const members = spec.strata.map(() => []); // ticket numbers per stratum
  const strataMatch = spec.strata.map((s) => compileMatch(s.match));
  let unmatched = 0;
  for (let u = 0; u < units.length; u++) {
    // Same order as the Map built by indexRecords (insertion order = records order).
    if (onProgress && (u + 1) % 4096 === 0) onProgress(0.8 * ((u + 1) / unitById.size));
    const unit = units[u];
    const unitId = unit.id;
    // SPEC(draw-v1 §5.3): pool = active units not excluded.
    if (unit.status !== 'active' || spec.exclusions.has(unitId)) continue;
    // SPEC(draw-v1 §5.4): a unit joins the FIRST stratum whose match holds; others are counted.
    let index = -1;
    for (let s = 0; s < strataMatch.length; s++) {
      if (matches(unit, strataMatch[s])) {
        index = s;
        break;
      }
    }
    if (index < 0) unmatched++;
    else {
      members[index].push(tickets.add(unitId));
      ids.push(unitId);
    }
  }

  const strata = [];
  const selected = [];
  spec.strata.forEach((stratum, i) => {
    const n = members[i].length;
    const k = quotaSize(stratum.quota, n);
    // SPEC(draw-v1 §5.6): ascending ticket (256-bit big-endian = lowercase hex order), ties by id byte order.
    const ranked = rankPool(members[i], tickets, ids, Math.min(n, k + stratum.quota.reserve));
    strata.push({ name: stratum.name, n, k, reserve: ranked.slice(k, k + stratum.quota.reserve).map((t) => ids[t]) });
    ranked.slice(0, k).forEach((t, j) => selected.push({ unit_id: ids[t], stratum: stratum.name, rank: j + 1, ticket: tickets.hex(t) }));
  });

  if (spec.teams) {
    const teams = new Teams(spec, seed, inspectorById, expertById);
    // SPEC(draw-v1 §5.7): walk ALL selected units in ascending target-ticket order.
    const order = selected.slice().sort((x, y) => byId(x.ticket, y.ticket) || byId(x.unit_id, y.unit_id));
    order.forEach((entry, j) => {
      if (onProgress && j % 256 === 0) onProgress(0.8 + 0.2 * (j / order.length));
      entry.team = teams.assign(entry.unit_id, unitById.get(entry.unit_id));
    });
  }
  if (onProgress) onProgress(1);
  return { seed: bytesToHex(seed), strata, unmatched, selected };
}

/**
 * The log's entries, one model for every browser reader (DESIGN §4 "Log", "Entries").
 *
 * The twin of draw_engine/entries.py (same names in camelCase, same messages):
 * parseEntry is the one parser (bytes must be the canonical JSON of an object
 * with "type" and "v": 1), entryType the one classifier, parseUtcSeconds the
 * strict RFC 3339 UTC reader of `beacon.round_time`. Errors are EntryError
 * (a FormatError) with `field` (a JSON path) when a field is to blame.
 * Left out: the structure of an announce (draw.js parseAnnounce) and of a
 * result (the verifier rebuilds the expected result entry).
 */
import { FormatError } from './errors.js';
import { bytesToHex, decodeUtf8 } from './bytes.js';
import { canonicalize } from './jcs.js';
import { sha256 } from './hashing.js';

export const SNAPSHOT = 'registry.snapshot';
export const ANNOUNCE = 'draw.announce';
export const RESULT = 'draw.result';
export const CANCEL = 'draw.cancel';
export const OUTCOME = 'inspection.outcome';
/** SPEC(DESIGN §4): the entry types of the log, in lifecycle order. */
export const ENTRY_TYPES = Object.freeze([SNAPSHOT, ANNOUNCE, RESULT, CANCEL, OUTCOME]);

/** An entry (or entry field) that is not in the form DESIGN §4 requires. */
export class EntryError extends FormatError {
  constructor(message, field = null) {
    super(message);
    this.field = field;
  }
}

/** A value as JSON text, the way errors quote it (Python: json.dumps compact). */
export function quote(value) {
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** A leaf index: a non-negative safe integer. */
export function isIndex(value) {
  return Number.isSafeInteger(value) && value >= 0;
}

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** SPEC(DESIGN §4): an entry is the canonical JSON of an object with "type" and "v": 1. */
export function parseEntry(bytes) {
  let text;
  try {
    text = decodeUtf8(bytes, 'log entry');
  } catch (e) {
    throw new EntryError(e.message);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new EntryError(`log entry is not JSON in our subset: ${e.message}`);
  }
  if (!isObject(value) || typeof value.type !== 'string' || value.v !== 1) {
    throw new EntryError('log entry is not an object with "type" and "v": 1');
  }
  let canonical;
  try {
    canonical = canonicalize(value);
  } catch (e) {
    throw new EntryError(`log entry is not JSON in our subset: ${e.message}`);
  }
  if (canonical !== text) throw new EntryError('log entry is not canonical JSON (RFC 8785)');
  return value;
}

/** The type of an entry (bytes or parsed object), one of ENTRY_TYPES, or null for anything else. */
export function entryType(entry) {
  if (entry instanceof Uint8Array) {
    try {
      entry = parseEntry(entry);
    } catch (e) {
      if (e instanceof EntryError) return null;
      throw e;
    }
  }
  if (!isObject(entry) || entry.v !== 1) return null;
  return typeof entry.type === 'string' && ENTRY_TYPES.includes(entry.type) ? entry.type : null;
}

const RFC3339_UTC = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;

/** RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" -> POSIX seconds; strict (a real time, no leap second). */
export function parseUtcSeconds(text, field = null) {
  const m = typeof text === 'string' ? RFC3339_UTC.exec(text) : null;
  if (m) {
    const date = new Date(0);
    date.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
    date.setUTCHours(+m[4], +m[5], +m[6], 0);
    const ms = date.getTime();
    if (+m[1] >= 1 && Number.isFinite(ms) && formatUtc(ms / 1000) === text) return ms / 1000;
  }
  throw new EntryError(`${quote(text)} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)`, field);
}

/** POSIX seconds -> "YYYY-MM-DDTHH:MM:SSZ" (the inverse of parseUtcSeconds). */
export function formatUtc(seconds) {
  return new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z';
}

function field(entry, path) {
  let value = entry;
  for (const part of path.split('.')) {
    if (!isObject(value) || !Object.hasOwn(value, part)) throw new EntryError(`${entry.type} entry has no ${path}`, path);
    value = value[part];
  }
  return value;
}

function text(entry, path) {
  const value = field(entry, path);
  if (typeof value !== 'string') throw new EntryError(`${entry.type} entry: ${path} must be a string`, path);
  return value;
}

function count(entry, path) {
  const value = field(entry, path);
  if (!isIndex(value)) throw new EntryError(`${entry.type} entry: ${path} must be an integer >= 0`, path);
  return value;
}

function expect(entry, ...kinds) {
  if (!kinds.includes(entryType(entry))) {
    throw new EntryError(`entry is a ${quote(isObject(entry) ? entry.type : null)}, not a ${kinds.join(' or ')}`);
  }
}

/** The announce's beacon.round_time in POSIX seconds (strict RFC 3339 UTC). */
export function announceRoundTime(entry) {
  return parseUtcSeconds(field(entry, 'beacon.round_time'), 'beacon.round_time');
}

/** {drawId, kind, beaconRound, roundTime, supersedes} of a draw.announce. */
export function announceRef(entry) {
  expect(entry, ANNOUNCE);
  const supersedes = entry.supersedes ?? null;
  if (supersedes !== null && typeof supersedes !== 'string') {
    throw new EntryError('draw.announce entry: supersedes must be a draw id or null', 'supersedes');
  }
  return Object.freeze({
    drawId: text(entry, 'draw_id'), kind: text(entry, 'kind'), beaconRound: count(entry, 'beacon.round'),
    roundTime: announceRoundTime(entry), supersedes,
  });
}

/** {type, drawId, announceIndex} of a draw.result or draw.cancel. */
export function closingRef(entry) {
  expect(entry, RESULT, CANCEL);
  return Object.freeze({ type: entry.type, drawId: text(entry, 'draw_id'), announceIndex: count(entry, 'announce_index') });
}

/**
 * {drawId, unitId, date, result, supersedes} of an inspection.outcome; `supersedes` is the
 * leaf index of the earlier outcome this one corrects, null when it corrects none.
 */
export function outcomeRef(entry) {
  expect(entry, OUTCOME);
  const supersedes = entry.supersedes ?? null;
  if (supersedes !== null && !isIndex(supersedes)) {
    throw new EntryError('inspection.outcome entry: supersedes must be the leaf index of an earlier outcome', 'supersedes');
  }
  return Object.freeze({ drawId: text(entry, 'draw_id'), unitId: text(entry, 'unit_id'), date: text(entry, 'date'), result: text(entry, 'result'), supersedes });
}

/** {snapshot, kind, root, count} of a registry.snapshot. */
export function snapshotRef(entry) {
  expect(entry, SNAPSHOT);
  return Object.freeze({ snapshot: text(entry, 'snapshot'), kind: text(entry, 'kind'), root: text(entry, 'root'), count: count(entry, 'count') });
}

// -- registry.snapshot diff (docs/spec/registry-diff.md) ---------------------------------

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const DIFF_ID_LISTS = Object.freeze(['added', 'removed', 'retired', 'reactivated']);

/** Code point order (Python's str order), not UTF-16 unit order. */
function codePointLess(a, b) {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d < 0;
  }
  return x.length < y.length;
}

function idList(value, path) {
  if (!Array.isArray(value)) throw new EntryError(`diff ids: ${path} must be a list`, path);
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !ID.test(item)) throw new EntryError(`diff ids: ${path}[${i}] ${quote(item)} is not an identifier`, path);
    if (i && !(value[i - 1] < item)) throw new EntryError(`diff ids: ${path} is not sorted by id without repeats (${quote(value[i - 1])} then ${quote(item)})`, path);
  });
  return Object.freeze([...value]);
}

/** Check an ids document (inline diff.ids or the <name>.diff.json file); with counts, list lengths must equal them. */
export function parseDiffIds(value, counts = null) {
  const names = ['added', 'changed', 'reactivated', 'removed', 'retired'];
  if (!isObject(value) || Object.keys(value).sort().join() !== names.join()) {
    throw new EntryError('diff ids must be an object with exactly added, removed, changed, retired, reactivated', 'diff.ids');
  }
  const lists = Object.fromEntries(DIFF_ID_LISTS.map((name) => [name, idList(value[name], `diff.ids.${name}`)]));
  const raw = value.changed;
  if (!Array.isArray(raw)) throw new EntryError('diff ids: diff.ids.changed must be a list', 'diff.ids.changed');
  const changed = raw.map((item, i) => {
    const where = `diff.ids.changed[${i}]`;
    if (!isObject(item) || Object.keys(item).sort().join() !== 'fields,id') {
      throw new EntryError(`diff ids: ${where} must be an object with exactly id, fields`, 'diff.ids.changed');
    }
    const fields = item.fields;
    if (!Array.isArray(fields) || !fields.length || !fields.every((f) => typeof f === 'string' && f !== '')
        || fields.some((f, j) => j && !codePointLess(fields[j - 1], f))) {
      throw new EntryError(`diff ids: ${where}.fields must be a non-empty sorted list of attribute names without repeats`, 'diff.ids.changed');
    }
    return Object.freeze([item.id, Object.freeze([...fields])]);
  });
  idList(changed.map((c) => c[0]), 'diff.ids.changed');
  const changedIds = new Set(changed.map((c) => c[0]));
  for (const name of ['retired', 'reactivated']) {
    const stray = lists[name].filter((i) => !changedIds.has(i));
    if (stray.length) throw new EntryError(`diff ids: ${name} id ${quote(stray[0])} is not a changed id`, `diff.ids.${name}`);
  }
  const both = lists.retired.filter((i) => lists.reactivated.includes(i));
  if (both.length) throw new EntryError(`diff ids: ${quote(both[0])} is both retired and reactivated`, 'diff.ids.retired');
  if (counts !== null) {
    for (const [name, length] of [['added', lists.added.length], ['removed', lists.removed.length], ['changed', changed.length]]) {
      if (counts[name] !== length) throw new EntryError(`diff ids: ${length} ${name} ids, but diff.${name} is ${counts[name]}`, `diff.${name}`);
    }
  }
  return Object.freeze({
    added: lists.added, removed: lists.removed, changed: Object.freeze(changed), retired: lists.retired, reactivated: lists.reactivated,
    leftPool: Object.freeze([...new Set([...lists.removed, ...lists.retired])].sort()),
  });
}

/**
 * {added, removed, changed, ids, idsSha256} of a registry.snapshot's diff: the counts, and the
 * ids inline (ids) or by their hash (idsSha256). Entries written before issue 18: both null.
 */
export function snapshotDiffRef(entry) {
  expect(entry, SNAPSHOT);
  const diff = field(entry, 'diff');
  if (!isObject(diff)) throw new EntryError('registry.snapshot entry: diff must be an object', 'diff');
  const extra = Object.keys(diff).filter((k) => !['added', 'removed', 'changed', 'ids', 'ids_sha256'].includes(k)).sort();
  if (extra.length) throw new EntryError(`registry.snapshot entry: unknown diff field ${quote(extra[0])}`, 'diff');
  const counts = Object.fromEntries(['added', 'removed', 'changed'].map((name) => [name, count(entry, `diff.${name}`)]));
  if (Object.hasOwn(diff, 'ids') && Object.hasOwn(diff, 'ids_sha256')) {
    throw new EntryError('registry.snapshot entry: diff has both ids and ids_sha256', 'diff');
  }
  const ids = Object.hasOwn(diff, 'ids') ? parseDiffIds(diff.ids, counts) : null;
  const digest = Object.hasOwn(diff, 'ids_sha256') ? diff.ids_sha256 : null;
  if (Object.hasOwn(diff, 'ids_sha256') && (typeof digest !== 'string' || !SHA256_HEX.test(digest))) {
    throw new EntryError('registry.snapshot entry: diff.ids_sha256 must be 64 lowercase hex digits', 'diff.ids_sha256');
  }
  return Object.freeze({ ...counts, ids, idsSha256: digest });
}

/** The published ids document of a diff with idsSha256, checked against it (async: hashing). */
export async function checkIdsFile(ref, bytes) {
  if (ref.idsSha256 === null) throw new EntryError('this diff has no ids_sha256: its ids are inline or not logged');
  const computed = bytesToHex(await sha256(bytes));
  if (computed !== ref.idsSha256) throw new EntryError(`diff ids file has SHA-256 ${computed}, the entry says ${ref.idsSha256}`, 'diff.ids_sha256');
  let text;
  let value;
  try {
    text = decodeUtf8(bytes, 'diff ids file');
    value = JSON.parse(text);
  } catch (e) {
    throw new EntryError(`diff ids file is not JSON in our subset: ${e.message}`);
  }
  let canonical;
  try {
    canonical = canonicalize(value);
  } catch (e) {
    throw new EntryError(`diff ids file is not JSON in our subset: ${e.message}`);
  }
  if (canonical !== text) throw new EntryError('diff ids file is not canonical JSON (RFC 8785)');
  return parseDiffIds(value, { added: ref.added, removed: ref.removed, changed: ref.changed });
}

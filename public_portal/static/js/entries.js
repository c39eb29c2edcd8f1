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
import { decodeUtf8 } from './bytes.js';
import { canonicalize } from './jcs.js';

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

/** {drawId, unitId, date, result} of an inspection.outcome. */
export function outcomeRef(entry) {
  expect(entry, OUTCOME);
  return Object.freeze({ drawId: text(entry, 'draw_id'), unitId: text(entry, 'unit_id'), date: text(entry, 'date'), result: text(entry, 'result') });
}

/** {snapshot, kind, root, count} of a registry.snapshot. */
export function snapshotRef(entry) {
  expect(entry, SNAPSHOT);
  return Object.freeze({ snapshot: text(entry, 'snapshot'), kind: text(entry, 'kind'), root: text(entry, 'root'), count: count(entry, 'count') });
}

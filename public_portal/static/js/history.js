/**
 * A draw's history, derived from every entry of the log (docs/spec/verification.md).
 *
 * The twin of draw_engine/history.py: same functions in camelCase, same rule
 * names, same messages; both read tests/vectors/history/*.json.
 *
 * `entries`: the parsed entries of the whole log, an Array indexed by leaf
 * index (items that are not objects are skipped) or a Map(index -> entry).
 * A caller that parses only the draw.* entries may pass null for the others,
 * but should pass an Array as long as the log: `size` (in messages) is its length.
 * `checkpoints`: [{treeSize, quorumTime}] (quorumTime in POSIX seconds, null
 * when the quorum is never met); a checkpoint covers the leaves < treeSize.
 *
 * - drawHistory(entries, drawId) -> {drawId, announces, results, cancels,
 *   supersededBy, supersedes, entries (Map of the indices above), size,
 *   announceIndex}; results and cancels are attached by draw_id OR by an
 *   announce_index naming one of the draw's announces.
 * - drawHistories(entries) -> Map(drawId -> history), one pass.
 * - checkAnnounce(h) -> index (rules announce-missing, announce-twice).
 * - checkResults(h) -> index | null (rules result-mismatch, second-result).
 * - checkHistory(h, entries, checkpoints, marginSeconds, roundTime) (rules
 *   self-supersede, drawn-and-cancelled, late-cancel, supersede-unknown,
 *   supersede-drawn, supersede-uncancelled, superseded-twice, after checkAnnounce).
 * - cancelFate(h, checkpoints, roundTime) -> minutes | null.
 * - quorumTime(timestamps, policy) -> seconds | null (timestamps: Map or object
 *   witness name -> timestamp, number or bigint; policy from policy.js parsePolicy).
 * - checkOutcomes(entries, drawId) -> {drawId, outcomes, supersededBy (Map),
 *   current (Map unit -> index)} (rules outcome-twice, outcome-supersede-unknown,
 *   outcome-superseded-twice): a correction is a new outcome naming the one it supersedes.
 *
 * Each rule failure throws HistoryError (a VerificationError) with `rule`,
 * `evidence`, and message "<rule>: <text>". Pure: no clock, no fetch.
 */
import { FormatError, VerificationError } from './errors.js';
import { ANNOUNCE, CANCEL, EntryError, OUTCOME, RESULT, announceRoundTime, entryType, formatUtc, isIndex, isObject, outcomeRef, quote } from './entries.js';
import { satisfiedBy } from './policy.js';

export class HistoryError extends VerificationError {
  constructor(rule, message, evidence = {}) {
    super(`${rule}: ${message}`, evidence);
    this.rule = rule;
    this.text = message;
  }
}

function items(entries) {
  const pairs = entries instanceof Map ? [...entries.entries()].sort((a, b) => a[0] - b[0]) : entries.map((e, i) => [i, e]);
  return pairs.filter(([, e]) => isObject(e));
}

function sizeOf(entries) {
  return entries instanceof Map ? entries.size : entries.length;
}

function supersedesOf(entry) {
  const value = entry.supersedes ?? null;
  if (value !== null && typeof value !== 'string') {
    throw new EntryError('draw.announce entry: supersedes must be a draw id or null', 'supersedes');
  }
  return value;
}

function makeHistory(drawId, announces, results, cancels, supersededBy, byIndex, size) {
  const kept = new Map();
  for (const i of [...announces, ...results, ...cancels, ...supersededBy]) kept.set(i, byIndex.get(i));
  return Object.freeze({
    drawId, announces, results, cancels, supersededBy,
    supersedes: announces.length ? supersedesOf(byIndex.get(announces[0])) : null,
    entries: kept, size,
    announceIndex: announces.length === 1 ? announces[0] : null,
  });
}

/** SPEC(verification.md "The draw history"): the history of drawId in the whole log. */
export function drawHistory(entries, drawId) {
  const list = items(entries);
  const announces = list.filter(([, e]) => entryType(e) === ANNOUNCE && e.draw_id === drawId).map(([i]) => i);
  const own = new Set(announces);
  const results = [];
  const cancels = [];
  const supersededBy = [];
  for (const [i, e] of list) {
    const kind = entryType(e);
    if (kind === RESULT || kind === CANCEL) {
      const ai = e.announce_index;
      if (e.draw_id === drawId || (isIndex(ai) && own.has(ai))) (kind === RESULT ? results : cancels).push(i);
    } else if (kind === ANNOUNCE && e.supersedes === drawId) {
      supersededBy.push(i);
    }
  }
  return makeHistory(drawId, announces, results, cancels, supersededBy, new Map(list), sizeOf(entries));
}

/** The history of every draw id some announce, result or cancel names, in one pass. */
export function drawHistories(entries) {
  const list = items(entries);
  const announces = new Map();
  const owner = new Map();
  const push = (map, key, i) => (map.has(key) ? map.get(key).push(i) : map.set(key, [i]));
  for (const [i, e] of list) {
    if (entryType(e) === ANNOUNCE && typeof e.draw_id === 'string') {
      push(announces, e.draw_id, i);
      owner.set(i, e.draw_id);
    }
  }
  const results = new Map();
  const cancels = new Map();
  const supersededBy = new Map();
  const ids = new Set(announces.keys());
  for (const [i, e] of list) {
    const kind = entryType(e);
    if (kind === RESULT || kind === CANCEL) {
      const names = new Set();
      if (typeof e.draw_id === 'string') names.add(e.draw_id);
      if (isIndex(e.announce_index) && owner.has(e.announce_index)) names.add(owner.get(e.announce_index));
      for (const name of names) {
        push(kind === RESULT ? results : cancels, name, i);
        ids.add(name);
      }
    } else if (kind === ANNOUNCE && typeof e.supersedes === 'string') {
      push(supersededBy, e.supersedes, i);
    }
  }
  const byIndex = new Map(list);
  const out = new Map();
  for (const d of [...ids].sort(compareCodePoints)) {
    out.set(d, makeHistory(d, announces.get(d) || [], results.get(d) || [], cancels.get(d) || [],
      supersededBy.get(d) || [], byIndex, sizeOf(entries)));
  }
  return out;
}

function compareCodePoints(a, b) {
  // Python's sorted() order for str (code points), not UTF-16 units.
  const x = [...a].map((c) => c.codePointAt(0));
  const y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const list = (indices) => indices.join(', ');

/** Rules announce-missing, announce-twice; the index of the draw's one announce. */
export function checkAnnounce(h) {
  if (!h.announces.length) {
    throw new HistoryError('announce-missing', `no draw.announce of draw ${h.drawId} in ${h.size} log entries`,
      { draw_id: h.drawId, entries: h.size });
  }
  if (h.announces.length > 1) {
    // SPEC(verification.md): an id is announced once; a re-draw is a new id.
    throw new HistoryError('announce-twice',
      `draw ${h.drawId} is announced ${h.announces.length} times (entries ${list(h.announces)}); a re-draw is a new id that names the old one in supersedes`,
      { announces: [...h.announces] });
  }
  return h.announces[0];
}

/** Rules result-mismatch, second-result; the index of the draw's result, or null. */
export function checkResults(h) {
  for (const i of [...h.results, ...h.cancels].sort((a, b) => a - b)) {
    const e = h.entries.get(i);
    const d = e.draw_id;
    const ai = e.announce_index;
    if (d !== h.drawId || !isIndex(ai) || !h.announces.includes(ai)) {
      const want = h.announces.join('|') || 'no announce';
      throw new HistoryError('result-mismatch',
        `entry ${i} (${e.type}) names draw ${quote(d)} / announce ${quote(ai)}, not ${h.drawId} / ${want}`,
        { index: i, draw_id: d ?? null, announce_index: ai ?? null, announces: [...h.announces] });
    }
    if (i < ai) {
      throw new HistoryError('result-mismatch', `entry ${i} (${e.type}) comes before its announce (entry ${ai})`,
        { index: i, announce_index: ai });
    }
  }
  if (h.results.length > 1) {
    throw new HistoryError('second-result', `draw ${h.drawId} has ${h.results.length} results (entries ${list(h.results)})`,
      { results: [...h.results] });
  }
  return h.results.length ? h.results[0] : null;
}

/** The earliest quorumTime of a checkpoint covering leaf `index` (null: none does). */
function firstQuorum(index, checkpoints) {
  let best = null;
  for (const c of checkpoints) {
    if (c.quorumTime === null || c.quorumTime === undefined || !(Number(c.treeSize) > index)) continue;
    const q = Number(c.quorumTime); // a bigint from the cosignature parser is fine too
    if (best === null || q < best) best = q;
  }
  return best;
}

function lateCancel(drawId, announceIndex, cancelIndex, checkpoints, marginSeconds, roundTime) {
  const deadline = roundTime - marginSeconds;
  const committed = firstQuorum(announceIndex, checkpoints);
  if (committed === null || committed > deadline) return null; // SPEC: a missed commitment can always be cancelled
  const cancelled = firstQuorum(cancelIndex, checkpoints);
  if (cancelled !== null && cancelled <= deadline) return null;
  const when = cancelled === null ? 'is covered by no co-signed checkpoint' : `was first co-signed at ${formatUtc(cancelled)}`;
  return new HistoryError('late-cancel',
    `draw ${drawId} was committed by ${formatUtc(committed)} but its cancel (entry ${cancelIndex}) ${when}, after ${formatUtc(deadline)} (round time − ${marginSeconds} s): a cancel once the randomness may be known is a re-roll`,
    { draw_id: drawId, announce_index: announceIndex, cancel_index: cancelIndex, round_time: roundTime, deadline,
      committed_at: committed, cancel_cosigned_at: cancelled });
}

/** Rules self-supersede, drawn-and-cancelled, late-cancel, supersede-*, superseded-twice. */
export function checkHistory(h, entries, checkpoints, marginSeconds, roundTime) {
  if (!isIndex(marginSeconds)) throw new FormatError(`margin_seconds must be an integer >= 0, got ${quote(marginSeconds)}`);
  const a = checkAnnounce(h);
  const d = h.drawId;
  if (h.supersedes === d) {
    throw new HistoryError('self-supersede', `draw ${d} names itself in supersedes (entry ${a})`, { announce_index: a });
  }
  if (h.results.length && h.cancels.length) {
    throw new HistoryError('drawn-and-cancelled',
      `draw ${d} has both a result (entry ${h.results[0]}) and a cancel (entry ${h.cancels[0]})`,
      { results: [...h.results], cancels: [...h.cancels] });
  }
  if (h.cancels.length > 1) {
    throw new HistoryError('drawn-and-cancelled', `draw ${d} is cancelled ${h.cancels.length} times (entries ${list(h.cancels)})`,
      { cancels: [...h.cancels] });
  }
  if (h.cancels.length) {
    const late = lateCancel(d, a, h.cancels[0], checkpoints, marginSeconds, roundTime);
    if (late) throw late;
  }
  if (h.supersedes !== null) checkSupersede(h, a, entries, checkpoints, marginSeconds);
  if (h.supersededBy.length && h.results.length) {
    throw new HistoryError('supersede-drawn',
      `draw ${d} has a result (entry ${h.results[0]}) but is superseded by entry ${h.supersededBy[0]}`,
      { result: h.results[0], superseded_by: h.supersededBy[0] });
  }
  if (h.supersededBy.length > 1) {
    throw new HistoryError('superseded-twice',
      `draw ${d} is superseded by ${h.supersededBy.length} announces (entries ${list(h.supersededBy)})`,
      { superseded_by: [...h.supersededBy] });
  }
}

function checkSupersede(h, a, entries, checkpoints, marginSeconds) {
  const d = h.drawId;
  const s = h.supersedes;
  const old = drawHistory(entries, s);
  const earlier = old.announces.filter((i) => i < a);
  if (!earlier.length) {
    throw new HistoryError('supersede-unknown', `draw ${d} supersedes ${s}, which has no announce before entry ${a}`,
      { supersedes: s, announce_index: a });
  }
  if (old.results.length) {
    throw new HistoryError('supersede-drawn', `draw ${d} supersedes ${s}, which has a result (entry ${old.results[0]})`,
      { supersedes: s, result: old.results[0] });
  }
  const cancels = old.cancels.filter((i) => {
    const e = old.entries.get(i);
    return i < a && e.draw_id === s && earlier.includes(e.announce_index);
  });
  if (!cancels.length) {
    throw new HistoryError('supersede-uncancelled', `draw ${d} supersedes ${s}, which has no cancel before entry ${a}`,
      { supersedes: s, announce_index: a });
  }
  const c = cancels[0];
  const oldAnnounce = old.entries.get(c).announce_index;
  const oldRound = announceRoundTime(old.entries.get(oldAnnounce));
  const late = lateCancel(s, oldAnnounce, c, checkpoints, marginSeconds, oldRound);
  if (late) {
    throw new HistoryError('supersede-uncancelled', `draw ${d} supersedes ${s}, whose cancel is late: ${late.text}`,
      { supersedes: s, ...late.evidence });
  }
}

/** SPEC(verification.md): "cancelled N minutes before its beacon", N rounded down; null without one. */
export function cancelFate(h, checkpoints, roundTime) {
  if (!h.cancels.length) return null;
  const first = firstQuorum(h.cancels[0], checkpoints);
  return first === null ? null : Math.floor((roundTime - first) / 60);
}

/**
 * The smallest t such that the cosignatures timestamped <= t meet the policy's
 * quorum (timestamps: witness name -> timestamp of its one counted, verified
 * cosignature); null if all of them together do not.
 */
export function quorumTime(timestamps, policy) {
  const pairs = (timestamps instanceof Map ? [...timestamps.entries()] : Object.entries(timestamps))
    .map(([w, t]) => [w, Number(t)]);
  if (satisfiedBy(policy, [])) return 0;
  for (const t of [...new Set(pairs.map(([, ts]) => ts))].sort((x, y) => x - y)) {
    if (satisfiedBy(policy, pairs.filter(([, ts]) => ts <= t).map(([w]) => w))) return t;
  }
  return null;
}

/** SPEC(verification.md "Outcomes"): the draw's outcomes and their corrections, in log order. */
export function checkOutcomes(entries, drawId) {
  const refs = new Map();
  const current = new Map();
  const supersededBy = new Map();
  for (const [i, e] of items(entries)) {
    if (entryType(e) !== OUTCOME || e.draw_id !== drawId) continue;
    const ref = outcomeRef(e);
    refs.set(i, ref);
    const s = ref.supersedes;
    if (s === null) {
      if (current.has(ref.unitId)) {
        throw new HistoryError('outcome-twice',
          `unit ${ref.unitId} of draw ${drawId} has an outcome (entry ${current.get(ref.unitId)}) and entry ${i} adds another that corrects nothing; a correction names the outcome it supersedes`,
          { unit_id: ref.unitId, outcome: current.get(ref.unitId), index: i });
      }
    } else {
      const old = refs.get(s);
      if (old === undefined || old.unitId !== ref.unitId) {
        throw new HistoryError('outcome-supersede-unknown',
          `entry ${i} corrects entry ${s}, which is no earlier outcome of unit ${ref.unitId} in draw ${drawId}`,
          { index: i, supersedes: s, unit_id: ref.unitId });
      }
      if (supersededBy.has(s)) {
        throw new HistoryError('outcome-superseded-twice',
          `entry ${i} corrects entry ${s}, which entry ${supersededBy.get(s)} corrected already; a correction supersedes the outcome in force (entry ${current.get(ref.unitId)})`,
          { index: i, supersedes: s, superseded_by: supersededBy.get(s), current: current.get(ref.unitId) });
      }
      supersededBy.set(s, i);
    }
    current.set(ref.unitId, i);
  }
  return Object.freeze({ drawId, outcomes: [...refs.keys()], supersededBy, current });
}

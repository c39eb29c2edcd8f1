/**
 * RFC 8785 JSON Canonicalization Scheme for fairdraw's JSON subset (DESIGN §4).
 *
 * Supported: objects (keys sorted by UTF-16 code units, as RFC 8785 §3.2.3),
 * arrays, strings (RFC 8785 §3.2.2.2 escaping: \b \t \n \f \r \" \\ and
 * \u00XX lowercase for other controls; everything else literal), safe
 * integers (|n| < 2^53), booleans and null. Left out on purpose: floats,
 * -0, bigints, undefined, NaN/Infinity: our schemas never hold them, so they
 * are rejected with a FormatError instead of being serialised approximately.
 * Strings are not NFC-normalised here (the producer must send NFC); lone
 * surrogates are rejected because they cannot be encoded as UTF-8.
 */
import { FormatError } from './errors.js';
import { utf8 } from './bytes.js';

const ESCAPES = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

function serializeString(s) {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 34 || c === 92) {
      out += s.slice(start, i) + (ESCAPES[c] || '\\u00' + c.toString(16).padStart(2, '0'));
      start = i + 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
      else throw new FormatError('string holds a lone surrogate (not encodable as UTF-8)');
    }
  }
  return out + s.slice(start) + '"';
}

function compareUtf16(a, b) {
  // SPEC(RFC 8785 §3.2.3): sort by UTF-16 code units; JS string comparison is exactly that.
  return a < b ? -1 : a > b ? 1 : 0;
}

function serialize(value, path) {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return serializeString(value);
    case 'number':
      if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
        throw new FormatError(`${path}: only integers with |n| < 2^53 are allowed, got ${value}`);
      }
      return String(value);
    case 'object': {
      if (Array.isArray(value)) {
        return '[' + value.map((v, i) => serialize(v, `${path}[${i}]`)).join(',') + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new FormatError(`${path}: ${proto && proto.constructor ? proto.constructor.name : 'object'} is not JSON`);
      }
      const keys = Object.keys(value).sort(compareUtf16);
      const parts = [];
      for (const k of keys) {
        if (value[k] === undefined) throw new FormatError(`${path}.${k}: undefined is not JSON`);
        parts.push(serializeString(k) + ':' + serialize(value[k], `${path}.${k}`));
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      throw new FormatError(`${path}: ${typeof value} is not JSON`);
  }
}

/** Canonical JSON text of `value`. */
export function canonicalize(value) {
  return serialize(value, '$');
}

/** Canonical JSON as UTF-8 bytes (what is hashed and signed). */
export function canonicalBytes(value) {
  return utf8(serialize(value, '$'));
}

/**
 * `canonicalize(value) === text`, with the same FormatErrors, but fast for values that
 * JSON.parse just read from `text` (a snapshot line): native JSON.stringify produces the
 * RFC 8785 text whenever every object's keys are already in UTF-16 order, every number
 * is a safe integer other than -0 and no string holds a lone surrogate (stringify would
 * escape it as \udxxx; with no "\u" in the text there is none). Anything else takes the
 * exact path, canonicalize(value), which also throws its usual errors.
 */
export function isCanonicalJson(value, text) {
  if (text.indexOf('\\u') < 0 && stringifyIsCanonical(value) && JSON.stringify(value) === text) return true;
  return canonicalize(value) === text;
}

/** True if JSON.stringify(value) equals canonicalize(value) apart from lone surrogates (see above). */
function stringifyIsCanonical(value) {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!stringifyIsCanonical(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      let previous = null;
      for (const k of Object.keys(value)) {
        // SPEC(RFC 8785 §3.2.3): keys in UTF-16 code unit order (stringify keeps insertion order).
        if (previous !== null && !(previous < k)) return false;
        if (!stringifyIsCanonical(value[k])) return false;
        previous = k;
      }
      return true;
    }
    default:
      return false; // undefined, functions, bigints, symbols: canonicalize decides (it throws)
  }
}

/**
 * Byte helpers shared by every module: strict hex, strict base64 (RFC 4648 §4
 * with padding, must re-encode identically), strict UTF-8, big-endian ints.
 * No dependencies; works in browsers, workers and node.
 */
import { FormatError } from './errors.js';

const HEX = '0123456789abcdef';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text) {
  return utf8Encoder.encode(text);
}

/** Decode UTF-8, rejecting invalid sequences (never replaces with U+FFFD). */
export function decodeUtf8(bytes, what = 'text') {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    throw new FormatError(`${what} is not valid UTF-8`);
  }
}

export function bytesToHex(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return out;
}

/** Lowercase hex only (the project's canonical form); optional exact byte length. */
export function hexToBytes(hex, length = undefined, what = 'hex value') {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) {
    throw new FormatError(`${what} is not lowercase hex`);
  }
  if (length !== undefined && hex.length !== 2 * length) {
    throw new FormatError(`${what} must be ${length} bytes, got ${hex.length / 2}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

export function encodeBase64(bytes) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + '=';
  }
  return out;
}

/** SPEC(STYLE §5): base64 is accepted only if it re-encodes to the same text. */
export function decodeBase64(text, what = 'base64 value') {
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new FormatError(`${what} is not padded standard base64`);
  }
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let v;
      if (c === 61 /* = */ && i + j >= text.length - pad) v = 0;
      else {
        v = c < 128 ? B64_INDEX[c] : -1;
        if (v < 0) throw new FormatError(`${what} is not standard base64`);
      }
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  if (encodeBase64(out) !== text) throw new FormatError(`${what} is not canonical base64`);
  return out;
}

export function concatBytes(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Lexicographic byte comparison: -1, 0 or 1. Equals 256-bit big-endian integer order for equal lengths. */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** uint64 big-endian from a non-negative safe integer or bigint < 2^64. */
export function uint64be(value) {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new FormatError(`${value} does not fit in uint64`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

export function readUint64be(bytes, offset = 0) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, false);
}

/**
 * Canonical ASCII decimal (no sign, space, leading zero or underscore) -> bigint.
 * SPEC(STYLE §5): a number is accepted only if formatting it back gives the same text.
 */
export function parseDecimal(text, what = 'decimal number', max = (1n << 63n) - 1n) {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]*)$/.test(text) || text.length > 20) {
    throw new FormatError(`${what} is not a canonical decimal: ${JSON.stringify(String(text).slice(0, 40))}`);
  }
  const v = BigInt(text);
  if (v > max) throw new FormatError(`${what} ${text} is too large`);
  return v;
}

/** A bigint/number index as bigint; rejects negatives, fractions and unsafe Numbers. */
export function toBigIndex(value, what = 'value') {
  if (typeof value === 'bigint') {
    if (value < 0n) throw new FormatError(`${what} must not be negative`);
    return value;
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FormatError(`${what} must be a non-negative safe integer, got ${value}`);
  }
  return BigInt(value);
}

/**
 * SHA-256 and Ed25519 for the portal, choosing WebCrypto or vendored noble.
 *
 * WebCrypto (`crypto.subtle`) exists only in secure contexts (https,
 * localhost); a portal opened over plain http from another host or from a
 * file falls back to @noble (DESIGN §9). Both give identical results.
 *
 * `sha256Sync` is a hand-written FIPS 180-4 SHA-256 (below): the verifier
 * hashes millions of short messages (snapshot leaves, Merkle nodes, draw
 * tickets), where a promise per hash (WebCrypto) or a hasher object per call
 * (noble) costs more than the compression itself. It works on one growable
 * scratch buffer and a preallocated message schedule, so hashing allocates
 * only its 32-byte result; `sha256Scratch`/`sha256ScratchInto` let hot loops
 * write the message in place and the digest into a larger buffer, allocating
 * nothing. tests/public_portal/js/sha256.test.mjs checks it against noble
 * and WebCrypto on random inputs of every length around the block borders
 * (docs/spec/portal-js.md, "WebCrypto vs noble", for timings).
 */
import { sha256 as nobleSha256, ed25519 as nobleEd25519 } from './vendor/noble-curves.min.js';

let mode = 'auto'; // 'auto' | 'webcrypto' | 'noble'

/** Force a backend ('auto', 'webcrypto' or 'noble'); used by tests and by the page's diagnostics. */
export function setCryptoBackend(newMode) {
  if (!['auto', 'webcrypto', 'noble'].includes(newMode)) throw new Error(`unknown crypto backend ${newMode}`);
  mode = newMode;
}

/** The SubtleCrypto object if WebCrypto may be used, else null. */
export function subtleCrypto() {
  if (mode === 'noble') return null;
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) {
    if (mode === 'webcrypto') throw new Error('WebCrypto is not available (not a secure context?)');
    return null;
  }
  return subtle;
}

/** Name of the backend async calls will use right now. */
export function cryptoBackend() {
  return subtleCrypto() ? 'webcrypto' : 'noble';
}

// SPEC(FIPS 180-4 §4.2.2): the 64 round constants.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const W = new Int32Array(64); // message schedule, reused by every call
const STATE = new Int32Array(8);
let scratch = new Uint8Array(4096); // message + padding of the hash being computed

/**
 * A buffer of at least `length` + 72 bytes into which the caller writes a message
 * at [0, length) before calling sha256ScratchInto(length, …). Valid until the next
 * sha256* call (which may replace it when a longer message needs a bigger one).
 */
export function sha256Scratch(length) {
  if (scratch.length < length + 72) scratch = new Uint8Array(Math.max(2 * scratch.length, length + 72));
  return scratch;
}

/**
 * Process `blocks` 64-byte blocks of `buf` into STATE (FIPS 180-4 §6.2.2). One fused loop:
 * W[t] is computed in the round that uses it; Ch and Maj in their 3-operation forms.
 * (Measured ≈ 10–15 % faster in V8 than a separate schedule loop.)
 */
function compress(buf, blocks) {
  let h0 = STATE[0], h1 = STATE[1], h2 = STATE[2], h3 = STATE[3];
  let h4 = STATE[4], h5 = STATE[5], h6 = STATE[6], h7 = STATE[7];
  for (let p = 0; p < blocks * 64; p += 64) {
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      let w;
      if (t < 16) {
        const i = p + 4 * t;
        w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
      } else {
        const x = W[t - 15];
        const y = W[t - 2];
        // SPEC(FIPS 180-4 §6.2.2 step 1): W_t = σ1(W_t-2) + W_t-7 + σ0(W_t-15) + W_t-16.
        w = ((((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 7]
          + (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + W[t - 16]) | 0;
      }
      W[t] = w;
      // T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t;  T2 = Σ0(a) + Maj(a, b, c).
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)))
        + (g ^ (e & (f ^ g))) + K[t] + w) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10)))
        + ((a & b) | (c & (a | b)))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  STATE[0] = h0; STATE[1] = h1; STATE[2] = h2; STATE[3] = h3;
  STATE[4] = h4; STATE[5] = h5; STATE[6] = h6; STATE[7] = h7;
}

/**
 * SHA-256 of the first `length` bytes of the scratch buffer (see sha256Scratch),
 * written to out[offset, offset + 32). Clobbers the scratch bytes after `length`.
 */
export function sha256ScratchInto(length, out, offset = 0) {
  // SPEC(FIPS 180-4 §5.1.1): append 0x80, zeros, then the bit length as 64-bit big-endian.
  const total = (length + 72) & ~63;
  const buf = sha256Scratch(length);
  buf[length] = 0x80;
  buf.fill(0, length + 1, total - 8);
  const hi = Math.floor(length / 0x20000000); // length * 8 >= 2^32 for messages of 512 MiB or more
  buf[total - 8] = hi >>> 24; buf[total - 7] = hi >>> 16; buf[total - 6] = hi >>> 8; buf[total - 5] = hi;
  const lo = (length << 3) >>> 0;
  buf[total - 4] = lo >>> 24; buf[total - 3] = lo >>> 16; buf[total - 2] = lo >>> 8; buf[total - 1] = lo;
  // SPEC(FIPS 180-4 §5.3.3): initial hash value.
  STATE[0] = 0x6a09e667; STATE[1] = 0xbb67ae85; STATE[2] = 0x3c6ef372; STATE[3] = 0xa54ff53a;
  STATE[4] = 0x510e527f; STATE[5] = 0x9b05688c; STATE[6] = 0x1f83d9ab; STATE[7] = 0x5be0cd19;
  compress(buf, total >> 6);
  for (let i = 0; i < 8; i++) {
    const v = STATE[i];
    out[offset + 4 * i] = v >>> 24;
    out[offset + 4 * i + 1] = v >>> 16;
    out[offset + 4 * i + 2] = v >>> 8;
    out[offset + 4 * i + 3] = v;
  }
  return out;
}

/** Synchronous SHA-256 (the hand-written one above); same digest as noble and WebCrypto. */
export function sha256Sync(bytes) {
  sha256Scratch(bytes.length).set(bytes, 0);
  return sha256ScratchInto(bytes.length, new Uint8Array(32), 0);
}

/** noble's SHA-256, kept for cross-checks in tests and as a reference. */
export function sha256Noble(bytes) {
  return nobleSha256(bytes);
}

export async function sha256(bytes) {
  const subtle = subtleCrypto();
  if (subtle) return new Uint8Array(await subtle.digest('SHA-256', bytes));
  return nobleSha256(bytes);
}

let webEd25519 = undefined; // undefined = not probed, false = unsupported

async function webEd25519Supported(subtle) {
  if (webEd25519 !== undefined) return webEd25519;
  try {
    await subtle.importKey('raw', new Uint8Array(32).fill(1), { name: 'Ed25519' }, false, ['verify']);
    webEd25519 = true;
  } catch (e) {
    // An invalid point also throws; only "not supported" means no Ed25519.
    webEd25519 = !(e && (e.name === 'NotSupportedError' || /not supported|unrecognized/i.test(String(e.message))));
  }
  return webEd25519;
}

/**
 * RFC 8032 Ed25519 verification (strict, as Go crypto/ed25519: noble with zip215 off).
 * Returns a boolean: callers turn false into a SignatureError with evidence.
 */
export async function verifyEd25519(publicKey, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const subtle = subtleCrypto();
  if (subtle && (await webEd25519Supported(subtle))) {
    try {
      const key = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
      return await subtle.verify({ name: 'Ed25519' }, key, signature, message);
    } catch {
      return false;
    }
  }
  try {
    return nobleEd25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

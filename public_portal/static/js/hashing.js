/**
 * SHA-256 and Ed25519 for the portal, choosing WebCrypto or vendored noble.
 *
 * WebCrypto (`crypto.subtle`) exists only in secure contexts (https,
 * localhost); a portal opened over plain http from another host or from a
 * file falls back to @noble (DESIGN §9). Both give identical results.
 *
 * `sha256Sync` is noble's SHA-256 (vendored, audited), synchronous: the
 * verifier hashes many short messages (snapshot leaves, Merkle nodes, draw
 * tickets), where a promise per hash (WebCrypto) costs more than the hash.
 * One SHA-256 implementation in the portal: the hand-written one it replaced
 * was faster per hash but was a second copy to keep equal (issue 15; the
 * 13,300-unit draw stays within its 1.5 s, docs/performance.md).
 * `sha256Scratch`/`sha256ScratchInto` let hot loops assemble a message in one
 * reused buffer and write the digest into a larger one.
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

let scratch = new Uint8Array(4096); // a message being assembled by a hot loop (see below)

/**
 * A buffer of at least `length` bytes into which the caller writes a message at
 * [0, length) before calling sha256ScratchInto(length, …), so that hot loops
 * (Merkle leaves and nodes, draw tickets) need not allocate a message each.
 * Valid until the next sha256Scratch call that needs a bigger one.
 */
export function sha256Scratch(length) {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(2 * scratch.length, length));
  return scratch;
}

/** noble's SHA-256 of the first `length` bytes of the scratch buffer, written to out[offset, offset + 32). */
export function sha256ScratchInto(length, out, offset = 0) {
  out.set(nobleSha256(scratch.subarray(0, length)), offset);
  return out;
}

/** Synchronous SHA-256: noble's (the same digest as WebCrypto's, without a promise per hash). */
export function sha256Sync(bytes) {
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

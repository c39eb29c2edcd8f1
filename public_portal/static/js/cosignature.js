/**
 * c2sp.org/tlog-cosignature v1.0.1, Ed25519 `cosignature/v1` (signature type 0x04).
 *
 * A cosignature is a note signature line whose bytes after the 4-byte key ID
 * are `timestamp (uint64 big-endian) || Ed25519 signature (64 bytes)` over
 * "cosignature/v1\ntime <T>\n" || the whole checkpoint note text. Timestamps
 * are bigints (the spec allows up to 2^63-1, beyond JS safe integers).
 * Left out: ML-DSA-44 cosignatures (type 0x06, spec HEAD only) and the
 * subtree/v1 message.
 */
import { FormatError, SignatureError } from './errors.js';
import { concatBytes, readUint64be, utf8 } from './bytes.js';
import { verifyEd25519 } from './hashing.js';

export const COSIGNATURE_V1 = 0x04;
export const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** The exact bytes a cosigner signs for checkpoint note text `text` (bytes) at `timestamp`. */
export function cosignatureMessage(text, timestamp) {
  const t = BigInt(timestamp);
  // SPEC(tlog-cosignature): at most 2^63-1; SPEC(tlog-witness HEAD): MUST NOT be 0.
  if (t < 1n || t > MAX_TIMESTAMP) throw new FormatError(`cosignature timestamp ${t} is outside 1..2^63-1`);
  // SPEC(tlog-cosignature): "cosignature/v1\n" "time " <decimal, no leading zeros> "\n" <note text>
  return concatBytes(utf8(`cosignature/v1\ntime ${t.toString()}\n`), text);
}

/** Split the bytes after the key ID into {timestamp (bigint), signature (64 bytes)}. */
export function parseTimestampedSignature(sig) {
  if (sig.length !== 8 + 64) {
    throw new FormatError(`cosignature/v1 signature must be 72 bytes (timestamp + Ed25519), got ${sig.length}`);
  }
  const timestamp = readUint64be(sig, 0);
  // SPEC(tlog-cosignature): the timestamp MUST be at most 2^63-1.
  // SPEC(tlog-witness HEAD): the timestamp MUST NOT be 0 (as witnesses/cosignature.py).
  if (timestamp < 1n || timestamp > MAX_TIMESTAMP) throw new FormatError(`cosignature timestamp ${timestamp} is outside 1..2^63-1`);
  return { timestamp, signature: sig.subarray(8) };
}

/**
 * Verify one cosignature/v1 signature (bytes after the key ID) by `publicKey`
 * over checkpoint note text `text`; returns its timestamp (bigint) or throws.
 */
export async function verifyCosignature(publicKey, text, sig, name = 'cosigner') {
  const { timestamp, signature } = parseTimestampedSignature(sig);
  const ok = await verifyEd25519(publicKey, cosignatureMessage(text, timestamp), signature);
  if (!ok) {
    throw new SignatureError(`invalid cosignature from ${name}`, { cosigner: name, timestamp: timestamp.toString() });
  }
  return timestamp;
}

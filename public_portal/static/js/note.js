/**
 * c2sp.org/signed-note v1.0.0: strict parsing, verifier keys, key IDs and
 * opening a note with Go `sumdb/note.Open` semantics (our oracle).
 *
 * Supported signature types: 0x01 Ed25519 and 0x04 cosignature/v1 (Ed25519,
 * timestamped). Left out: 0x02 ECDSA, 0x05 RFC 6962 and 0x06 ML-DSA keys:
 * a vkey of those types is refused by parseVerifierKey (fairdraw logs and
 * witnesses use Ed25519 only), and their signature lines are simply unknown.
 */
import { AmbiguousKeyError, FormatError, SignatureError } from './errors.js';
import { bytesToHex, concatBytes, decodeBase64, decodeUtf8, encodeBase64, utf8 } from './bytes.js';
import { sha256Sync, verifyEd25519 } from './hashing.js';
import { COSIGNATURE_V1, parseTimestampedSignature, verifyCosignature } from './cosignature.js';

export const ED25519 = 0x01;
export const MAX_NOTE_SIZE = 1 << 20;
export const MAX_SIGNATURES = 100;
const SIG_PREFIX = '\u2014 '; // em dash + space

// Characters no key name may hold: "+", Unicode White_Space (Python's str.isspace set),
// ASCII controls and DEL, and U+FEFF (invisible; refused on purpose, as transparency/c2sp_codec.py does).
const BAD_NAME_CHAR = /[+\u0000-\u0020\u007f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/u;

/** SPEC(signed-note): key name non-empty, no Unicode spaces, no "+" (and no controls or U+FEFF). */
export function isValidKeyName(name) {
  return typeof name === 'string' && name.length > 0 && !BAD_NAME_CHAR.test(name);
}

/** SPEC(signed-note): key ID = SHA-256(name || 0x0A || type || public key)[:4], as an unsigned 32-bit number. */
export function keyId(name, type, publicKey) {
  const h = sha256Sync(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

export const keyIdHex = (id) => id.toString(16).padStart(8, '0');

/** Parse "name+hex8+base64(type||key)"; returns {name, keyId, type, publicKey, vkey}. */
export function parseVerifierKey(vkey) {
  if (typeof vkey !== 'string') throw new FormatError('verifier key must be a string');
  const first = vkey.indexOf('+');
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new FormatError(`verifier key ${JSON.stringify(vkey)} is not name+id+key`);
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  if (!isValidKeyName(name)) throw new FormatError(`verifier key name ${JSON.stringify(name)} is invalid`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new FormatError(`verifier key id ${JSON.stringify(idHex)} is not 8 lowercase hex digits`);
  const material = decodeBase64(vkey.slice(second + 1), 'verifier key material');
  if (material.length < 1) throw new FormatError('verifier key has no key material');
  const type = material[0];
  const publicKey = material.slice(1);
  if (type !== ED25519 && type !== COSIGNATURE_V1) {
    throw new FormatError(`verifier key type 0x${type.toString(16).padStart(2, '0')} is not supported (Ed25519 0x01 and cosignature/v1 0x04 only)`);
  }
  if (publicKey.length !== 32) throw new FormatError(`Ed25519 verifier key must be 32 bytes, got ${publicKey.length}`);
  const id = keyId(name, type, publicKey);
  if (keyIdHex(id) !== idHex) {
    throw new FormatError(`verifier key id ${idHex} does not match its key (computed ${keyIdHex(id)})`);
  }
  return { name, keyId: id, type, publicKey, vkey };
}

export function formatVerifierKey(name, type, publicKey) {
  return `${name}+${keyIdHex(keyId(name, type, publicKey))}+${encodeBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/** The cosignature/v1 (0x04) vkey for a witness published as an Ed25519 (0x01) vkey. */
export function cosignatureVerifierKey(vkey) {
  const v = parseVerifierKey(vkey);
  return formatVerifierKey(v.name, COSIGNATURE_V1, v.publicKey);
}

/**
 * Strict parse of a signed note (bytes). Returns {text (bytes, incl. final \n),
 * textString, signatures: [{name, keyId, signature (bytes after the key ID), line}]}.
 */
export function parseNote(data) {
  if (!(data instanceof Uint8Array)) throw new FormatError('note must be bytes');
  // SPEC(STYLE §5): size bound before parsing.
  if (data.length > MAX_NOTE_SIZE) throw new FormatError(`note is larger than ${MAX_NOTE_SIZE} bytes`);
  const s = decodeUtf8(data, 'note');
  // SPEC(signed-note): no ASCII control characters other than newline.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s)) throw new FormatError('malformed note: control character');
  if (!s.endsWith('\n')) throw new FormatError('malformed note: missing final newline');
  // SPEC(signed-note): the LAST "\n\n" splits the text from the signatures.
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw new FormatError('malformed note: no blank line before the signatures');
  const textString = s.slice(0, split + 1);
  const lines = s.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new FormatError(`malformed note: more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map(parseSignatureLine);
  return { text: utf8(textString), textString, signatures };
}

/** One signature line "— <name> <base64(key ID || signature)>" (without its newline). */
export function parseSignatureLine(line) {
  if (!line.startsWith(SIG_PREFIX)) throw new FormatError('malformed note: signature line does not start with an em dash');
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new FormatError('malformed note: signature line has no signature');
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new FormatError(`malformed note: invalid key name ${JSON.stringify(name)}`);
  const raw = decodeBase64(rest.slice(space + 1), `signature of ${name}`);
  if (raw.length < 5) throw new FormatError(`malformed note: signature of ${name} is too short`);
  const id = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
  return { name, keyId: id, signature: raw.slice(4), line };
}

/** Parse a cosignature/v1 verifier key "name+hex8+base64(0x04 || key)" (witnesses.cosignature.parse_cosigner_key). */
export function parseCosignerKey(vkey) {
  if (typeof vkey !== 'string' || vkey.length > 1024) throw new FormatError('cosigner key must be a string of at most 1024 characters');
  const v = parseVerifierKey(vkey);
  if (v.type !== COSIGNATURE_V1) throw new FormatError(`cosigner key must have type 0x04, got 0x${v.type.toString(16).padStart(2, '0')}`);
  return v;
}

/**
 * Verify one cosignature/v1 line (with or without its final newline) by the
 * witness `vkey` on checkpoint note text `text` (bytes); returns the timestamp
 * (bigint). Mirrors witnesses.cosignature.verify_cosignature: FormatError for
 * anything malformed, SignatureError for a line by another key or a bad signature.
 */
export async function verifyCosignatureLine(vkey, text, line) {
  const key = parseCosignerKey(vkey);
  if (typeof line !== 'string' || line.length > 1024) throw new FormatError('signature line must be a string of at most 1024 characters');
  const one = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (one.includes('\n')) throw new FormatError('signature line contains more than one line');
  if (/[\u0000-\u001f\u007f]/.test(one)) throw new FormatError('signature line contains a control character');
  const sig = parseSignatureLine(one);
  if (sig.signature.length !== 8 + 64) {
    throw new FormatError(`a cosignature/v1 line carries 76 bytes, got ${sig.signature.length + 4}`);
  }
  parseTimestampedSignature(sig.signature); // timestamp range: a format error, not a signature error
  const label = `${key.name}+${keyIdHex(key.keyId)}`;
  if (sig.name !== key.name || sig.keyId !== key.keyId) {
    throw new SignatureError(`cosignature is by ${sig.name}+${keyIdHex(sig.keyId)}, not by this key (${label})`, { key: label });
  }
  return verifyCosignature(key.publicKey, text, sig.signature, label);
}

/** Verify one signature line with a parsed verifier; returns {timestamp?} or throws SignatureError. */
export async function verifyNoteSignature(verifier, text, sig) {
  const label = `${verifier.name}+${keyIdHex(verifier.keyId)}`;
  if (verifier.type === COSIGNATURE_V1) {
    let timestamp;
    try {
      timestamp = await verifyCosignature(verifier.publicKey, text, sig.signature, label);
    } catch (e) {
      throw new SignatureError(`invalid signature for key ${label}: ${e.message}`, { key: label });
    }
    return { timestamp };
  }
  if (!(await verifyEd25519(verifier.publicKey, text, sig.signature))) {
    throw new SignatureError(`invalid signature for key ${label}`, { key: label });
  }
  return {};
}

/**
 * Open a note with Go sumdb/note.Open semantics: unknown (name, id) pairs are
 * ignored (listed as unverified, identical lines once); a known key's bad
 * signature rejects the note, a repeated line's too (stricter than Go, which
 * skips repeats unchecked); repeated lines of one known key count once; no
 * verified signature rejects the note; a signature matching two configured
 * keys is an AmbiguousKeyError. Returns {text, textString, signatures,
 * verified: [{name, keyId, timestamp?}], unverified: [{name, keyId}]}.
 */
export async function openNote(data, verifierKeys) {
  const note = parseNote(data);
  const verifiers = verifierKeys.map((k) => (typeof k === 'string' ? parseVerifierKey(k) : k));
  const verified = [];
  const unverified = [];
  const seenKnown = new Set();
  const seenUnknown = new Set();
  for (const sig of note.signatures) {
    const id = `${sig.name}+${keyIdHex(sig.keyId)}`;
    const matches = verifiers.filter((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (matches.length === 0) {
      if (!seenUnknown.has(sig.line)) {
        seenUnknown.add(sig.line);
        unverified.push({ name: sig.name, keyId: sig.keyId, id });
      }
      continue;
    }
    if (matches.length > 1) throw new AmbiguousKeyError(`ambiguous key ${id}`, { key: id });
    // SPEC(signed-note): a known key's signature MUST verify; every line is checked,
    // a repeat too (Go skips repeats unchecked: stricter here, as transparency/note.py).
    const extra = await verifyNoteSignature(matches[0], note.text, sig);
    if (seenKnown.has(id)) continue;
    seenKnown.add(id);
    verified.push({ name: sig.name, keyId: sig.keyId, id, ...extra });
  }
  if (verified.length === 0) {
    throw new SignatureError('note has no verifiable signatures', { unverified: unverified.map((u) => u.id) });
  }
  return { ...note, verified, unverified };
}

export { bytesToHex };

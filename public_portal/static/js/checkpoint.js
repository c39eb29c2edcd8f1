/**
 * c2sp.org/tlog-checkpoint v1.0.0: the note text of a log checkpoint.
 *
 * Strict (torchwood-like, as transparency/checkpoint.py) parsing: at most
 * 10^6 bytes without control characters; origin non-empty; tree size canonical
 * decimal < 2^63; root hash = canonical base64 of exactly 32 bytes; optional
 * extension lines each non-empty and newline-terminated (fairdraw logs emit
 * none; they are kept in `extensions` so cosignature messages stay exact).
 * openCheckpoint verifies the log signature with the note rules of note.js.
 */
import { FormatError } from './errors.js';
import { decodeBase64, decodeUtf8, encodeBase64, parseDecimal, utf8 } from './bytes.js';
import { openNote } from './note.js';

export const MAX_CHECKPOINT_SIZE = 1_000_000;

/** Parse checkpoint note text (bytes or string) into {origin, treeSize (bigint), rootHash, extensions}. */
export function parseCheckpoint(text) {
  const bytes = typeof text === 'string' ? utf8(text) : text;
  if (bytes.length > MAX_CHECKPOINT_SIZE) throw new FormatError('checkpoint is too large');
  const s = decodeUtf8(bytes, 'checkpoint');
  // SPEC(signed-note): the text has no control characters other than newline.
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s)) throw new FormatError('checkpoint contains a control character');
  if (!s.endsWith('\n')) throw new FormatError('checkpoint text must end with a newline');
  const lines = s.slice(0, -1).split('\n');
  if (lines.length < 3) throw new FormatError('checkpoint needs origin, tree size and root hash lines');
  const [origin, size, root, ...extensions] = lines;
  if (origin.length === 0) throw new FormatError('checkpoint origin is empty');
  const treeSize = parseDecimal(size, 'checkpoint tree size');
  const rootHash = decodeBase64(root, 'checkpoint root hash');
  if (rootHash.length !== 32) throw new FormatError(`checkpoint root hash must be 32 bytes, got ${rootHash.length}`);
  for (const ext of extensions) {
    if (ext.length === 0) throw new FormatError('checkpoint extension line is empty');
  }
  return { origin, treeSize, rootHash, extensions };
}

export function formatCheckpoint({ origin, treeSize, rootHash, extensions = [] }) {
  return utf8([origin, BigInt(treeSize).toString(), encodeBase64(rootHash), ...extensions].join('\n') + '\n');
}

/**
 * Open a signed checkpoint with the log's verifier key(s); returns
 * {checkpoint, note} (note as returned by openNote). Throws FormatError or
 * SignatureError. The origin must equal `expectedOrigin` when given.
 */
export async function openCheckpoint(noteBytes, logVerifierKeys, expectedOrigin = undefined) {
  const note = await openNote(noteBytes, logVerifierKeys);
  const checkpoint = parseCheckpoint(note.text);
  if (expectedOrigin !== undefined && checkpoint.origin !== expectedOrigin) {
    throw new FormatError(`checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the expected ${JSON.stringify(expectedOrigin)}`);
  }
  return { checkpoint, note };
}

// A real (in-memory) fairdraw log for the verify-draw tests: Ed25519 log key, cosignature/v1
// witnesses, tlog-tiles files, all made with the vendored noble code. No mocks of the verifier.
import { ed25519 } from '../../../public_portal/static/js/vendor/noble-curves.min.js';
import { concatBytes, encodeBase64, uint64be, utf8 } from '../../../public_portal/static/js/bytes.js';
import { formatCheckpoint } from '../../../public_portal/static/js/checkpoint.js';
import { cosignatureMessage } from '../../../public_portal/static/js/cosignature.js';
import { formatVerifierKey, keyId } from '../../../public_portal/static/js/note.js';
import { leafHash, rootHash } from '../../../public_portal/static/js/merkle.js';
import { entriesPath, tilePath } from '../../../public_portal/static/js/tiles.js';

const kid = (id) => new Uint8Array([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);

export function makeKey(name, seedByte, type) {
  const sk = new Uint8Array(32).fill(seedByte);
  const pk = ed25519.getPublicKey(sk);
  return { name, sk, pk, type, id: keyId(name, type, pk), vkey: formatVerifierKey(name, type, pk) };
}

/** Signed checkpoint note for the first `size` entries, with cosignatures [{key, timestamp}]. */
export function signCheckpoint(origin, logKey, entries, size, cosigners = []) {
  const text = formatCheckpoint({ origin, treeSize: size, rootHash: rootHash(entries.slice(0, size).map(leafHash)) });
  const lines = [`\u2014 ${logKey.name} ${encodeBase64(concatBytes(kid(logKey.id), ed25519.sign(text, logKey.sk)))}\n`];
  for (const { key, timestamp } of cosigners) {
    const sig = ed25519.sign(cosignatureMessage(text, timestamp), key.sk);
    lines.push(`\u2014 ${key.name} ${encodeBase64(concatBytes(kid(key.id), uint64be(timestamp), sig))}\n`);
  }
  return concatBytes(text, utf8('\n' + lines.join('')));
}

/** tlog-tiles files (full and partial tiles + bundles) for `entries`. */
export function tileFiles(entries) {
  const files = new Map();
  let level = entries.map(leafHash);
  for (let L = 0; level.length > 0; L++) {
    for (let t = 0; t * 256 < level.length; t++) {
      const chunk = level.slice(t * 256, t * 256 + 256);
      const w = chunk.length === 256 ? null : chunk.length;
      files.set(tilePath(L, t, w), concatBytes(...chunk));
      if (L === 0) {
        files.set(entriesPath(t, w), concatBytes(...entries.slice(t * 256, t * 256 + 256)
          .map((e) => concatBytes(new Uint8Array([e.length >> 8, e.length & 255]), e))));
      }
    }
    const next = [];
    for (let t = 0; (t + 1) * 256 <= level.length; t++) next.push(rootHash(level.slice(t * 256, t * 256 + 256)));
    level = next;
  }
  return files;
}

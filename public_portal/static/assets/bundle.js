/**
 * Offline bundles (docs/spec/portal-data.md §Offline bundles): the JSON object
 * {"format": "fairdraw-bundle/v1", "draw_id", "source", "created_at", "files": {path: base64}}
 * that `fairdraw bundle`, the draw page's download button and the builder's disk files
 * (data/disk/<id>.js, for pages opened from disk) all write. Parsing checks the shape and
 * the paths; everything in it is then verified like files from a portal.
 */
import { decodeBase64, decodeUtf8 } from './js/bytes.js';

export const MAX_BUNDLE = 512 * 1024 * 1024;

/** Parse a bundle object: -> {drawId, files: {path: Uint8Array}}; throws naming what is wrong. */
export function parseBundleObject(b) {
  if (!b || b.format !== 'fairdraw-bundle/v1') throw new Error('format is not "fairdraw-bundle/v1"');
  if (typeof b.draw_id !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(b.draw_id)) throw new Error('draw_id is missing or not an identifier');
  if (!b.files || typeof b.files !== 'object') throw new Error('files is missing');
  const files = {};
  for (const [path, text] of Object.entries(b.files)) {
    if (!/^[A-Za-z0-9._:/-]{1,256}$/.test(path) || path.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`file path ${JSON.stringify(path)} is not a portal path`);
    if (typeof text !== 'string') throw new Error(`file ${path} is not base64 text`);
    files[path] = decodeBase64(text);
  }
  for (const need of ['trust.json', 'log/checkpoint']) {
    if (!files[need]) throw new Error(`the bundle has no ${need}`);
  }
  return { drawId: b.draw_id, files };
}

/** Parse a bundle file's bytes (size-bounded before parsing). */
export function parseBundle(bytes) {
  if (bytes.length > MAX_BUNDLE) throw new Error(`the file is larger than ${MAX_BUNDLE} bytes`);
  return parseBundleObject(JSON.parse(decodeUtf8(bytes, 'bundle')));
}

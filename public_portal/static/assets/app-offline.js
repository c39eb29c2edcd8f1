/**
 * The offline page: verify an offline bundle dropped from disk
 * (docs/spec/portal-data.md §Offline bundle), with the same verifier as the draw page.
 * Freshness is not checked offline (the check says so) and the bundle's trust.json is
 * shown with its fingerprint, to compare with the published one.
 */
import { setupLanguage, t } from './i18n.js';
import { decodeBase64, decodeUtf8 } from './js/bytes.js';
import { startVerification } from './draw-view.js';

setupLanguage();
const MAX_BUNDLE = 512 * 1024 * 1024;
const $ = (id) => document.getElementById(id);

/** Parse a bundle: {"format": "fairdraw-bundle/v1", "draw_id", "source", "created_at", "files": {path: base64}}. */
export function parseBundle(bytes) {
  if (bytes.length > MAX_BUNDLE) throw new Error(`the file is larger than ${MAX_BUNDLE} bytes`);
  const b = JSON.parse(decodeUtf8(bytes, 'bundle'));
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

async function verifyFile(file) {
  $('bundle-error').hidden = true;
  let bundle;
  try {
    bundle = parseBundle(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    $('bundle-error').textContent = t('offline.bad') + e.message;
    $('bundle-error').hidden = false;
    document.documentElement.dataset.verdict = 'fail';
    return;
  }
  const trust = JSON.parse(decodeUtf8(bundle.files['trust.json'], 'trust.json'));
  $('bundle-key').textContent = (trust.log.vkeys ?? [trust.log.vkey]).join(' ');
  $('bundle-info').hidden = false;
  $('view').hidden = false;
  document.documentElement.dataset.drawId = bundle.drawId;
  await startVerification({ drawId: bundle.drawId, files: bundle.files, remember: false });
}

$('bundle-file').addEventListener('change', (ev) => {
  if (ev.target.files.length) verifyFile(ev.target.files[0]);
});
const drop = $('drop');
drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  if (ev.dataTransfer.files.length) verifyFile(ev.dataTransfer.files[0]);
});

/**
 * The offline page: verify an offline bundle dropped from disk
 * (docs/spec/portal-data.md §Offline bundle), with the same verifier as the draw page.
 * Freshness is not checked offline (the check says so) and the bundle's trust.json is
 * shown with its fingerprint, to compare with the published one.
 */
import { setupLanguage, t } from './i18n.js';
import { decodeUtf8 } from './js/bytes.js';
import { parseBundle } from './bundle.js';
import { startVerification } from './draw-view.js';

setupLanguage();
const $ = (id) => document.getElementById(id);

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

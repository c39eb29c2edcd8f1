/**
 * The draw page (draw/<id>.html): verify this draw against the portal it is served from.
 * Opened from disk (file://) the page cannot fetch the portal's files, so it loads the
 * classic scripts the builder wrote for it (public_portal/disk.py): data/disk/<id>.js, the
 * manifest {files: {path: sha256}}, and data/disk/f/<sha256>.js, each file's bytes; then it
 * verifies them like an offline bundle (issue 13 item 3).
 */
import { setupLanguage, t } from './i18n.js';
import { startVerification } from './draw-view.js';
import { parseBundleObject } from './bundle.js';

setupLanguage();
const drawId = document.documentElement.dataset.drawId;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = url;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${url} could not be read`));
    document.head.append(s);
  });
}

async function diskBundle() {
  const url = new URL(`../data/disk/${drawId}.js`, location.href).href;
  await loadScript(url);
  const manifest = globalThis.FairdrawDisk && globalThis.FairdrawDisk[drawId];
  if (!manifest || manifest.format !== 'fairdraw-disk/v1' || !manifest.files || typeof manifest.files !== 'object') {
    throw new Error(`${url} registers no manifest for ${drawId}`);
  }
  const digests = [...new Set(Object.values(manifest.files))];
  for (const d of digests) {
    if (typeof d !== 'string' || !/^[0-9a-f]{64}$/.test(d)) throw new Error(`${url}: ${JSON.stringify(d)} is not a SHA-256 name`);
  }
  await Promise.all(digests.map((d) => loadScript(new URL(`../data/disk/f/${d}.js`, location.href).href)));
  const stored = globalThis.FairdrawDiskFiles || {};
  const files = {};
  for (const [path, d] of Object.entries(manifest.files)) files[path] = stored[d];
  return parseBundleObject({ format: 'fairdraw-bundle/v1', draw_id: drawId, files });
}

async function verifyFromDisk() {
  let files;
  try {
    ({ files } = await diskBundle());
  } catch (e) {
    return startVerification({ drawId, files: {}, remember: false, failure: `${t('disk.missing')} ${e.message}` });
  }
  return startVerification({ drawId, files, remember: false });
}

if (location.protocol === 'file:') verifyFromDisk();
else startVerification({ drawId, base: new URL('../', location.href).href, remember: true });

/**
 * The draw page (draw/<id>.html): verify this draw against the portal it is served from.
 * Opened from disk (file://) the page cannot fetch the portal's files, so it reads the
 * offline bundle the builder wrote for this draw, data/disk/<id>.js (a classic script that
 * registers the bundle object), and verifies it like an offline bundle (issue 13 item 3).
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

async function verifyFromDisk() {
  const url = new URL(`../data/disk/${drawId}.js`, location.href).href;
  let files;
  try {
    await loadScript(url);
    const registered = globalThis.FairdrawDisk && globalThis.FairdrawDisk[drawId];
    if (!registered) throw new Error(`${url} registers no bundle for ${drawId}`);
    ({ files } = parseBundleObject(registered));
  } catch (e) {
    return startVerification({ drawId, files: {}, remember: false, failure: `${t('disk.missing')} ${e.message}` });
  }
  return startVerification({ drawId, files, remember: false });
}

if (location.protocol === 'file:') verifyFromDisk();
else startVerification({ drawId, base: new URL('../', location.href).href, remember: true });

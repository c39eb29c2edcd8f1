/** The draw page (draw/<id>.html): verify this draw against the portal it is served from. */
import { setupLanguage } from './i18n.js';
import { startVerification } from './draw-view.js';

setupLanguage();
const drawId = document.documentElement.dataset.drawId;
startVerification({ drawId, base: new URL('../', location.href).href, remember: true });

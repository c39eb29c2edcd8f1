/** The index page: rows are rendered by the builder; this only sets the language. */
import { setupLanguage } from './i18n.js';

setupLanguage();

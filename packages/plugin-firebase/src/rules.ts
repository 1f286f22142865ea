import { fileURLToPath } from 'node:url';

/** The absolute path of the package's database.rules.json (shipped next to dist/). */
export const RULES_PATH = fileURLToPath(new URL('../database.rules.json', import.meta.url));

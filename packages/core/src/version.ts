import pkg from '../package.json' with { type: 'json' };

/** The version of @charge-it/core, from its package.json (bundled at build time). */
export const CORE_VERSION: string = pkg.version;

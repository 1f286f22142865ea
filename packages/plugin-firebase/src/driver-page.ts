import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CsmsPluginContext } from '@charge-it/core';

/** The Firebase web config the page uses (public values, safe to ship). */
export interface FirebaseWebConfig {
  databaseURL: string;
  apiKey?: string;
  projectId?: string;
  appId?: string;
  authDomain?: string;
  /** `host:port` of an emulator (tests, local development). */
  emulatorHost?: string;
}

export interface DriverPageOptions {
  /** Extra Firebase web config for the page (apiKey, projectId, ...); databaseURL comes from the mirror. */
  web?: Omit<FirebaseWebConfig, 'databaseURL' | 'emulatorHost'>;
  /**
   * The address the QR codes point to, e.g. `https://my-project.web.app/` when the page is on
   * Firebase Hosting. Default: where the station page itself is opened.
   */
  baseUrl?: string;
  /** Folder with the built page (default: the package's dist/driver). */
  dir?: string;
}

/** The page's `config.json` (also written by `charge-it-firebase export-hosting`). */
export interface DriverPageConfig {
  version: 1;
  /** Root of the layout in the database ('v1'). */
  root: string;
  /** Firebase for the page, or null: then it reads the LAN view only. */
  firebase: FirebaseWebConfig | null;
  /** Base of the core's public live view relative to the page (null when it is off). */
  lan: string | null;
  /** Where the QR codes point (null: the page's own address). */
  baseUrl: string | null;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/** Where the built page is: next to this module in dist/, or dist/driver when running from src/. */
export function driverPageDir(): string {
  const candidates = [new URL('./driver/', import.meta.url), new URL('../dist/driver/', import.meta.url)];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return fileURLToPath(candidates[0]!);
}

/**
 * The Content-Security-Policy of the page: its own files, no inline code; websockets to Firebase and
 * the long-polling fallback's scripts/frames from Firebase's hosts (and an emulator's, when used).
 */
export function driverPageCsp(firebase: FirebaseWebConfig | null = null): string {
  const fbHosts = ['https://*.firebaseio.com', 'https://*.firebasedatabase.app'];
  if (firebase?.emulatorHost) fbHosts.push(`http://${firebase.emulatorHost}`);
  return [
    "default-src 'self'",
    `script-src 'self' ${fbHosts.join(' ')}`,
    "connect-src 'self' wss: https: ws:",
    "img-src 'self' data:",
    "style-src 'self'",
    `frame-src ${fbHosts.join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function registerDriverPage(
  ctx: CsmsPluginContext,
  options: DriverPageOptions & { root: string; firebase: FirebaseWebConfig | null; lan: boolean },
): void {
  const dir = options.dir ?? driverPageDir();
  if (!existsSync(join(dir, 'index.html'))) {
    ctx.log.warn(`Firebase plugin: the driver page is not built (${dir} has no index.html; run npm run build -w @charge-it/plugin-firebase); /driver/ is not served`);
    return;
  }
  // A fixed set of files read once: no path from the request ever reaches the file system.
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const config: DriverPageConfig = {
    version: 1,
    root: options.root,
    firebase: options.firebase,
    lan: options.lan ? '../public/v1' : null,
    baseUrl: options.baseUrl ?? null,
  };
  const configBody = JSON.stringify(config);
  const csp = driverPageCsp(options.firebase);

  ctx.routes(
    async (app) => {
      app.get('/', async (req, reply) => {
        const path = req.url.split('?')[0]!;
        if (!path.endsWith('/')) {
          const query = req.url.slice(path.length);
          return reply.redirect(`${path}/${query}`, 301);
        }
        const f = files.get('index.html')!;
        return send(reply, f.body, f.type);
      });
      app.get('/config.json', async (_req, reply) => send(reply, configBody, TYPES['.json']!));
      app.get<{ Params: { file: string } }>('/:file', async (req, reply) => {
        const f = files.get(req.params.file);
        if (!f) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
        return send(reply, f.body, f.type);
      });
    },
    { prefix: '/driver' },
  );

  function send(reply: import('fastify').FastifyReply, body: Buffer | string, type: string) {
    return reply
      .header('content-type', type)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('content-security-policy', csp)
      .send(body);
  }
}

#!/usr/bin/env node
/**
 * charge-it-firebase: deploy the database rules, print QR codes for a station, export the driver
 * page for Firebase Hosting. `charge-it-firebase --help`.
 */
import { copyFileSync, existsSync, realpathSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import { deleteApp, initializeApp, cert, applicationDefault, type Credential } from 'firebase-admin/app';
import { getDatabase } from 'firebase-admin/database';
import { resolveAccess, FirebaseConfigError } from './credentials.js';
import { driverPageDir, type DriverPageConfig } from './driver-page.js';
import { RULES_PATH } from './rules.js';

const HELP = `charge-it-firebase — Firebase tools of @charge-it/plugin-firebase

Usage:
  charge-it-firebase deploy-rules [--database-url URL] [--credentials FILE] [--rules FILE] [--dry-run]
      Uploads database.rules.json (drivers may read /v1/stations/<station> only; nobody may write)
      to the Realtime Database. URL: --database-url or CHARGE_IT_FIREBASE_DATABASE_URL.
      Credentials: --credentials (service-account JSON), CHARGE_IT_FIREBASE_CREDENTIALS or
      GOOGLE_APPLICATION_CREDENTIALS; none needed with FIREBASE_DATABASE_EMULATOR_HOST.

  charge-it-firebase print-qr --station CP-1 --base-url URL [--connectors 2 | 1,3]
                              [--format terminal|svg|png|html] [--out PATH]
      A QR code per connector pointing to <base-url>/live.html?cp=CP-1&c=<n>. The base URL is where
      the driver page is: https://<project>.web.app/ (Firebase Hosting) or http://<server>:3000/driver/.
      terminal (default): prints to the terminal. html: one printable page (--out FILE, default
      <station>-qr.html). svg/png: one file per connector in --out DIR (default .).

  charge-it-firebase export-hosting --out DIR --database-url URL [--api-key KEY] [--project-id ID]
                                    [--base-url URL]
      Copies the driver page into DIR with its config.json, ready for 'firebase deploy --only hosting'.

Options:
  -h, --help     this help
`;

type Out = { log: (s: string) => void; error: (s: string) => void };

export async function main(argv: string[], out: Out = { log: (s) => console.log(s), error: (s) => console.error(s) }, env = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    out.log(HELP);
    return command ? 0 : 1;
  }
  try {
    switch (command) {
      case 'deploy-rules':
        return await deployRules(rest, out, env);
      case 'print-qr':
        return await printQr(rest, out);
      case 'export-hosting':
        return exportHosting(rest, out, env);
      default:
        out.error(`Unknown command ${JSON.stringify(command)}. Run charge-it-firebase --help.`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof FirebaseConfigError) {
      out.error(err.message);
      return 2;
    }
    out.error(`Failed: ${(err as Error)?.message ?? err}`);
    return 1;
  }
}

class UsageError extends Error {}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}. Run charge-it-firebase --help.`);
  }
}

async function deployRules(args: string[], out: Out, env: NodeJS.ProcessEnv): Promise<number> {
  const v = parse(args, { 'database-url': { type: 'string' }, credentials: { type: 'string' }, rules: { type: 'string' }, 'dry-run': { type: 'boolean' } }, 'deploy-rules');
  if (v.help) return out.log(HELP), 0;
  const rulesFile = resolve((v.rules as string | undefined) ?? RULES_PATH);
  if (!existsSync(rulesFile)) throw new UsageError(`deploy-rules: rules file ${rulesFile} does not exist`);
  const source = readFileSync(rulesFile, 'utf8');
  let parsed: { rules?: unknown };
  try {
    parsed = JSON.parse(source) as { rules?: unknown };
  } catch (err) {
    throw new UsageError(`deploy-rules: ${rulesFile} is not JSON (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed.rules !== 'object') throw new UsageError(`deploy-rules: ${rulesFile} has no "rules" object`);
  const access = resolveAccess({ databaseURL: v['database-url'] as string | undefined, credentials: v.credentials as string | undefined, env });
  if (access.kind === 'off') throw new UsageError(`deploy-rules: ${access.reason}`);
  if (v['dry-run']) {
    out.log(`Would upload ${rulesFile} to ${access.databaseURL} (${access.kind}).`);
    return 0;
  }
  const credential: Credential =
    access.kind === 'emulator'
      ? { getAccessToken: async () => ({ access_token: 'owner', expires_in: 3600 }) }
      : access.kind === 'serviceAccount'
        ? cert(access.key as Parameters<typeof cert>[0])
        : applicationDefault();
  const app = initializeApp({ databaseURL: access.databaseURL, credential }, `charge-it-cli-${process.pid}-${Date.now()}`);
  const prevEmulator = process.env.FIREBASE_DATABASE_EMULATOR_HOST;
  if (access.kind === 'emulator') process.env.FIREBASE_DATABASE_EMULATOR_HOST = access.emulatorHost; // the rules client reads it
  try {
    const db = getDatabase(app);
    await db.setRules(source);
    out.log(`Rules from ${rulesFile} deployed to ${access.databaseURL}.`);
    return 0;
  } finally {
    if (access.kind === 'emulator') {
      if (prevEmulator === undefined) delete process.env.FIREBASE_DATABASE_EMULATOR_HOST;
      else process.env.FIREBASE_DATABASE_EMULATOR_HOST = prevEmulator;
    }
    await deleteApp(app).catch(() => {});
  }
}

/** The live page's address for one connector. */
export function liveUrl(baseUrl: string, station: string, connectorId: number): string {
  const url = new URL('live.html', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('cp', station);
  url.searchParams.set('c', String(connectorId));
  return url.href;
}

function parseConnectors(v: string | undefined): number[] {
  if (!v) return [1];
  const parts = v.split(',').map((p) => p.trim());
  if (parts.length === 1 && /^\d+$/.test(parts[0]!) && Number(parts[0]) > 0) {
    const n = Number(parts[0]);
    if (n > 64) throw new UsageError('print-qr: --connectors is at most 64');
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const ids = parts.map(Number);
  if (ids.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`print-qr: --connectors must be a count (2) or a list of ids (1,3), got ${JSON.stringify(v)}`);
  return [...new Set(ids)].sort((a, b) => a - b);
}

async function printQr(args: string[], out: Out): Promise<number> {
  const v = parse(args, { station: { type: 'string' }, 'base-url': { type: 'string' }, connectors: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, 'print-qr');
  if (v.help) return out.log(HELP), 0;
  const station = (v.station as string | undefined)?.trim();
  const base = (v['base-url'] as string | undefined)?.trim();
  if (!station) throw new UsageError('print-qr: --station is required (the charge point id, e.g. --station CP-1)');
  if (!base) throw new UsageError('print-qr: --base-url is required (where the driver page is, e.g. https://my-project.web.app/)');
  try {
    const u = new URL(base);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
  } catch {
    throw new UsageError(`print-qr: --base-url ${JSON.stringify(base)} is not an http(s) URL`);
  }
  const ids = parseConnectors(v.connectors as string | undefined);
  const outPath = v.out as string | undefined;
  const format = ((v.format as string | undefined) ?? (outPath?.endsWith('.html') ? 'html' : 'terminal')).toLowerCase();
  const items = ids.map((id) => ({ id, url: liveUrl(base, station, id) }));
  const safe = station.replace(/[^A-Za-z0-9._-]/g, '_');

  switch (format) {
    case 'terminal':
      for (const it of items) {
        out.log(`${station} · connector ${it.id}\n${it.url}`);
        out.log(await QRCode.toString(it.url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' }));
      }
      return 0;
    case 'svg':
    case 'png': {
      const dir = resolve(outPath ?? '.');
      mkdirSync(dir, { recursive: true });
      for (const it of items) {
        const file = join(dir, `${safe}-${it.id}.${format}`);
        if (format === 'svg') writeFileSync(file, await QRCode.toString(it.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
        else await QRCode.toFile(file, it.url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 600 });
        out.log(`${file}  ${it.url}`);
      }
      return 0;
    }
    case 'html': {
      const file = resolve(outPath ?? `${safe}-qr.html`);
      const cards = await Promise.all(
        items.map(
          async (it) =>
            `<section><h2>${esc(station)} · Konektor / Connector ${it.id}</h2>${await QRCode.toString(it.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })}<p>Pindai untuk memantau pengisian · Scan to watch your charging</p><p class="u">${esc(it.url)}</p></section>`,
        ),
      );
      writeFileSync(
        file,
        `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>${esc(station)} QR</title><style>body{font-family:system-ui,sans-serif;margin:0}section{break-inside:avoid;page-break-inside:avoid;border:2px solid #000;border-radius:12px;margin:12mm;padding:8mm;text-align:center}h2{font-size:22pt;margin:0}svg{width:110mm;height:110mm}p{font-size:14pt;font-weight:700}.u{font-size:9pt;font-weight:400;word-break:break-all}</style></head><body>${cards.join('')}</body></html>\n`,
      );
      out.log(`${file} (${items.length} QR code${items.length === 1 ? '' : 's'}; open it and print)`);
      return 0;
    }
    default:
      throw new UsageError(`print-qr: --format must be terminal, svg, png or html (got ${JSON.stringify(format)})`);
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function exportHosting(args: string[], out: Out, env: NodeJS.ProcessEnv): number {
  const v = parse(
    args,
    { out: { type: 'string' }, 'database-url': { type: 'string' }, 'api-key': { type: 'string' }, 'project-id': { type: 'string' }, 'base-url': { type: 'string' }, root: { type: 'string' } },
    'export-hosting',
  );
  if (v.help) return out.log(HELP), 0;
  const dir = v.out as string | undefined;
  if (!dir) throw new UsageError('export-hosting: --out DIR is required (e.g. --out public, the hosting folder of firebase.json)');
  const databaseURL = ((v['database-url'] as string | undefined) ?? env.CHARGE_IT_FIREBASE_DATABASE_URL ?? '').trim();
  if (!databaseURL) throw new UsageError('export-hosting: --database-url is required (the Realtime Database URL)');
  try {
    if (new URL(databaseURL).protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`export-hosting: --database-url ${JSON.stringify(databaseURL)} must be an https:// URL`);
  }
  const src = driverPageDir();
  if (!existsSync(join(src, 'index.html'))) throw new Error(`the driver page is not built (${src}); run npm run build -w @charge-it/plugin-firebase`);
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const files = readdirSync(src).filter((f) => f !== 'config.json');
  for (const f of files) copyFileSync(join(src, f), join(target, f));
  const config: DriverPageConfig = {
    version: 1,
    root: (v.root as string | undefined) ?? 'v1',
    firebase: {
      databaseURL,
      ...(v['api-key'] ? { apiKey: v['api-key'] as string } : {}),
      ...(v['project-id'] ? { projectId: v['project-id'] as string } : {}),
    },
    lan: null,
    baseUrl: (v['base-url'] as string | undefined) ?? null,
  };
  writeFileSync(join(target, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  out.log(`Driver page (${files.length} files + config.json) written to ${target}. Deploy with: firebase deploy --only hosting`);
  return 0;
}

// Run when executed (not when imported by tests).
function invokedDirectly(): boolean {
  try {
    return Boolean(process.argv[1]) && realpathSync(process.argv[1]!) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}

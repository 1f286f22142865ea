/**
 * The CLI as a user runs it (node dist/cli.js): deploy-rules against firebase-server (the rules
 * endpoint the Admin SDK uses, added by the test helper), print-qr, export-hosting, --help.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firebase8, startFirebaseServer, type TestFirebaseServer } from './helpers/firebase-server.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const RULES = JSON.parse(readFileSync(new URL('../database.rules.json', import.meta.url), 'utf8'));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build -w @charge-it/plugin-firebase first`);
  dir = mkdtempSync(join(tmpdir(), 'charge-it-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('charge-it-firebase CLI', () => {
  it('prints help', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['deploy-rules', 'print-qr', 'export-hosting', 'GOOGLE_APPLICATION_CREDENTIALS']) expect(r.stdout).toContain(c);
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Unknown command "frobnicate"/);
  });

  describe('deploy-rules', () => {
    let fb: TestFirebaseServer;
    beforeAll(async () => {
      fb = await startFirebaseServer({ data: { v1: { stations: { 'CP-1': { online: true } } }, other: { x: 1 } } });
    });
    afterAll(async () => fb?.stop());

    it('uploads database.rules.json, after which a driver can read a station and write nothing', async () => {
      const r = await cli(['deploy-rules', '--database-url', fb.databaseURL]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/deployed/);
      expect(fb.rules()).toEqual(RULES);

      const app = firebase8().initializeApp({ databaseURL: fb.databaseURL }, `cli-driver-${Date.now()}`);
      try {
        const db = app.database();
        db.useEmulator('127.0.0.1', fb.port);
        expect((await db.ref('v1/stations/CP-1').once('value')).val()).toEqual({ online: true });
        await expect(db.ref('other').once('value')).rejects.toThrow(/permission/i);
        await expect(db.ref('v1/stations/CP-1/online').set(false)).rejects.toThrow(/permission/i);
      } finally {
        await app.delete();
      }
    });

    it('fails with a clear message without a database URL or credentials', async () => {
      const none = await cli(['deploy-rules']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/no databaseURL/);
      const noCreds = await cli(['deploy-rules', '--database-url', 'https://x-default-rtdb.firebaseio.com']);
      expect(noCreds.code).toBe(2);
      expect(noCreds.stderr).toMatch(/no credentials.*GOOGLE_APPLICATION_CREDENTIALS/);
      const missing = await cli(['deploy-rules', '--database-url', 'https://x-default-rtdb.firebaseio.com', '--credentials', join(dir, 'nope.json')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/nope\.json does not exist/);
    });
  });

  describe('print-qr', () => {
    it('prints a QR code per connector to the terminal with its link', async () => {
      const r = await cli(['print-qr', '--station', 'CP-1', '--base-url', 'https://demo.web.app/', '--connectors', '2']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('https://demo.web.app/live.html?cp=CP-1&c=1');
      expect(r.stdout).toContain('https://demo.web.app/live.html?cp=CP-1&c=2');
      expect(r.stdout).toMatch(/[▀▄█]/);
    });

    it('writes SVG, PNG and a printable HTML page', async () => {
      const svg = await cli(['print-qr', '--station', 'CP 7', '--base-url', 'http://192.168.1.10:3000/driver', '--connectors', '1,3', '--format', 'svg', '--out', join(dir, 'svg')]);
      expect(svg.code).toBe(0);
      expect(readdirSync(join(dir, 'svg')).sort()).toEqual(['CP_7-1.svg', 'CP_7-3.svg']);
      expect(readFileSync(join(dir, 'svg', 'CP_7-3.svg'), 'utf8')).toMatch(/^<svg/);
      expect(svg.stdout).toContain('http://192.168.1.10:3000/driver/live.html?cp=CP+7&c=3');

      const png = await cli(['print-qr', '--station', 'CP-1', '--base-url', 'https://demo.web.app/', '--format', 'png', '--out', join(dir, 'png')]);
      expect(png.code).toBe(0);
      expect(readFileSync(join(dir, 'png', 'CP-1-1.png')).subarray(1, 4).toString()).toBe('PNG');

      const html = await cli(['print-qr', '--station', 'CP-<1>', '--base-url', 'https://demo.web.app/', '--out', join(dir, 'sheet.html')]);
      expect(html.code).toBe(0);
      const page = readFileSync(join(dir, 'sheet.html'), 'utf8');
      expect(page).toContain('CP-&lt;1&gt; · Konektor / Connector 1');
      expect(page).toContain('<svg');
    });

    it('explains what is missing or wrong', async () => {
      expect((await cli(['print-qr', '--base-url', 'https://x/'])).stderr).toMatch(/--station is required/);
      expect((await cli(['print-qr', '--station', 'CP-1'])).stderr).toMatch(/--base-url is required/);
      expect((await cli(['print-qr', '--station', 'CP-1', '--base-url', 'ftp://x'])).stderr).toMatch(/not an http\(s\) URL/);
      expect((await cli(['print-qr', '--station', 'CP-1', '--base-url', 'https://x/', '--connectors', 'a,b'])).stderr).toMatch(/--connectors must be/);
      expect((await cli(['print-qr', '--station', 'CP-1', '--base-url', 'https://x/', '--format', 'gif'])).stderr).toMatch(/--format must be/);
      const unknown = await cli(['print-qr', '--stations', 'CP-1']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/--stations/);
    });
  });

  it('export-hosting writes the page and its config.json for Firebase Hosting', async () => {
    const out = join(dir, 'public');
    const r = await cli(['export-hosting', '--out', out, '--database-url', 'https://demo-default-rtdb.asia-southeast1.firebasedatabase.app', '--api-key', 'AIza-test', '--project-id', 'demo']);
    expect(r.code).toBe(0);
    const files = readdirSync(out);
    for (const f of ['index.html', 'live.html', 'live.js', 'station.js', 'style.css', 'config.json']) expect(files).toContain(f);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({
      version: 1,
      root: 'v1',
      firebase: { databaseURL: 'https://demo-default-rtdb.asia-southeast1.firebasedatabase.app', apiKey: 'AIza-test', projectId: 'demo' },
      lan: null,
      baseUrl: null,
    });
    const bad = await cli(['export-hosting', '--out', out, '--database-url', 'http://x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be an https:\/\/ URL/);
  });
});

/**
 * Test harness around the npm `firebase-server` (a Node implementation of the Realtime Database wire
 * protocol, pinned to firebase 8.10.1 by the root package.json override).
 *
 * - `startFirebaseServer({ port?, rules?, data? })` listens on 127.0.0.1 (port 0 = any free port)
 *   with `setAuthSecret('owner')`, so firebase-admin's emulator credential is the admin.
 * - The same HTTP server answers `GET|PUT /.settings/rules.json` (what firebase-admin's
 *   `getRules`/`setRules` and so our `deploy-rules` CLI call), which firebase-server lacks.
 * - `restart()` stops the server and starts a new one on the same port (an outage and recovery).
 * - `firebase8()` is the web SDK that firebase-server itself uses (v8), for driver-side tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

interface FirebaseServerInstance {
  setRules(rules: object): void;
  setAuthSecret(secret: string): void;
  getValue(): Promise<unknown>;
  close(): Promise<void>;
}
type FirebaseServerCtor = new (options: { server: Server } | number, name?: string, data?: unknown) => FirebaseServerInstance;

const FirebaseServer = require('firebase-server') as FirebaseServerCtor;

export interface StartOptions {
  /** 0 (default) for a free port. */
  port?: number;
  /** Security rules (the object of database.rules.json); default: everything open. */
  rules?: { rules: object };
  /** Initial data. */
  data?: unknown;
}

export interface TestFirebaseServer {
  readonly port: number;
  /** `127.0.0.1:<port>`, the value of FIREBASE_DATABASE_EMULATOR_HOST. */
  readonly host: string;
  /** A databaseURL that the SDKs treat as an emulator: `http://127.0.0.1:<port>?ns=<ns>`. */
  readonly databaseURL: string;
  /** The whole database now. */
  value(): Promise<any>;
  /** The value at a path (`/v1/stations/CP-1`), undefined keys dropped as RTDB does. */
  valueAt(path: string): Promise<any>;
  /** The rules last set through the REST endpoint (or the start option). */
  rules(): object | null;
  /** Stops listening and drops every client connection. */
  stop(): Promise<void>;
  /** Starts again on the same port with `data` (default: what it held when stopped). */
  restart(data?: unknown): Promise<void>;
  running(): boolean;
}

const NS = 'charge-it-test';

export async function startFirebaseServer(options: StartOptions = {}): Promise<TestFirebaseServer> {
  let instance: FirebaseServerInstance | null = null;
  let http: Server | null = null;
  let rules: object | null = options.rules ?? null;
  let lastData: unknown = options.data ?? null;
  let port = options.port ?? 0;

  async function start(data: unknown): Promise<void> {
    const server = createServer((req, res) => void handleRest(req, res));
    await listen(server, port);
    port = (server.address() as AddressInfo).port;
    // The name is sent as the host in the handshake; clients reconnect to it (real RTDB sends its own host).
    const fb = new FirebaseServer({ server }, `127.0.0.1:${port}`, data ?? null);
    fb.setAuthSecret('owner');
    if (rules) fb.setRules(rules);
    http = server;
    instance = fb;
  }

  async function handleRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/.settings/rules.json') {
      res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== 'Bearer owner') {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Unauthorized request.' }));
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rules ?? { rules: { '.read': true, '.write': true } }));
      return;
    }
    if (req.method === 'PUT') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { rules?: object };
        if (!parsed || typeof parsed.rules !== 'object') throw new Error('missing "rules"');
        instance!.setRules(parsed);
        rules = parsed;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err) }));
      }
      return;
    }
    res.writeHead(405).end();
  }

  async function stop(): Promise<void> {
    if (!instance || !http) return;
    lastData = await instance.getValue();
    const fb = instance;
    const server = http;
    instance = null;
    http = null;
    await fb.close(); // ws 7: terminates every client
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async function value(): Promise<any> {
    if (!instance) throw new Error('firebase-server is stopped');
    return instance.getValue();
  }

  await start(options.data ?? null);

  return {
    get port() {
      return port;
    },
    get host() {
      return `127.0.0.1:${port}`;
    },
    get databaseURL() {
      return `http://127.0.0.1:${port}?ns=${NS}`;
    },
    value,
    async valueAt(path: string) {
      let v: any = await value();
      for (const part of path.split('/').filter(Boolean)) {
        if (v === null || v === undefined) return undefined;
        v = v[part];
      }
      return v;
    },
    rules: () => rules,
    stop,
    async restart(data?: unknown) {
      await stop();
      await start(data === undefined ? lastData : data);
    },
    running: () => instance !== null,
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The firebase v8 web SDK that firebase-server depends on (the npm override pins 8.10.1). */
export function firebase8(): any {
  const fromServer = createRequire(require.resolve('firebase-server'));
  return fromServer('firebase');
}

/** Polls `read` until `accept` says yes (bounded; generous for a loaded machine). */
export async function waitFor<T>(read: () => T | Promise<T>, accept: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (accept(last)) return last;
    } catch (err) {
      last = err as T;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

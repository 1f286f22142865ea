/**
 * firebase-server (a Node implementation of the Realtime Database wire protocol) on 127.0.0.1 with
 * a free port, as the plugin-firebase tests run it: the SDKs treat `http://127.0.0.1:<port>?ns=<ns>`
 * as an emulator, so no credentials are needed.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);

interface FirebaseServerInstance {
  setAuthSecret(secret: string): void;
  getValue(): Promise<unknown>;
  close(): Promise<void>;
}
type FirebaseServerCtor = new (options: { server: Server }, name?: string, data?: unknown) => FirebaseServerInstance;
const FirebaseServer = require('firebase-server') as FirebaseServerCtor;

export interface TestFirebaseServer {
  readonly databaseURL: string;
  /** The value at a path (`/v1/stations/CP-1`). */
  valueAt(path: string): Promise<any>;
  stop(): Promise<void>;
}

export async function startFirebaseServer(): Promise<TestFirebaseServer> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const fb = new FirebaseServer({ server: http }, `127.0.0.1:${port}`, null);
  fb.setAuthSecret('owner');
  return {
    databaseURL: `http://127.0.0.1:${port}?ns=charge-it-spklu-test`,
    async valueAt(path: string) {
      let v: any = await fb.getValue();
      for (const part of path.split('/').filter(Boolean)) {
        if (v === null || v === undefined) return undefined;
        v = v[part];
      }
      return v;
    },
    async stop() {
      await fb.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

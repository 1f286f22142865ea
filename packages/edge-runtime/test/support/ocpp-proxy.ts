import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * A websocket proxy between a charge point and a central system on loopback that reads the OCPP-J
 * frames going through. `onResult` sees every CALLRESULT from the central system (with the action
 * of the call it answers) before it is forwarded; returning true withholds it and closes that
 * charge point's connection: the central system has processed (and committed) the message, the
 * charge point never learns it. The test kills the charge point process in the callback, which
 * is exactly the window of a power cut between the central system's commit and the charge
 * point's journal record.
 */
export class OcppProxy {
  readonly #server: WebSocketServer;
  readonly #target: string;
  /** While false, new connections are refused at the handshake (the central system looks down). */
  accepting = true;
  /** Decides per CALLRESULT; `connection` counts charge point connections from 1. */
  onResult: ((result: { action: string; payload: unknown; connection: number }) => boolean) | undefined;
  connections = 0;
  readonly #sockets = new Set<WebSocket>();

  private constructor(server: WebSocketServer, target: string) {
    this.#server = server;
    this.#target = target;
  }

  /** `target`: the central system's base URL, e.g. ws://127.0.0.1:9220 (the path of each request is kept). */
  static async start(target: string): Promise<OcppProxy> {
    const server = await new Promise<WebSocketServer>((resolve, reject) => {
      const wss: WebSocketServer = new WebSocketServer(
        {
          host: '127.0.0.1',
          port: 0,
          handleProtocols: (protocols) => (protocols.has('ocpp1.6') ? 'ocpp1.6' : false),
          verifyClient: (_info, done) => done(proxy.accepting, 503, 'central system down'),
        },
        () => resolve(wss),
      );
      wss.once('error', reject);
    });
    const proxy: OcppProxy = new OcppProxy(server, target.replace(/\/+$/, ''));
    server.on('connection', (down, req) => proxy.#pipe(down, req.url ?? '/', req.headers.authorization));
    return proxy;
  }

  /** Base URL for the charge point's csmsUrl (the path after the port is passed through). */
  url(path = ''): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Drops every open connection (both sides). */
  dropAll(): void {
    for (const s of this.#sockets) s.terminate();
  }

  async close(): Promise<void> {
    this.accepting = false;
    this.dropAll();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(down: WebSocket, path: string, authorization: string | undefined): void {
    const connection = ++this.connections;
    const up = new WebSocket(`${this.#target}${path}`, 'ocpp1.6', authorization ? { headers: { authorization } } : {});
    this.#sockets.add(down);
    this.#sockets.add(up);
    const actions = new Map<string, string>();
    const early: WebSocket.RawData[] = [];
    let cut = false;
    const closeBoth = (): void => {
      cut = true;
      this.#sockets.delete(down);
      this.#sockets.delete(up);
      if (down.readyState !== WebSocket.CLOSED) down.terminate();
      if (up.readyState !== WebSocket.CLOSED) up.terminate();
    };
    up.on('open', () => {
      for (const m of early.splice(0)) up.send(m.toString());
    });
    up.on('error', closeBoth);
    down.on('error', closeBoth);
    up.on('close', closeBoth);
    down.on('close', closeBoth);
    down.on('message', (data) => {
      if (cut) return;
      const frame = parse(data);
      if (frame && frame[0] === 2) actions.set(String(frame[1]), String(frame[2]));
      if (up.readyState === WebSocket.OPEN) up.send(data.toString());
      else early.push(data);
    });
    up.on('message', (data) => {
      if (cut) return;
      const frame = parse(data);
      if (frame && frame[0] === 3) {
        const action = actions.get(String(frame[1]));
        actions.delete(String(frame[1]));
        if (action && this.onResult?.({ action, payload: frame[2], connection })) {
          closeBoth();
          return;
        }
      }
      if (down.readyState === WebSocket.OPEN) down.send(data.toString());
    });
  }
}

function parse(data: WebSocket.RawData): unknown[] | undefined {
  try {
    const v = JSON.parse(data.toString());
    return Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

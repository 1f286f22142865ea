import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';

export interface SseOptions {
  /** Milliseconds between heartbeat comments (keep proxies and NAT from dropping an idle stream). */
  heartbeatMs: number;
  /** Extra response headers (CORS). */
  headers?: Record<string, string>;
  /** The client's reconnect delay sent as `retry:` (ms). */
  retryMs?: number;
}

/**
 * One Server-Sent Events response. `send` writes an event; when the socket's buffer is full it
 * returns a promise that settles once the client has read it (or left), which a live subscriber
 * awaits, so a slow client only ever holds the latest state and never an unbounded queue. The
 * stream ends when the client disconnects, `close()` is called, or the server shuts down.
 */
export class SseConnection {
  readonly #res: ServerResponse;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  constructor(reply: FastifyReply, options: SseOptions) {
    reply.hijack();
    this.#res = reply.raw;
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx: do not buffer the stream.
      'x-accel-buffering': 'no',
      ...options.headers,
    });
    this.#res.write(`retry: ${options.retryMs ?? 3_000}\n\n`);
    this.#heartbeat = setInterval(() => {
      if (!this.#closed && !this.#res.writableNeedDrain) this.#res.write(': heartbeat\n\n');
    }, options.heartbeatMs);
    this.#heartbeat.unref();
    this.#res.on('close', () => this.close());
    this.#res.on('error', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes one event (`data` as JSON). Resolves at once, or when a full buffer has drained. */
  send(event: string, data: unknown): Promise<void> | undefined {
    if (this.#closed) return undefined;
    const ok = this.#res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (ok) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.#res.off('drain', done);
        this.#res.off('close', done);
        resolve();
      };
      this.#res.once('drain', done);
      this.#res.once('close', done);
    });
  }

  /** Runs `fn` once when the stream ends (unsubscribe here). */
  onClose(fn: () => void): void {
    if (this.#closed) fn();
    else this.#onClose.push(fn);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const fn of this.#onClose.splice(0)) {
      try {
        fn();
      } catch {
        // a cleanup that throws must not keep the others from running
      }
    }
    if (!this.#res.writableEnded) this.#res.end();
  }
}

/** The open streams of one route module, ended when the server closes (so `close()` does not wait on them). */
export class SseHub {
  readonly #open = new Set<SseConnection>();

  constructor(app: FastifyInstance) {
    app.addHook('preClose', (done) => {
      this.closeAll();
      done();
    });
  }

  open(reply: FastifyReply, options: SseOptions): SseConnection {
    const connection = new SseConnection(reply, options);
    this.#open.add(connection);
    connection.onClose(() => this.#open.delete(connection));
    return connection;
  }

  get size(): number {
    return this.#open.size;
  }

  closeAll(): void {
    for (const c of [...this.#open]) c.close();
  }
}

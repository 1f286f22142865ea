/**
 * Handshake bookkeeping of the OCPP gateway: a TCP connection that sends no complete request head
 * within the handshake timeout (slowloris) is destroyed. Timers are keyed by the peer's
 * address:port, which is the same on a TLS socket and the raw TCP socket under it, so one code
 * path serves http and https servers.
 */
import type { Socket } from 'node:net';
import { normalizeIp } from './connection-limits.js';
import type { GatewayLogger } from './rpc-gateway.js';

type Peer = { remoteAddress?: string | undefined; remotePort?: number | undefined };

const peerKey = (socket: Peer) => `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;

export class PreRequestTimeouts {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #timeoutMs: number;
  readonly #log: GatewayLogger;

  constructor(timeoutMs: number, log: GatewayLogger) {
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** A TCP connection opened (the server's `connection` event): it must send a request in time. */
  start(socket: Socket): void {
    if (socket.remoteAddress === undefined) return;
    const key = peerKey(socket);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#log.debug(
        { event: 'ocpp-handshake-timeout', remoteAddress: normalizeIp(socket.remoteAddress) },
        'Dropped a connection that sent no request within the handshake timeout',
      );
      socket.destroy();
    }, this.#timeoutMs);
    timer.unref();
    this.#timers.set(key, timer);
    socket.once('close', () => {
      if (this.#timers.get(key) === timer) {
        clearTimeout(timer);
        this.#timers.delete(key);
      }
    });
  }

  /** The socket sent a request head (HTTP request or upgrade). */
  clear(socket: Peer): void {
    const key = peerKey(socket);
    const timer = this.#timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#timers.delete(key);
    }
  }

  /** Cancels every pending timer. */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

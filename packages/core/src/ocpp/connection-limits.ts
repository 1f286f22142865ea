/**
 * Per-IP counters for the OCPP gateway: websocket handshakes in progress and open connections.
 * A handshake holds a slot from the upgrade request until it is rejected, fails, or becomes a
 * connection; a connection holds its slot until its socket closes. Caps are checked when a
 * handshake starts, so a flood from one address is refused before any lookup or hashing.
 */

export interface ConnectionLimitOptions {
  /** Open connections plus handshakes in progress, per remote address. */
  maxConnectionsPerIp: number;
  /** Handshakes in progress (upgrade received, not yet accepted or rejected), per remote address. */
  maxPendingHandshakesPerIp: number;
  /**
   * Handshakes in progress over all addresses (admission control): past it the server is
   * saturated, and a handshake admitted now would wait past its timeout, its work wasted.
   */
  maxPendingHandshakes: number;
}

/** `server-busy`: the global cap (503); the others are per address (429). */
export type SlotRefusal = 'too-many-pending-handshakes' | 'too-many-connections' | 'server-busy';

/** One handshake's hold on its address's counters. Every method is idempotent. */
export interface ConnectionSlot {
  readonly ip: string;
  /** The handshake became an open connection. */
  open(): void;
  /** The handshake failed or the connection closed. */
  release(): void;
}

interface Counts {
  pending: number;
  open: number;
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same client. */
export function normalizeIp(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export class ConnectionLimits {
  readonly #options: ConnectionLimitOptions;
  readonly #counts = new Map<string, Counts>();
  #pending = 0;

  constructor(options: ConnectionLimitOptions) {
    this.#options = options;
  }

  /** Takes a handshake slot for `ip`, or says which cap is reached. */
  tryAcquire(address: string | undefined): ConnectionSlot | SlotRefusal {
    const ip = normalizeIp(address);
    const counts = this.#counts.get(ip) ?? { pending: 0, open: 0 };
    if (counts.pending >= this.#options.maxPendingHandshakesPerIp) return 'too-many-pending-handshakes';
    if (counts.pending + counts.open >= this.#options.maxConnectionsPerIp) return 'too-many-connections';
    if (this.#pending >= this.#options.maxPendingHandshakes) return 'server-busy';
    counts.pending++;
    this.#pending++;
    this.#counts.set(ip, counts);

    let state: 'pending' | 'open' | 'released' = 'pending';
    return {
      ip,
      open: () => {
        if (state !== 'pending') return;
        state = 'open';
        counts.pending--;
        this.#pending--;
        counts.open++;
      },
      release: () => {
        if (state === 'released') return;
        if (state === 'pending') {
          counts.pending--;
          this.#pending--;
        } else counts.open--;
        state = 'released';
        if (counts.pending === 0 && counts.open === 0 && this.#counts.get(ip) === counts) this.#counts.delete(ip);
      },
    };
  }

  /** Current counters for one address (zeros when unknown). */
  countsFor(address: string | undefined): Readonly<Counts> {
    return { ...(this.#counts.get(normalizeIp(address)) ?? { pending: 0, open: 0 }) };
  }

  /** Totals over all addresses. */
  totals(): Readonly<Counts> {
    let open = 0;
    for (const counts of this.#counts.values()) open += counts.open;
    return { pending: this.#pending, open };
  }
}

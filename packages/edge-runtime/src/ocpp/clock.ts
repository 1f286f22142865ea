/**
 * The charge point's notion of time: the system clock plus an offset learned from the central
 * system's currentTime (BootNotification, Heartbeat). The system clock itself is never changed
 * (that needs root and would jump every timer on the box).
 */
export class Clock {
  #offsetMs = 0;
  readonly #system: () => number;

  constructor(system: () => number = Date.now) {
    this.#system = system;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  now(): number {
    return this.#system() + this.#offsetMs;
  }

  iso(ms = this.now()): string {
    return new Date(ms).toISOString();
  }

  /** Adopts the central system's time; ignores unparsable values and sub-second noise. */
  sync(currentTime: string | undefined): void {
    if (!currentTime) return;
    const cs = Date.parse(currentTime);
    if (Number.isNaN(cs)) return;
    const offset = cs - this.#system();
    if (Math.abs(offset - this.#offsetMs) >= 1000) this.#offsetMs = offset;
  }
}

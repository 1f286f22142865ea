/**
 * Drops repeated presentations of the same card: a card held on a reader (or a reader that
 * sends the UID twice) must count as one tap, or a start would be followed at once by a stop.
 * The window slides: a card seen continuously stays suppressed until it has been away for
 * `windowMs`. Another card is never suppressed.
 */
export class CardDebouncer {
  private lastUid: string | null = null;
  private lastSeenAt = -Infinity;

  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(windowMs: number, now: () => number = Date.now) {
    this.windowMs = windowMs;
    this.now = now;
  }

  /** True when this sighting is a new tap. */
  accept(uid: string): boolean {
    const at = this.now();
    const repeated = uid === this.lastUid && at - this.lastSeenAt < this.windowMs;
    this.lastUid = uid;
    this.lastSeenAt = at;
    return !repeated;
  }
}

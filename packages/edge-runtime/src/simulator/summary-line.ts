/** Counters the simulator shows once a second. */
export interface SimulationStats {
  elapsedS: number;
  total: number;
  connected: number;
  booted: number;
  activeTx: number;
  msgsSent: number;
  errors: number;
  sessionsStarted: number;
  sessionsStopped: number;
  refused: number;
}

export function formatSummary(s: SimulationStats): string {
  return (
    `[${String(Math.round(s.elapsedS)).padStart(4)}s] connected ${s.connected}/${s.total} | booted ${s.booted} | ` +
    `active tx ${s.activeTx} | msgs sent ${s.msgsSent} | errors ${s.errors} | ` +
    `sessions ${s.sessionsStarted} started, ${s.sessionsStopped} stopped, ${s.refused} refused`
  );
}

interface LineStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/**
 * Prints the summary: on a terminal it rewrites one line in place (carriage return and clear
 * line); when stderr is a pipe or a file (CI, journald) it prints plain lines, which stay readable.
 */
export class SummaryPrinter {
  private dirty = false;

  private readonly out: LineStream;

  constructor(out: LineStream) {
    this.out = out;
  }

  print(stats: SimulationStats): void {
    const line = formatSummary(stats);
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${line}`);
      this.dirty = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the in-place line so later output starts on a fresh line. */
  done(): void {
    if (this.dirty) this.out.write('\n');
    this.dirty = false;
  }
}

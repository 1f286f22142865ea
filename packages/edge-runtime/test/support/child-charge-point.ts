import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface ChildState {
  online: boolean;
  boot: string;
  queued: number;
  tx: { txLocal: string; transactionId?: number; idTag: string; meterStartWh: number } | null;
}

/**
 * An edge charge point in its own process (test/fixtures/charge-point-child.ts, run from the
 * TypeScript sources with Node's type stripping), driven over stdin/stdout, so that a test can
 * SIGKILL it. Config and meter file come from the env (CHILD_CONFIG, CHILD_METER_FILE).
 */
export class ChildChargePoint {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly #lines: Array<Record<string, unknown>> = [];
  #waiters: Array<() => void> = [];
  readonly #exited: Promise<void>;

  constructor(env: Record<string, string>) {
    this.proc = spawn(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', './ts-loader.mjs', 'charge-point-child.ts'], {
      cwd: fixtures,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      try {
        this.#lines.push(JSON.parse(line));
      } catch {
        /* not one of our JSON lines */
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.proc.stderr.on('data', (d) => process.stderr.write(d));
    // A command written just as the test kills the child fails with EPIPE: the child is gone, which
    // the waits report; the write error itself must not become an unhandled error of the test run.
    this.proc.stdin.on('error', () => {});
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The next line with this event (bounded wait). */
  async next(event: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#lines.findIndex((l) => l.event === event);
      if (i >= 0) return this.#lines.splice(i, 1)[0] as Record<string, unknown>;
      if (!this.alive) throw new Error(`child exited (${this.proc.exitCode ?? this.proc.signalCode}) before "${event}"`);
      if (Date.now() > deadline) throw new Error(`child: no "${event}" within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`);
  }

  async card(idTag: string): Promise<{ result: string; reason?: string }> {
    this.send(`card ${idTag}`);
    return (await this.next('card')).outcome as { result: string; reason?: string };
  }

  async state(): Promise<ChildState> {
    this.send('state');
    return (await this.next('state')) as unknown as ChildState;
  }

  /** Polls the child's state until `pred` holds (bounded). */
  async waitState(pred: (s: ChildState) => boolean, what: string, timeoutMs = 20_000): Promise<ChildState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.state();
      if (pred(s)) return s;
      if (Date.now() > deadline) throw new Error(`child never reached: ${what}; last state ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL now (synchronous signal); `exited` resolves when the process is gone. */
  kill9(): void {
    if (this.alive) this.proc.kill('SIGKILL');
  }

  exited(): Promise<void> {
    return this.#exited;
  }
}

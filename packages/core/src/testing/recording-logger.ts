import { pino, type Logger as PinoLogger } from 'pino';

export type RecordedLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One log line as recorded: its level, message and every bound or passed field (`plugin`, `err`, ...). */
export interface RecordedLog {
  readonly level: RecordedLogLevel;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * A real pino logger (pass it as `createTestCsms({ logger })`, or as a plugin's `Logger`) that keeps
 * every line it writes, children's included, as parsed objects.
 */
export type RecordingLogger = PinoLogger & {
  /** Every line so far, oldest first. */
  readonly entries: readonly RecordedLog[];
  /** The lines at one level, or matching a predicate. */
  filter(match: RecordedLogLevel | ((entry: RecordedLog) => boolean)): RecordedLog[];
  /** The first line matching, or undefined. */
  find(match: (entry: RecordedLog) => boolean): RecordedLog | undefined;
  /** Resolves with the first line (already written or to come) that matches; rejects after `timeoutMs` (default 10 s). */
  waitFor(match: (entry: RecordedLog) => boolean, options?: { timeoutMs?: number }): Promise<RecordedLog>;
  /** Forgets the lines recorded so far. */
  clear(): void;
};

/**
 * A logger for tests that records what it is told: `createRecordingLogger()` logs everything from
 * `level` (default `debug`) up and writes nothing to the console.
 */
export function createRecordingLogger(options: { level?: RecordedLogLevel } = {}): RecordingLogger {
  const entries: RecordedLog[] = [];
  const waiters = new Set<{ match: (entry: RecordedLog) => boolean; resolve(entry: RecordedLog): void }>();
  const destination = {
    write(line: string) {
      const entry = JSON.parse(line) as RecordedLog;
      entries.push(entry);
      for (const waiter of waiters) {
        if (waiter.match(entry)) {
          waiters.delete(waiter);
          waiter.resolve(entry);
        }
      }
    },
  };
  const logger = pino(
    { level: options.level ?? 'debug', base: undefined, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    destination,
  );
  const toPredicate = (match: RecordedLogLevel | ((entry: RecordedLog) => boolean)) =>
    typeof match === 'function' ? match : (entry: RecordedLog) => entry.level === match;
  return Object.assign(logger, {
    get entries(): readonly RecordedLog[] {
      return entries;
    },
    filter: (match: RecordedLogLevel | ((entry: RecordedLog) => boolean)) => entries.filter(toPredicate(match)),
    find: (match: (entry: RecordedLog) => boolean) => entries.find(match),
    waitFor(match: (entry: RecordedLog) => boolean, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<RecordedLog> {
      const found = entries.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<RecordedLog>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (entry: RecordedLog) => {
            clearTimeout(timer);
            resolve(entry);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching log line within ${timeoutMs} ms (${entries.length} lines recorded)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    clear() {
      entries.length = 0;
    },
  }) as RecordingLogger;
}

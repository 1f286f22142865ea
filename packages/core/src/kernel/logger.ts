/**
 * The logger shape the kernel needs: the subset of pino's API that plugins and services use.
 * A pino logger (Fastify's, the edge runtime's) satisfies it; tests can pass `silentLogger`.
 */
export interface LogFn {
  (msg: string): void;
  (obj: object, msg?: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

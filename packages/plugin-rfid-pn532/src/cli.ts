#!/usr/bin/env node
/** `charge-it-pn532` (and `charge-it-edge pn532`, which delegates here): the PN532 diagnostic. */
import { runPn532Diagnostic } from './cli/run-diagnostic.js';

const abort = new AbortController();
const onSignal = () => {
  if (abort.signal.aborted) process.exit(1);
  abort.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

runPn532Diagnostic(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: abort.signal }).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 1000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`charge-it-pn532: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

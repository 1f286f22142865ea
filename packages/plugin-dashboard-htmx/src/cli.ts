#!/usr/bin/env node
/**
 * `charge-it-dashboard`: dashboard user administration from the command line, on the CSMS's own
 * database (the same CHARGE_IT_* variables as the server, e.g. CHARGE_IT_DATABASE_URL).
 *
 *   charge-it-dashboard create-admin --username <name> [--role admin|operator|viewer]
 *   charge-it-dashboard set-password --username <name>
 *   charge-it-dashboard list
 *
 * The password is read from CHARGE_IT_DASHBOARD_ADMIN_PASSWORD or, when that is unset, from the
 * first line of standard input (so it never appears in the shell history or `ps`).
 */
import { createCsms, isCsmsError } from '@charge-it/core';
import { realpathSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DASHBOARD_ENV } from './options.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `Usage:
  charge-it-dashboard create-admin --username <name> [--role admin|operator|viewer]
  charge-it-dashboard set-password --username <name>
  charge-it-dashboard list
The password comes from CHARGE_IT_DASHBOARD_ADMIN_PASSWORD or the first line of stdin.
The database is the server's: CHARGE_IT_DATABASE_URL (default sqlite:./data/charge-it.db).`;

async function readPassword(io: CliIo): Promise<string> {
  if (io.env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD) return io.env.CHARGE_IT_DASHBOARD_ADMIN_PASSWORD;
  const rl = createInterface({ input: io.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { username: { type: 'string' }, role: { type: 'string', default: 'admin' }, help: { type: 'boolean' } } });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || !command || !['create-admin', 'set-password', 'list'].includes(command)) {
    (parsed.values.help ? io.out : io.err)(USAGE);
    return parsed.values.help ? 0 : 2;
  }
  const username = parsed.values.username ?? '';
  if (command !== 'list' && !username) {
    io.err(`--username is required\n${USAGE}`);
    return 2;
  }
  const role = parsed.values.role as 'admin' | 'operator' | 'viewer';
  const password = command === 'list' ? '' : await readPassword(io);
  const csms = await createCsms({ env: { CHARGE_IT_LOG_LEVEL: 'warn', ...io.env }, knownEnv: [...DASHBOARD_ENV] });
  try {
    const users = csms.services.get('adminUsers');
    if (command === 'list') {
      for (const u of await users.list()) io.out(`${u.username}\t${u.role}\t${u.createdAt ?? ''}`);
    } else if (command === 'create-admin') {
      const user = await users.create({ username, password, role }, 'cli');
      io.out(`created ${user.role} "${user.username}"`);
    } else {
      await users.setPassword(username, password, 'cli');
      io.out(`password of "${username}" changed`);
    }
    return 0;
  } catch (err) {
    if (isCsmsError(err)) {
      io.err(`error: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await csms.close();
  }
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  runCli(process.argv.slice(2), { env: process.env, stdin: process.stdin, out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

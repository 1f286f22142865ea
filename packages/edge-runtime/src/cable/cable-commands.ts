import { chmod, lstat, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '@charge-it/core/kernel';

/** A bench command: `plug [n]`, `unplug [n]` (connector n, default 1), or `status`. */
export type CableCommand = { action: 'plug' | 'unplug'; connectorId: number } | { action: 'status' };

const COMMAND = /^\s*(plug|unplug|status)(?:\s+(\d+))?\s*$/i;

/** Parses one line; null when it is not a cable command (e.g. a card UID typed by a reader). */
export function parseCableCommand(line: string): CableCommand | null {
  const m = COMMAND.exec(line);
  if (!m) return null;
  const action = (m[1] as string).toLowerCase() as 'plug' | 'unplug' | 'status';
  if (action === 'status') return m[2] === undefined ? { action } : null;
  return { action, connectorId: m[2] === undefined ? 1 : Number(m[2]) };
}

/** Whether a line is a cable command (the stdin reader skips these when commands share stdin). */
export function isCableCommand(line: string): boolean {
  return parseCableCommand(line) !== null;
}

/** Executes a command and returns the one-line answer. */
export type CableCommandHandler = (command: CableCommand) => string;

export interface CommandChannel {
  close(): Promise<void>;
}

/**
 * Reads cable commands from a stream (stdin), one per line; other lines are left to whoever else
 * reads the stream (the stdin card reader). Answers go to the log (stdout carries the log).
 */
export function readCommandStream(input: Readable, handle: CableCommandHandler, log: Logger): CommandChannel {
  const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
  lines.on('line', (line) => {
    const command = parseCableCommand(line);
    if (!command) return;
    log.info({ command: line.trim(), answer: handle(command) }, 'cable command');
  });
  return {
    async close() {
      lines.close();
    },
  };
}

/**
 * Listens on a unix socket for cable commands: each line gets a one-line answer
 * (`ok plug 1`, `error ...`, or the status list), e.g. `echo "plug 1" | socat - UNIX-CONNECT:/run/charge-it-edge/cable.sock`
 * or `nc -U`. A stale socket file from a crash is replaced; the socket is made group-writable.
 */
export async function listenCommandSocket(path: string, handle: CableCommandHandler, log: Logger): Promise<CommandChannel> {
  const stale = await lstat(path).catch(() => null);
  if (stale) {
    if (!stale.isSocket()) throw new Error(`cable command socket ${path} exists and is not a socket; remove it or choose another path`);
    await unlink(path);
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const lines = createInterface({ input: socket, crlfDelay: Infinity, terminal: false });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const command = parseCableCommand(line);
      const answer = command ? handle(command) : `error unknown command "${line.trim().slice(0, 40)}"; use: plug [n] | unplug [n] | status`;
      log.info({ command: line.trim().slice(0, 40), answer }, 'cable command (socket)');
      if (!socket.destroyed) socket.write(`${answer}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on cable command socket ${path}: ${err.message}; check that the directory exists and is writable`, { cause: err })));
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o660).catch(() => {});
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

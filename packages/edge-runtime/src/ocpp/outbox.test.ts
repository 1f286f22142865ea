import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@charge-it/core/kernel';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxDeps } from './outbox.js';

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function make(over: Partial<OutboxDeps> & { online?: () => boolean } = {}): { outbox: Outbox; sent: Array<[string, Record<string, unknown>]> } {
    const sent: Array<[string, Record<string, unknown>]> = [];
    const outbox = new Outbox({
      file: join(dir, 'outbox.jsonl'),
      log: silentLogger,
      send: async (action, payload) => {
        sent.push([action, payload]);
        return action === 'StartTransaction' ? { transactionId: 77, idTagInfo: { status: 'Accepted' } } : {};
      },
      canSend: over.online ?? (() => true),
      retryPolicy: () => ({ attempts: 3, intervalS: 0 }),
      ...over,
    });
    return { outbox, sent };
  }

  it('keeps messages while offline, survives a restart, delivers in order and maps the transaction id', async () => {
    const first = make({ online: () => false });
    first.outbox.enqueue('StartTransaction', { connectorId: 1, idTag: 'A', meterStart: 1, timestamp: 't1' }, 'L1');
    first.outbox.enqueue('MeterValues', { connectorId: 1, meterValue: [] }, 'L1');
    first.outbox.enqueue('StopTransaction', { meterStop: 5, timestamp: 't3' }, 'L1');
    await first.outbox.stop();

    const second = make();
    expect(second.outbox.size).toBe(3);
    expect([...second.outbox.recovery.openStarts.keys()]).toEqual([]);
    expect([...second.outbox.recovery.stopped]).toEqual(['L1']);
    second.outbox.kick();
    await second.outbox.whenEmpty();
    expect(second.sent.map(([a]) => a)).toEqual(['StartTransaction', 'MeterValues', 'StopTransaction']);
    expect(second.sent[1]?.[1].transactionId).toBe(77);
    expect(second.sent[2]?.[1].transactionId).toBe(77);
    await second.outbox.stop();
    // Nothing left after compaction: a third start sends nothing.
    const third = make();
    expect(third.outbox.size).toBe(0);
    await third.outbox.stop();
  });

  it('ignores a torn last line and compacts the journal', async () => {
    const a = make({ online: () => false });
    a.outbox.enqueue('MeterValues', { connectorId: 1, meterValue: [] });
    await a.outbox.stop();
    appendFileSync(join(dir, 'outbox.jsonl'), '{"t":"add","seq":2,"act');
    const b = make({ online: () => false });
    expect(b.outbox.size).toBe(1);
    b.outbox.enqueue('MeterValues', { connectorId: 1, meterValue: [] });
    await b.outbox.stop();
    const lines = readFileSync(join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2]);
  });

  it('retries failures with linear backoff and drops after the last attempt', async () => {
    let calls = 0;
    const dropped: string[] = [];
    const { outbox } = make({
      send: async () => {
        calls++;
        throw new Error('CALLERROR');
      },
      onDropped: (e) => dropped.push(e.action),
    });
    outbox.enqueue('StopTransaction', { meterStop: 1, timestamp: 't' }, 'L9');
    await outbox.whenEmpty();
    expect(calls).toBe(3);
    expect(dropped).toEqual(['StopTransaction']);
    await outbox.stop();
  });
});

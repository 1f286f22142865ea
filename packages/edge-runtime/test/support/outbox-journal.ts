import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// biome-ignore lint: OCPP payloads are loose JSON here
type Json = any;

export interface JournaledMessage {
  seq: number;
  action: 'StartTransaction' | 'StopTransaction' | 'MeterValues';
  payload: Json;
  txLocal?: string;
}

/**
 * The transaction messages in a charge point's outbox journal (dataDir/outbox.jsonl), oldest
 * first, read from the file the way the runtime recovers it (torn lines skipped). By default only
 * the pending ones (what the charge point still has to deliver); with `includeDelivered` every
 * message journaled since the runtime last compacted the file (at its start), i.e. every
 * transaction message this run produced.
 */
export function pendingOutbox(dataDir: string, options: { includeDelivered?: boolean } = {}): JournaledMessage[] {
  const file = join(dataDir, 'outbox.jsonl');
  if (!existsSync(file)) return [];
  const pending = new Map<number, JournaledMessage>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: Json;
    try {
      r = JSON.parse(line);
    } catch {
      continue;
    }
    if (r.t === 'add') pending.set(r.seq, { seq: r.seq, action: r.action, payload: r.payload, ...(r.txLocal ? { txLocal: r.txLocal } : {}) });
    else if (r.t === 'done' && !options.includeDelivered) pending.delete(r.seq);
  }
  return [...pending.values()].sort((a, b) => a.seq - b.seq);
}

export interface QueuedSample {
  txLocal?: string;
  measurand: string;
  phase?: string;
  value: number;
  context: string;
  timestamp: string;
}

/** The sampled values a list of queued messages carries (MeterValues, then StopTransaction.transactionData), in order. */
export function queuedSamples(messages: readonly JournaledMessage[]): QueuedSample[] {
  return messages.flatMap((m) => {
    const meterValues: Json[] = m.action === 'MeterValues' ? m.payload.meterValue : m.action === 'StopTransaction' ? (m.payload.transactionData ?? []) : [];
    return meterValues.flatMap((mv: Json) =>
      mv.sampledValue.map((sv: Json) => ({
        ...(m.txLocal ? { txLocal: m.txLocal } : {}),
        measurand: sv.measurand ?? 'Energy.Active.Import.Register',
        ...(sv.phase ? { phase: sv.phase } : {}),
        value: Number(sv.value),
        context: sv.context ?? 'Sample.Periodic',
        timestamp: mv.timestamp,
      })),
    );
  });
}

/**
 * What a central system stores of these samples when it keeps every reading once: the first
 * occurrence of each (transaction, timestamp, measurand, phase), in order. A periodic reading sent
 * as MeterValues and repeated in StopTransaction.transactionData (StopTxnSampledData) is one reading.
 */
export function readingsOnce(samples: readonly QueuedSample[]): QueuedSample[] {
  const seen = new Set<string>();
  return samples.filter((p) => {
    const key = `${p.txLocal ?? ''}|${p.timestamp}|${p.measurand}|${p.phase ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

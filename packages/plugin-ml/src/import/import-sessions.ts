import type { HistoryImportResult, HistoryService } from '@charge-it/core';
import { parseSessionCsv, type SessionCsvOptions } from './session-csv.js';

export interface CsvImportResult {
  rows: number;
  created: number;
  duplicates: number;
  /** Rows not imported, by line number of the file. */
  errors: { line: number; message: string }[];
  chargePointsCreated: string[];
  mapping: Record<string, string>;
}

/**
 * Imports historical sessions from CSV text through the core's `history` service (flag `imported`):
 * bad rows are reported by line and skipped; a second import of the same file creates nothing.
 */
export async function importSessionsCsv(
  history: Pick<HistoryService, 'importSessions'>,
  text: string,
  options: SessionCsvOptions & { actor?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<CsvImportResult> {
  const parsed = parseSessionCsv(text, options);
  const result: HistoryImportResult = await history.importSessions(
    parsed.sessions.map((s) => ({
      chargePointId: s.chargePointId,
      connectorId: s.connectorId,
      idTag: s.idTag,
      startedAt: s.startedAt,
      stoppedAt: s.stoppedAt,
      energyWh: s.energyWh,
      chargingEndedAt: s.chargingEndedAt,
      maxPowerW: s.maxPowerW,
    })),
    { source: 'imported', actor: options.actor ?? 'ml:import', onProgress: options.onProgress },
  );
  const errors = [...parsed.errors, ...result.errors.map((e) => ({ line: parsed.sessions[e.index]!.line, message: e.message }))].sort((a, b) => a.line - b.line);
  return {
    rows: parsed.rows,
    created: result.created,
    duplicates: result.duplicates,
    errors,
    chargePointsCreated: result.chargePointsCreated,
    mapping: parsed.mapping as Record<string, string>,
  };
}

import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import type { EdgePlugin } from '../plugins/edge-plugin.js';
import { simulatedReader } from './simulated-reader.js';
import { stdinReader } from './stdin-reader.js';

/** The `readers` section of edge.json: built-in readers by kind. */
export type ReaderConfig =
  | { kind: 'stdin'; connectorId?: number; debounceMs?: number }
  | { kind: 'simulated'; connectorId?: number; cards?: string[] };

/**
 * Builds the built-in readers listed in a config file; a bad entry throws CONFIG_INVALID.
 * `ignoreStdinLine`: lines on stdin that are not cards (the cable commands, when a connector takes them from stdin).
 */
export function readersFromConfig(value: unknown, options: { ignoreStdinLine?: (line: string) => boolean } = {}): EdgePlugin[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw bad('"readers" must be a list, e.g. [{ "kind": "stdin" }]');
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw bad(`readers[${i}] must be an object with a "kind"`);
    const r = entry as Record<string, unknown>;
    const connectorId = r.connectorId;
    if (connectorId !== undefined && !(Number.isInteger(connectorId) && (connectorId as number) >= 1)) {
      throw bad(`readers[${i}].connectorId must be a connector number (1, 2, ...)`);
    }
    const common = { name: `${String(r.kind)}-reader${i === 0 ? '' : `-${i}`}`, ...(connectorId === undefined ? {} : { connectorId: connectorId as number }) };
    switch (r.kind) {
      case 'stdin': {
        if (r.debounceMs !== undefined && !(typeof r.debounceMs === 'number' && r.debounceMs >= 0)) {
          throw bad(`readers[${i}].debounceMs must be a number of milliseconds >= 0`);
        }
        return stdinReader({
          ...common,
          ...(r.debounceMs === undefined ? {} : { debounceMs: r.debounceMs as number }),
          ...(options.ignoreStdinLine ? { ignoreLine: options.ignoreStdinLine } : {}),
        });
      }
      case 'simulated': {
        if (r.cards !== undefined && !(Array.isArray(r.cards) && r.cards.every((c) => typeof c === 'string'))) {
          throw bad(`readers[${i}].cards must be a list of idTags`);
        }
        return simulatedReader({ ...common, ...(r.cards === undefined ? {} : { cards: r.cards as string[] }) });
      }
      default:
        throw bad(
          `readers[${i}].kind ${JSON.stringify(r.kind)} is unknown; built-in readers are "stdin" and "simulated" (hardware readers such as the PN532 are plugins: list them under "plugins")`,
        );
    }
  });
}

function bad(message: string): CsmsError {
  return new CsmsError(CsmsErrorCode.CONFIG_INVALID, message);
}

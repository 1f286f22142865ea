/**
 * The OCPP-J 1.6 error-code patch: wraps a connected client's `sendRaw` so that every CALLERROR
 * leaving the gateway carries a J16 Table 7 code (see ocpp16-errors.ts for the rules), is logged,
 * and is counted; a frame of an unknown message type is not answered at all (J16 §4.1.3).
 */
import { toOcpp16CallError } from './ocpp16-errors.js';
import type { GatewayLogger, RPCServerClient } from './rpc-gateway.js';

export function installCallErrorFilter(client: RPCServerClient, identity: string, log: GatewayLogger, onCallErrorSent?: (code: string) => void): void {
  const send = client.sendRaw.bind(client);
  client.sendRaw = (message: string) => {
    const text = typeof message === 'string' ? message : String(message);
    if (!text.startsWith('[4')) {
      send(message);
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      send(message);
      return;
    }
    if (!Array.isArray(frame) || frame[0] !== 4) {
      send(message);
      return;
    }
    const rewritten = toOcpp16CallError(frame);
    if (rewritten === null) {
      log.info(
        { event: 'ocpp-ignored-frame', identity },
        'Ignored a frame with an unknown message type (J16 §4.1.3: no answer)',
      );
      return;
    }
    log.warn(
      {
        event: 'ocpp-callerror',
        identity,
        messageId: truncate(rewritten[1], 40),
        errorCode: rewritten[2],
        originalCode: frame[2] as unknown,
        description: rewritten[3],
        details: rewritten[4],
      },
      'CALLERROR sent',
    );
    onCallErrorSent?.(String(rewritten[2]));
    send(JSON.stringify(rewritten));
  };
}

function truncate(text: string | undefined, max: number): string {
  const value = text ?? '';
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}

import type { Logger } from '../kernel/logger.js';

/** What `watchSilence` needs of an ocpp-rpc client. */
interface SilenceWatchable {
  close(options: { code: number; reason: string }): unknown;
}

/**
 * Closes a connection that sends no OCPP message (CALL, CALLRESULT or CALLERROR) for `timeoutMs`.
 * Websocket pongs do not count: a socket that answers pings but never boots, heartbeats or
 * answers would otherwise stay open (and be shown online) for ever. One timer per connection,
 * re-armed only when it fires; `lastFrameAt` is the time of the last frame received (the inbound
 * side stores it, see inbound-calls.ts). `timeoutMs` 0 = off. Returns the function that stops the
 * watch (call it when the connection closes).
 */
export function watchSilence(
  client: SilenceWatchable,
  lastFrameAt: () => number,
  timeoutMs: number,
  info: { identity: string; remoteAddress: string },
  log: Pick<Logger, 'warn'>,
): () => void {
  if (!(timeoutMs > 0)) return () => {};
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(check, ms);
    timer.unref();
  };
  const check = () => {
    const silentFor = Date.now() - lastFrameAt();
    if (silentFor < timeoutMs) return arm(timeoutMs - silentFor);
    log.warn(
      { event: 'ocpp-silent-closed', identity: info.identity, remoteAddress: info.remoteAddress, silentMs: silentFor },
      'closing a connection that sent no OCPP message within ocpp.silentTimeout',
    );
    void client.close({ code: 1008, reason: 'no OCPP message received' });
  };
  arm(timeoutMs);
  return () => clearTimeout(timer);
}

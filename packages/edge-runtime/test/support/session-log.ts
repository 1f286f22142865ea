import type { SessionStartedEvent, SessionStoppedEvent } from '../../src/plugins/edge-hooks.js';
import { defineEdgePlugin, type EdgePlugin } from '../../src/plugins/edge-plugin.js';

/**
 * An edge plugin that keeps what the charge point itself decided for each session: the start and
 * stop times on its clock and the meter registers it read. Tests compare the central system's
 * rows with these.
 */
export class SessionLog {
  readonly started: SessionStartedEvent[] = [];
  readonly stopped: SessionStoppedEvent[] = [];
  readonly plugin: EdgePlugin;

  constructor() {
    this.plugin = defineEdgePlugin({
      name: 'session-log',
      hooks: {
        onSessionStarted: (e: SessionStartedEvent) => void this.started.push(e),
        onSessionStopped: (e: SessionStoppedEvent) => void this.stopped.push(e),
      },
    });
  }

  /** The start and stop of the session with this local id (throws when either is missing). */
  session(txLocal: string): { started: SessionStartedEvent; stopped: SessionStoppedEvent } {
    const started = this.started.find((e) => e.txLocal === txLocal);
    const stopped = this.stopped.find((e) => e.txLocal === txLocal);
    if (!started || !stopped) throw new Error(`session ${txLocal}: started ${!!started}, stopped ${!!stopped}`);
    return { started, stopped };
  }
}

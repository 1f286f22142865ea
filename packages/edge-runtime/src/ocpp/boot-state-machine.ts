import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '@charge-it/core/kernel';
import type { BootInfo } from '../config/edge-config.js';
import type { ConfigurationStore } from '../config-keys/configuration-store.js';
import { JsonFileStore } from '../storage/json-file-store.js';
import type { BootState } from '../plugins/edge-plugin.js';
import type { Clock } from './clock.js';
import type { Connection } from './connection.js';
import type { BootNotificationResponse } from './ocpp-types.js';

interface BootRecord {
  status: BootState;
  /** Hash of the boot data the CS accepted; a change forces a new BootNotification. */
  bootHash?: string;
  everAccepted: boolean;
  /** Set by Reset and firmware install: the next start is a reboot and must Boot. */
  rebootPending?: boolean;
  /** The Reset that asked for the reboot (kept until the next run begins). */
  resetType?: 'Hard' | 'Soft';
  /** True while a run is going: still true at the next start means it ended without stop() (power cut, kill -9, crash). */
  running?: boolean;
}

/**
 * Why this run booted, as sent to the central system in the `info` (CiString50) of the first
 * StatusNotification of connector 0 after BootNotification.Accepted.
 */
export const REBOOT_INFO = {
  firstStart: 'Boot: first start',
  unclean: 'Reboot: power loss or crash (unclean stop)',
  clean: 'Reboot: restart after a clean stop',
  resetHard: 'Reboot: Reset Hard by the central system',
  resetSoft: 'Reboot: Reset Soft by the central system',
} as const;

export interface SendOptions {
  /** Sent because a TriggerMessage asked for it (allowed while Pending). */
  triggered?: boolean;
  timeoutMs?: number;
}

export interface BootStateMachineDeps {
  connection: Connection;
  config: ConfigurationStore;
  clock: Clock;
  log: Logger;
  boot: BootInfo;
  file: string;
  /** Wait before re-Boot when the CS answers interval 0 (s). */
  defaultRetryS: number;
}

/**
 * The boot state machine (S16 §4.2, §4.2.1) and heartbeat.
 *
 * - Before the CS answered Accepted or Pending, nothing but BootNotification is sent.
 * - Pending: only triggered requests are sent; CS calls are answered (config, trigger…) but
 *   RemoteStart/RemoteStop are refused; the Boot is repeated after the interval.
 * - Rejected: nothing is sent and CS calls get no answer until the interval passed; then re-Boot.
 * - Accepted: the interval becomes HeartbeatInterval, the clock offset follows currentTime.
 * - Every run of the process boots (S16 §4.2: after each reboot, and a power cut, kill -9 or crash
 *   is one); within a run, a reconnect with unchanged boot data and no Reset does not (J16 §5.4).
 *   The reason (first start, unclean stop, clean restart, Reset) goes to the central system as
 *   `info` of connector 0's first StatusNotification after Accepted (`takeRebootInfo`).
 * - Heartbeat is sent when nothing else was sent for HeartbeatInterval seconds.
 *
 * Emits 'state' (BootState) and 'ready' ({ booted: boolean }) each time the link becomes usable.
 */
export class BootStateMachine extends EventEmitter {
  readonly #d: BootStateMachineDeps;
  readonly #file: JsonFileStore<BootRecord>;
  #record: BootRecord;
  #state: BootState = 'NotBooted';
  #bootTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #lastSentMs = 0;
  #booting = false;
  readonly #bootHash: string;
  /** A BootNotification was Accepted in this run (a reconnect then needs none). */
  #acceptedThisRun = false;
  /** Why this run (re)booted; sent once after the next Accepted. */
  #rebootInfo: string | undefined;
  readonly #firstStart: boolean;

  constructor(deps: BootStateMachineDeps) {
    super();
    this.#d = deps;
    let fresh = false;
    this.#file = new JsonFileStore<BootRecord>(deps.file, () => {
      fresh = true;
      return { status: 'NotBooted', everAccepted: false };
    });
    this.#record = this.#file.read();
    this.#firstStart = fresh;
    this.#bootHash = createHash('sha256').update(JSON.stringify(deps.boot)).digest('hex').slice(0, 16);
    deps.connection.on('online', () => this.#onOnline());
    deps.connection.on('offline', () => this.#onOffline());
    deps.config.onChange((key) => {
      if (key === 'HeartbeatInterval') this.#scheduleHeartbeat();
    });
  }

  get state(): BootState {
    return this.#state;
  }

  /** Was this charge point ever Accepted by a CS (persisted)? An unaccepted one does not charge. */
  get everAccepted(): boolean {
    return this.#record.everAccepted;
  }

  /** Online and Accepted: transaction messages and notifications may flow. */
  canSend(): boolean {
    return this.#d.connection.online && this.#state === 'Accepted';
  }

  /**
   * A run begins (before connecting): works out why this run booted from what the previous run
   * left in boot.json, then records that this run is going (so that the next start can tell a
   * power cut or kill -9 from a clean stop).
   */
  begin(): void {
    const r = this.#record;
    this.#rebootInfo = this.#firstStart
      ? REBOOT_INFO.firstStart
      : r.resetType === 'Hard'
        ? REBOOT_INFO.resetHard
        : r.resetType === 'Soft'
          ? REBOOT_INFO.resetSoft
          : r.running
            ? REBOOT_INFO.unclean
            : REBOOT_INFO.clean;
    if (this.#rebootInfo === REBOOT_INFO.unclean) this.#d.log.warn('the previous run ended without a clean stop (power cut, kill or crash)');
    const { resetType: _done, ...rest } = r;
    this.#record = { ...rest, running: true };
    this.#file.write(this.#record);
  }

  /** A clean stop: the next start is not an unclean reboot. */
  end(): void {
    this.#record = { ...this.#record, running: false };
    this.#file.write(this.#record);
  }

  /** Why this run booted, once, after BootNotification was Accepted (connector 0's StatusNotification info). */
  takeRebootInfo(): string | undefined {
    if (!this.#acceptedThisRun) return undefined;
    const info = this.#rebootInfo;
    this.#rebootInfo = undefined;
    return info;
  }

  /** Why this run booted (a REBOOT_INFO text) until connector 0's StatusNotification took it; read right after begin(). */
  get rebootInfo(): string | undefined {
    return this.#rebootInfo;
  }

  /** Puts the reboot info back when the StatusNotification that carried it was not delivered. */
  restoreRebootInfo(info: string): void {
    this.#rebootInfo ??= info;
  }

  /** Marks the next start as a reboot (Reset, firmware install): it will send a BootNotification. */
  markReboot(resetType?: 'Hard' | 'Soft'): void {
    this.#record = { ...this.#record, rebootPending: true, ...(resetType ? { resetType } : {}) };
    this.#file.write(this.#record);
    if (resetType) this.#rebootInfo = resetType === 'Hard' ? REBOOT_INFO.resetHard : REBOOT_INFO.resetSoft;
  }

  /** Sends a CP→CS request if the boot state allows it. */
  async send<T = unknown>(action: string, payload: Record<string, unknown>, options: SendOptions = {}): Promise<T> {
    const allowed = action === 'BootNotification' || this.#state === 'Accepted' || (this.#state === 'Pending' && options.triggered === true);
    if (!allowed) throw new Error(`${action} not sent: boot state is ${this.#state}`);
    this.#lastSentMs = Date.now();
    const result = await this.#d.connection.call<T>(action, payload, options.timeoutMs);
    if (action === 'Heartbeat') this.#d.clock.sync((result as { currentTime?: string }).currentTime);
    return result;
  }

  /** TriggerMessage(BootNotification): boot now, whatever the state. */
  triggerBoot(): void {
    setImmediate(() => void this.#boot());
  }

  stop(): void {
    clearTimeout(this.#bootTimer);
    clearTimeout(this.#heartbeatTimer);
  }

  #setState(state: BootState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #onOnline(): void {
    const r = this.#record;
    if (this.#acceptedThisRun && r.status === 'Accepted' && r.bootHash === this.#bootHash && !r.rebootPending) {
      this.#d.log.info('reconnected; boot data unchanged and Accepted before in this run: no new BootNotification');
      this.#setState('Accepted');
      this.#scheduleHeartbeat();
      this.emit('ready', { booted: false });
      return;
    }
    void this.#boot();
  }

  #onOffline(): void {
    clearTimeout(this.#bootTimer);
    clearTimeout(this.#heartbeatTimer);
    // Pending/Rejected do not survive the link: the next connection boots again.
    if (this.#state !== 'Accepted') this.#setState('NotBooted');
  }

  async #boot(): Promise<void> {
    if (this.#booting || !this.#d.connection.online) return;
    this.#booting = true;
    clearTimeout(this.#bootTimer);
    let conf: BootNotificationResponse;
    try {
      conf = await this.send<BootNotificationResponse>('BootNotification', { ...this.#d.boot });
    } catch (err) {
      this.#booting = false;
      if (!this.#d.connection.online) return;
      this.#d.log.warn({ err: String((err as Error)?.message ?? err) }, 'BootNotification failed; retrying');
      this.#bootTimer = setTimeout(() => void this.#boot(), this.#d.defaultRetryS * 1000);
      return;
    }
    this.#booting = false;
    this.#d.clock.sync(conf.currentTime);
    const interval = conf.interval > 0 ? conf.interval : undefined;
    this.#d.log.info({ status: conf.status, interval: conf.interval }, 'BootNotification answered');
    if (conf.status === 'Accepted') {
      if (interval !== undefined) this.#d.config.change('HeartbeatInterval', String(interval));
      this.#record = { status: 'Accepted', bootHash: this.#bootHash, everAccepted: true, running: this.#record.running ?? true };
      this.#file.write(this.#record);
      this.#acceptedThisRun = true;
      this.#setState('Accepted');
      this.#scheduleHeartbeat();
      this.emit('ready', { booted: true });
      return;
    }
    this.#record = { ...this.#record, status: conf.status };
    this.#file.write(this.#record);
    this.#setState(conf.status);
    this.#bootTimer = setTimeout(() => void this.#boot(), (interval ?? this.#d.defaultRetryS) * 1000);
  }

  #scheduleHeartbeat(): void {
    clearTimeout(this.#heartbeatTimer);
    if (this.#state !== 'Accepted' || !this.#d.connection.online) return;
    const intervalMs = this.#d.config.int('HeartbeatInterval') * 1000;
    if (intervalMs <= 0) return;
    const dueIn = Math.max(0, this.#lastSentMs + intervalMs - Date.now());
    this.#heartbeatTimer = setTimeout(() => {
      if (Date.now() - this.#lastSentMs >= intervalMs - 50) {
        this.send('Heartbeat', {}).catch((err: unknown) => this.#d.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'Heartbeat failed'));
      }
      this.#scheduleHeartbeat();
    }, dueIn || intervalMs);
    this.#heartbeatTimer.unref?.();
  }
}

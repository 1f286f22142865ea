import type { Readable } from 'node:stream';
import type { Logger } from '@charge-it/core/kernel';
import type { MeterDriver } from '../meter/meter-driver.js';
import { ModbusMeter } from '../meter/modbus-meter.js';
import type { CableConfig, ModbusCable } from './cable-config.js';
import { listenCommandSocket, readCommandStream, type CableCommand, type CommandChannel } from './cable-commands.js';
import { openSysfsGpio, type GpioFactory, type GpioInput } from './gpio-input.js';
import { LevelPoller } from './level-poller.js';

/** What the cable detection drives (the charge point controller). */
export interface CableTarget {
  plugIn(connectorId: number): void;
  unplug(connectorId: number): void;
  /** Power threshold: the EV draws (true) or not; the controller maps it to plug / SuspendedEV. */
  evDrawing(connectorId: number, drawing: boolean): void;
  /** One line per connector for the `status` command. */
  describe(): string;
}

export interface CableDetectionDeps {
  connectors: ReadonlyArray<{ cable: CableConfig; meter: MeterDriver }>;
  target: CableTarget;
  log: Logger;
  /** GPIO line opener; default sysfs. */
  gpio?: GpioFactory;
  /** Stream for `command` connectors with stdin; default process.stdin. */
  stdin?: Readable;
}

/**
 * Runs the cable/EV detection of every connector (edge.json `connectors[].cable`): pollers for
 * GPIO, Modbus and power-threshold inputs, and the command channels (stdin, unix sockets) for
 * bench set-ups. `always` and `manual` need nothing running.
 */
export class CableDetection {
  readonly #d: CableDetectionDeps;
  readonly #pollers: LevelPoller[] = [];
  readonly #closers: Array<() => Promise<void>> = [];

  constructor(deps: CableDetectionDeps) {
    this.#d = deps;
  }

  async start(): Promise<void> {
    const { target, log } = this.#d;
    const commandConnectors = new Set<number>();
    let stdin = false;
    const sockets = new Set<string>();
    for (const [i, { cable, meter }] of this.#d.connectors.entries()) {
      const connectorId = i + 1;
      const clog = log.child({ connectorId, cable: cable.kind });
      switch (cable.kind) {
        case 'always':
        case 'manual':
          break;
        case 'gpio': {
          const input: GpioInput = await (this.#d.gpio ?? openSysfsGpio)({
            line: cable.line,
            ...(cable.chip !== undefined ? { chip: cable.chip } : {}),
            ...(cable.sysfsRoot !== undefined ? { sysfsRoot: cable.sysfsRoot } : {}),
          });
          this.#closers.push(() => input.close());
          const active = cable.activeLevel === 'low' ? 0 : 1;
          this.#poll(clog, `GPIO ${cable.line}`, cable.pollMs ?? 20, cable.debounceMs ?? 50, async () => (await input.read()) === active, (c) =>
            c ? target.plugIn(connectorId) : target.unplug(connectorId),
          );
          break;
        }
        case 'modbus': {
          const link = this.#modbusLink(cable, meter, connectorId);
          const matches = connectedWhen(cable.connectedWhen);
          this.#poll(clog, `Modbus register ${cable.register.address}`, cable.pollMs ?? 1000, cable.debounceMs ?? 0, async () => matches(await link.readRegister(cable.register)), (c) =>
            c ? target.plugIn(connectorId) : target.unplug(connectorId),
          );
          break;
        }
        case 'power':
          this.#poll(
            clog,
            `meter power >= ${cable.thresholdW} W`,
            cable.pollMs ?? 1000,
            cable.debounceMs ?? 3000,
            async () => ((await meter.read()).powerW ?? 0) >= cable.thresholdW,
            (drawing) => target.evDrawing(connectorId, drawing),
          );
          break;
        case 'command':
          commandConnectors.add(connectorId);
          if (cable.stdin ?? cable.socket === undefined) stdin = true;
          if (cable.socket !== undefined) sockets.add(cable.socket);
          break;
      }
    }
    if (commandConnectors.size > 0) {
      const handle = (command: CableCommand): string => {
        if (command.action === 'status') return target.describe();
        if (!commandConnectors.has(command.connectorId)) {
          return `error connector ${command.connectorId} does not take cable commands (set its "cable" to { "kind": "command" }; command connectors: ${[...commandConnectors].join(', ')})`;
        }
        if (command.action === 'plug') target.plugIn(command.connectorId);
        else target.unplug(command.connectorId);
        return `ok ${command.action} ${command.connectorId}`;
      };
      const channels: CommandChannel[] = [];
      if (stdin) channels.push(readCommandStream(this.#d.stdin ?? process.stdin, handle, log));
      for (const path of sockets) channels.push(await listenCommandSocket(path, handle, log));
      for (const ch of channels) this.#closers.push(() => ch.close());
    }
    for (const p of this.#pollers) p.start();
  }

  async close(): Promise<void> {
    for (const p of this.#pollers) p.stop();
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => {});
  }

  #poll(log: Logger, what: string, pollMs: number, debounceMs: number, read: () => Promise<boolean>, onChange: (connected: boolean) => void): void {
    this.#pollers.push(
      new LevelPoller({
        read,
        pollMs,
        debounceMs,
        log,
        what,
        onChange: (connected) => {
          log.info({ input: what, connected }, connected ? 'EV connected' : 'EV disconnected');
          onChange(connected);
        },
      }),
    );
  }

  /** The connector's own Modbus meter link, or a link of its own when `connection` is given. */
  #modbusLink(cable: ModbusCable, meter: MeterDriver, connectorId: number): { readRegister: ModbusMeter['readRegister'] } {
    if (cable.connection) {
      const { register } = cable;
      // A Modbus link of its own; its "energy" register is the cable register, and only readRegister is used.
      const link = new ModbusMeter({ ...cable.connection, registers: { energy: { address: register.address, ...(register.function ? { function: register.function } : {}) } } }, { log: this.#d.log });
      this.#closers.push(() => link.close());
      return link;
    }
    if (meter instanceof ModbusMeter) return meter;
    throw new Error(
      `connectors[${connectorId - 1}].cable: kind "modbus" without "connection" reads the connector's meter link, but that meter is "${meter.kind}"; add "connection": { "kind": "modbus-tcp", ... }`,
    );
  }
}

function connectedWhen(rule: ModbusCable['connectedWhen']): (value: number) => boolean {
  const equals = rule.equals === undefined ? undefined : Array.isArray(rule.equals) ? rule.equals : [rule.equals];
  return (value) =>
    (equals === undefined || equals.includes(value)) && (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max);
}

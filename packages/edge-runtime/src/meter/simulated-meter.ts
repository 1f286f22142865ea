import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CsmsError, CsmsErrorCode } from '@charge-it/core/kernel';
import type { MeterDriver, MeterDriverDeps, MeterReading, PowerCurvePoint, SimulatedMeterConfig } from './meter-driver.js';
import { writeFileAtomic } from './write-file-atomic.js';

const DEFAULT_MAX_POWER_W = 7400;
const NOMINAL_VOLTAGE_V = 230;
/** Longest integration step; a long gap between reads is integrated in steps so the curve is followed. */
const MAX_STEP_MS = 1000;
const MAX_STEPS = 10_000;

interface PersistedState {
  registerWh: number;
  updatedAt: string;
}

/**
 * A meter for simulation and demos. While an EV is charging (setDemand), power follows a curve over
 * charging time, capped by the EVSE rating and by the current limit (smart charging); energy is
 * integrated into a monotonic register. With a stateFile the register survives restarts, so
 * meterStart/meterStop stay monotonic across a reboot of the charge point.
 */
export class SimulatedMeter implements MeterDriver {
  readonly kind = 'simulated';
  private readonly maxPowerW: number;
  private readonly curve: PowerCurvePoint[];
  private readonly phases: 1 | 3;
  private readonly batteryWh: number;
  private readonly startSocPercent: number;
  private readonly now: () => number;
  private registerWh: number;
  private charging = false;
  private limitW: number | null = null;
  /** Seconds of charging in the current session (not counting suspended time). */
  private sessionSeconds = 0;
  private sessionEnergyWh = 0;
  private lastAt: number | null = null;
  private lastPowerW = 0;
  private opened = false;
  private persisted: Promise<void> = Promise.resolve();
  private persistedRegisterWh = -1;
  private noise = 0x2f6b;

  private readonly config: SimulatedMeterConfig;

  constructor(config: SimulatedMeterConfig, deps: MeterDriverDeps) {
    this.config = config;
    this.maxPowerW = config.maxPowerW ?? DEFAULT_MAX_POWER_W;
    if (!(this.maxPowerW > 0)) {
      throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, `simulated meter: maxPowerW must be a positive number of watts, got ${config.maxPowerW}`);
    }
    this.curve = validateCurve(config.curve ?? defaultCurve(this.maxPowerW));
    this.phases = config.phases ?? (this.maxPowerW > 7400 ? 3 : 1);
    this.batteryWh = config.batteryWh ?? 60_000;
    this.startSocPercent = config.startSocPercent ?? 20;
    this.registerWh = Math.max(0, config.startRegisterWh ?? 0);
    this.now = deps.now ?? Date.now;
  }

  async open(): Promise<void> {
    if (this.opened) return;
    const file = this.config.stateFile;
    if (file) {
      await mkdir(dirname(file), { recursive: true });
      const stored = await readState(file);
      // Never go backwards: a register is monotonic, whatever the config says now.
      if (stored !== null && stored > this.registerWh) this.registerWh = stored;
    }
    this.lastAt = this.now();
    this.opened = true;
  }

  async read(): Promise<MeterReading> {
    if (!this.opened) await this.open();
    this.advance(this.now());
    await this.persist();
    return this.snapshot();
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.advance(this.now());
    await this.persist();
    this.opened = false;
  }

  setDemand(demand: { charging: boolean; limitW: number | null }): void {
    if (this.opened) this.advance(this.now());
    if (demand.charging && !this.charging) {
      // A new charging phase follows the curve from its start (a new EV, or the same one after a
      // stop). A pause through smart charging arrives as limitW 0 with charging still true.
      this.sessionSeconds = 0;
      this.sessionEnergyWh = 0;
    }
    this.charging = demand.charging;
    this.limitW = demand.limitW === null || demand.limitW === undefined ? null : Math.max(0, demand.limitW);
    this.lastPowerW = this.powerAt(this.sessionSeconds);
  }

  /** Integrates energy from the last point in time to `at`. */
  private advance(at: number): void {
    if (this.lastAt === null) {
      this.lastAt = at;
      return;
    }
    const elapsedMs = at - this.lastAt;
    if (elapsedMs <= 0) return;
    const steps = Math.min(MAX_STEPS, Math.max(1, Math.ceil(elapsedMs / MAX_STEP_MS)));
    const stepMs = elapsedMs / steps;
    for (let i = 0; i < steps; i++) {
      if (!this.charging) break;
      // Midpoint rule: exact for the linear pieces of the curve within a step.
      const p = this.powerAt(this.sessionSeconds + stepMs / 2000);
      const wh = (p * stepMs) / 3_600_000;
      this.registerWh += wh;
      this.sessionEnergyWh += wh;
      this.sessionSeconds += stepMs / 1000;
    }
    this.lastPowerW = this.powerAt(this.sessionSeconds);
    this.lastAt = at;
  }

  private powerAt(seconds: number): number {
    if (!this.charging) return 0;
    if (this.socPercent() >= 100) return 0;
    const limit = this.limitW === null ? Infinity : this.limitW;
    return Math.max(0, Math.min(interpolate(this.curve, seconds), this.maxPowerW, limit));
  }

  private socPercent(): number {
    return Math.min(100, this.startSocPercent + (this.sessionEnergyWh / this.batteryWh) * 100);
  }

  private async persist(): Promise<void> {
    const file = this.config.stateFile;
    if (!file) return;
    // Serialise writes; each persists the register as it is when its turn comes.
    this.persisted = this.persisted
      .catch(() => {})
      .then(async () => {
        const registerWh = this.registerWh;
        if (registerWh === this.persistedRegisterWh) return;
        const state: PersistedState = { registerWh, updatedAt: new Date(this.now()).toISOString() };
        await writeFileAtomic(file, JSON.stringify(state));
        this.persistedRegisterWh = registerWh;
      });
    await this.persisted;
  }

  private snapshot(): MeterReading {
    const powerW = this.lastPowerW;
    const voltageV = Array.from({ length: this.phases }, () => round(NOMINAL_VOLTAGE_V + this.jitter(2), 1));
    const currentA = voltageV.map((v) => round(powerW / this.phases / v, 2));
    return {
      // Whole Wh as a real meter's register shows; floor keeps it monotonic.
      energyWh: Math.floor(round(this.registerWh, 6)),
      powerW: round(powerW, 0),
      currentA,
      voltageV,
      frequencyHz: round(50 + this.jitter(0.03), 2),
      temperatureC: round(25 + 15 * (powerW / this.maxPowerW) + this.jitter(0.3), 1),
      ...(this.charging || this.sessionEnergyWh > 0 ? { socPercent: round(this.socPercent(), 0) } : {}),
    };
  }

  /** Small deterministic noise (an LCG), so readings look alive without making tests flaky. */
  private jitter(amplitude: number): number {
    this.noise = (this.noise * 1103515245 + 12345) & 0x7fffffff;
    return ((this.noise / 0x7fffffff) * 2 - 1) * amplitude;
  }
}

function defaultCurve(maxPowerW: number): PowerCurvePoint[] {
  // Ramp up in 10 s, constant-current phase for 40 min, then taper as the battery fills.
  return [
    { atSeconds: 0, powerW: 0 },
    { atSeconds: 10, powerW: maxPowerW },
    { atSeconds: 2400, powerW: maxPowerW },
    { atSeconds: 3600, powerW: maxPowerW * 0.3 },
    { atSeconds: 5400, powerW: maxPowerW * 0.1 },
  ];
}

function validateCurve(curve: PowerCurvePoint[]): PowerCurvePoint[] {
  if (!Array.isArray(curve) || curve.length === 0) {
    throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, 'simulated meter: curve must be a non-empty array of { atSeconds, powerW }');
  }
  const sorted = [...curve].sort((a, b) => a.atSeconds - b.atSeconds);
  for (const point of sorted) {
    if (!Number.isFinite(point.atSeconds) || point.atSeconds < 0 || !Number.isFinite(point.powerW) || point.powerW < 0) {
      throw new CsmsError(
        CsmsErrorCode.CONFIG_INVALID,
        `simulated meter: curve point ${JSON.stringify(point)} is invalid; atSeconds and powerW must be numbers >= 0`,
      );
    }
  }
  return sorted;
}

function interpolate(curve: PowerCurvePoint[], seconds: number): number {
  const first = curve[0]!;
  if (seconds <= first.atSeconds) return first.powerW;
  for (let i = 1; i < curve.length; i++) {
    const b = curve[i]!;
    if (seconds <= b.atSeconds) {
      const a = curve[i - 1]!;
      const span = b.atSeconds - a.atSeconds;
      return span === 0 ? b.powerW : a.powerW + ((b.powerW - a.powerW) * (seconds - a.atSeconds)) / span;
    }
  }
  return curve[curve.length - 1]!.powerW;
}

async function readState(file: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const state = JSON.parse(text) as Partial<PersistedState>;
    return typeof state.registerWh === 'number' && Number.isFinite(state.registerWh) ? state.registerWh : null;
  } catch (cause) {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      `simulated meter: state file ${file} is not valid JSON; fix or delete it (the register restarts from startRegisterWh)`,
      { cause },
    );
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

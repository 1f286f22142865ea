import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A digital input line: what the cable detection needs from GPIO hardware. */
export interface GpioInput {
  /** The electrical level now: 1 high, 0 low. */
  read(): Promise<0 | 1>;
  close(): Promise<void>;
}

/** Opens an input line; `createChargePoint({ gpio })` takes one (tests pass an emulated line). */
export type GpioFactory = (spec: { line: number; chip?: string; sysfsRoot?: string }) => Promise<GpioInput>;

export const DEFAULT_SYSFS_GPIO_ROOT = '/sys/class/gpio';

/**
 * A GPIO input through the kernel's sysfs interface (`/sys/class/gpio`): the line is exported if
 * needed, set to `in`, and its `value` file read on each poll. sysfs numbers a line as the chip's
 * base plus the line offset; recent Raspberry Pi kernels put the SoC's chip at base 512, so the
 * chip is found by its label (`chip`, default: the first `pinctrl-*` chip, else the lowest base)
 * and BCM numbers work on every model. The service user needs write access to `export`
 * (group `gpio` on Raspberry Pi OS).
 */
export async function openSysfsGpio(spec: { line: number; chip?: string; sysfsRoot?: string }): Promise<GpioInput> {
  const root = spec.sysfsRoot ?? DEFAULT_SYSFS_GPIO_ROOT;
  const base = await chipBase(root, spec.chip);
  const number = base + spec.line;
  const dir = join(root, `gpio${number}`);
  const exists = await readFile(join(dir, 'value'), 'utf8').then(
    () => true,
    () => false,
  );
  if (!exists) {
    try {
      await writeFile(join(root, 'export'), String(number));
    } catch (err) {
      throw new Error(
        `cannot export GPIO ${spec.line} (sysfs ${number}) through ${join(root, 'export')}: ${(err as Error).message}; run as a user in the "gpio" group, or export it before the start`,
        { cause: err },
      );
    }
  }
  // Best effort: a line exported by someone else may already be an input, and udev may still be fixing permissions.
  await writeFile(join(dir, 'direction'), 'in').catch(() => {});
  return {
    async read() {
      const text = (await readFile(join(dir, 'value'), 'utf8')).trim();
      if (text !== '0' && text !== '1') throw new Error(`${join(dir, 'value')} reads "${text}", expected 0 or 1`);
      return text === '1' ? 1 : 0;
    },
    async close() {
      // The line stays exported: another start finds it ready, and unexporting could race udev.
    },
  };
}

async function chipBase(root: string, label: string | undefined): Promise<number> {
  let entries: string[];
  try {
    entries = (await readdir(root)).filter((e) => /^gpiochip\d+$/.test(e));
  } catch (err) {
    throw new Error(`no GPIO sysfs at ${root} (${(err as Error).message}); is this a Linux board with GPIO, and is sysfs GPIO enabled?`, { cause: err });
  }
  const chips = await Promise.all(
    entries.map(async (e) => ({
      base: Number((await readFile(join(root, e, 'base'), 'utf8').catch(() => e.slice('gpiochip'.length))).toString().trim()),
      label: (await readFile(join(root, e, 'label'), 'utf8').catch(() => '')).toString().trim(),
    })),
  );
  chips.sort((a, b) => a.base - b.base);
  if (label !== undefined) {
    const chip = chips.find((c) => c.label === label);
    if (!chip) throw new Error(`no GPIO chip labelled "${label}" in ${root} (found: ${chips.map((c) => `${c.label || '?'}@${c.base}`).join(', ') || 'none'})`);
    return chip.base;
  }
  const chip = chips.find((c) => c.label.startsWith('pinctrl-')) ?? chips[0];
  // No chip directories (some emulations): the line number is the sysfs number.
  return chip?.base ?? 0;
}

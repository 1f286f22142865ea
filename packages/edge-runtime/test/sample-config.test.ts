import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@charge-it/core/kernel';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../src/config/edge-config.js';
import { createMeterDriver } from '../src/meter/create-meter-driver.js';
import { readersFromConfig } from '../src/readers/readers-from-config.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('edge.sample.json', () => {
  it('is a valid configuration: runtime fields, meter drivers and readers', async () => {
    const json = JSON.parse(await readFile(join(pkgDir, 'edge.sample.json'), 'utf8')) as Record<string, unknown>;
    const config = loadEdgeConfig(json, {});
    expect(config.identity).toBe('PI-CP-001');
    expect(config.connectors).toHaveLength(1);
    const meter = createMeterDriver(config.connectors[0]!.meter!, { log: silentLogger });
    expect(meter.kind).toBe('modbus-rtu');
    const readers = readersFromConfig(json.readers);
    expect(readers.map((r) => r.name)).toEqual(['stdin-reader']);
  });

  it('the systemd unit runs the CLI with the config and keeps state in StateDirectory', async () => {
    const unit = await readFile(join(pkgDir, 'deploy', 'charge-it-edge.service'), 'utf8');
    // Run with the small-footprint V8 flags the footprint bench measures (README "Footprint").
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node --lite-mode --max-semi-space-size=1 --v8-pool-size=0 \S+\/@charge-it\/edge-runtime\/dist\/cli\.js --config \/etc\/charge-it-edge\/edge.json$/m);
    expect(unit).toMatch(/^StateDirectory=charge-it-edge$/m);
    expect(unit).toMatch(/^Environment=CHARGE_IT_EDGE_DATA_DIR=\/var\/lib\/charge-it-edge$/m);
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^User=charge-it$/m);
  });
});

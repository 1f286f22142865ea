import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REBOOT_INFO } from '../src/ocpp/boot-state-machine.js';
import { ChildChargePoint } from './support/child-charge-point.js';
import { testConfig, until, useChargePointTestEnv } from './support/test-charge-point.js';

/* BootNotification after every restart (S16 §4.2), before anything else except what the outbox
 * replays after Accepted, and the reason visible to the central system in connector 0's
 * StatusNotification info. */

const zeroInfo = (p: { connectorId: number; info?: string }) => p.connectorId === 0 && p.info !== undefined;

describe('edge runtime: reboot after a restart, a kill -9 and a Reset', () => {
  const env = useChargePointTestEnv();
  const children: ChildChargePoint[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      c.kill9();
      await c.exited();
    }
  });

  it('first start, clean restart: a Boot each time with the reason; a reconnect within the run sends none', async () => {
    const { csms } = env;
    let t = await env.start();
    await csms.waitFor('BootNotification');
    expect((await csms.waitFor('StatusNotification', zeroInfo)).params.info).toBe(REBOOT_INFO.firstStart);
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 1);

    // The central system goes away and comes back: same run, no new Boot, statuses without a reason.
    const before = csms.calls.length;
    await csms.stop();
    await until(() => !t.cp.state.online, 'offline');
    await csms.restart();
    await csms.waitFor('StatusNotification', (p) => p.connectorId === 0, 2);
    expect(csms.callsOf('BootNotification')).toHaveLength(1);
    expect(csms.calls.slice(before).filter((c) => c.action === 'StatusNotification' && c.params.info !== undefined)).toEqual([]);

    await t.cp.stop();
    t = await env.start();
    const boot2 = await csms.waitFor('BootNotification', () => true, 2);
    expect((await csms.waitFor('StatusNotification', zeroInfo, 2)).params.info).toBe(REBOOT_INFO.clean);
    // The Boot came first on its connection.
    const firstAfter = csms.calls.slice(csms.calls.indexOf(boot2 as never));
    expect(firstAfter[0]?.action).toBe('BootNotification');
    expect(firstAfter.slice(1).every((c) => c.action !== 'BootNotification')).toBe(true);
  });

  it('Reset Hard without a host listener: the runtime reconnects and boots, saying Reset Hard', async () => {
    const { csms } = env;
    await env.start();
    await csms.waitFor('StatusNotification', zeroInfo);
    expect(await csms.callCp('Reset', { type: 'Hard' })).toEqual({ status: 'Accepted' });
    await csms.waitFor('BootNotification', () => true, 2);
    expect((await csms.waitFor('StatusNotification', zeroInfo, 2)).params.info).toBe(REBOOT_INFO.resetHard);
  });

  it('kill -9: the next run boots first (nothing before Accepted), says "power loss or crash", then replays the outbox', async () => {
    const { csms } = env;
    const meterFile = join(env.dir, 'meter.json');
    writeFileSync(meterFile, JSON.stringify({ energyWh: 2_000 }));
    const config = testConfig(csms, join(env.dir, 'child'), { ocppConfig: { MeterValueSampleInterval: 1 } });
    const childEnv = { CHILD_CONFIG: JSON.stringify(config), CHILD_METER_FILE: meterFile };
    const first = new ChildChargePoint(childEnv);
    children.push(first);
    await first.next('ready');
    await csms.waitFor('StatusNotification', zeroInfo);
    first.send('plug 1');
    expect(await first.card('CARD-K')).toMatchObject({ result: 'started' });
    await csms.waitFor('StartTransaction');
    // The central system stops answering: MeterValues queue up in the journal, then kill -9.
    await csms.stop();
    await first.waitState((s) => !s.online && s.queued >= 2, 'offline with 2 MeterValues queued');
    first.kill9();
    await first.exited();
    const callsBefore = csms.calls.length;

    await csms.restart();
    const second = new ChildChargePoint(childEnv);
    children.push(second);
    await second.next('ready');
    await second.waitState((s) => s.online && s.queued === 0, 'outbox replayed', 30_000);
    const run = csms.calls.slice(callsBefore);
    expect(run[0]?.action).toBe('BootNotification');
    expect(run.filter((c) => c.action === 'BootNotification')).toHaveLength(1);
    const zero = run.find((c) => c.action === 'StatusNotification' && c.params.connectorId === 0);
    expect(zero?.params.info).toBe(REBOOT_INFO.unclean);
    // The interrupted transaction is stopped with PowerLoss after the queued MeterValues, in order.
    const transactional = run.filter((c) => ['MeterValues', 'StopTransaction'].includes(c.action));
    expect(transactional.length).toBeGreaterThanOrEqual(3);
    expect(transactional[transactional.length - 1]?.action).toBe('StopTransaction');
    expect(transactional[transactional.length - 1]?.params).toMatchObject({ reason: 'PowerLoss', transactionId: 100 });
  }, 60_000);
});

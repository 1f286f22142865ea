import { describe, expect, it } from 'vitest';
import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import { resolveConfig } from './resolve-config.js';
import { optionSpecs } from './schema.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CsmsError);
    expect((err as CsmsError).code).toBe(CsmsErrorCode.CONFIG_INVALID);
    return (err as CsmsError).details.problems as string[];
  }
  throw new Error('expected resolveConfig to throw');
}

describe('resolveConfig', () => {
  it('gives every option its default with an empty environment', () => {
    const config = resolveConfig({}, {});
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      databaseUrl: 'sqlite:./data/charge-it.db',
      autoRegister: false,
      heartbeatInterval: 300,
      tls: null,
      logLevel: 'info',
      ocpp: { maxFrameBytes: 8_388_608, maxBadMessages: 20, silentTimeout: 900 },
      hooks: { decideTimeoutMs: 2_000 },
      pluginSetupTimeoutMs: 10_000,
    });
  });

  it('reads every CHARGE_IT_* variable, and the environment wins over options', () => {
    const config = resolveConfig(
      { port: 1234, autoRegister: false },
      {
        CHARGE_IT_PORT: '9100',
        CHARGE_IT_HOST: '127.0.0.1',
        CHARGE_IT_DATABASE_URL: 'mysql://root@127.0.0.1:3306/test',
        CHARGE_IT_AUTO_REGISTER: 'yes',
        CHARGE_IT_HEARTBEAT_INTERVAL: '60',
        CHARGE_IT_TLS_CERT_FILE: '/etc/cert.pem',
        CHARGE_IT_TLS_KEY_FILE: '/etc/key.pem',
        CHARGE_IT_OCPP_MAX_FRAME_BYTES: '2048',
      },
    );
    expect(config).toMatchObject({
      port: 9100,
      host: '127.0.0.1',
      databaseUrl: 'mysql://root@127.0.0.1:3306/test',
      autoRegister: true,
      heartbeatInterval: 60,
      tls: { certFile: '/etc/cert.pem', keyFile: '/etc/key.pem' },
      ocpp: { maxFrameBytes: 2048 },
    });
  });

  it('gives every option an environment variable of its own', () => {
    const envs = optionSpecs.map((s) => s.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const env of envs) expect(env).toMatch(/^CHARGE_IT_[A-Z0-9_]+$/);
  });

  it('names the option, its variable and the bad value', () => {
    const problems = problemsOf(() => resolveConfig({}, { CHARGE_IT_PORT: 'abc' }));
    expect(problems).toEqual(['port (CHARGE_IT_PORT): must be an integer from 0 to 65535; got CHARGE_IT_PORT="abc"']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      resolveConfig({ heartbeatInterval: 0, logLevel: 'loud' as never }, { CHARGE_IT_AUTO_REGISTER: 'maybe', CHARGE_IT_PORT: '70000' }),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/heartbeatInterval .*from 1 to 86400/);
    expect(problems.join('\n')).toMatch(/logLevel .*one of fatal, error/);
    expect(problems.join('\n')).toMatch(/autoRegister \(CHARGE_IT_AUTO_REGISTER\): must be true or false/);
    expect(problems.join('\n')).toMatch(/port \(CHARGE_IT_PORT\)/);
  });

  it('rejects unknown options with a suggestion', () => {
    expect(problemsOf(() => resolveConfig({ prot: 1 } as never, {}))).toEqual(['unknown option "prot"']);
    expect(problemsOf(() => resolveConfig({ ocpp: { maxframebytes: 1 } } as never, {}))[0]).toMatch(/did you mean "ocpp.maxFrameBytes"/);
    expect(problemsOf(() => resolveConfig({ ocpp: 5 } as never, {}))).toEqual(['ocpp: must be an object']);
  });

  it('requires TLS certificate and key together', () => {
    expect(problemsOf(() => resolveConfig({}, { CHARGE_IT_TLS_CERT_FILE: '/x.pem' }))[0]).toMatch(/must be set together/);
  });

  it('rejects non-integers and wrong types from options', () => {
    expect(problemsOf(() => resolveConfig({ port: 1.5 }, {}))[0]).toMatch(/^port/);
    expect(problemsOf(() => resolveConfig({ autoRegister: 'true' as never }, {}))[0]).toMatch(/^autoRegister/);
    expect(problemsOf(() => resolveConfig({ host: '' }, {}))[0]).toMatch(/^host .*non-empty/);
  });

  it('ignores empty environment variables', () => {
    expect(resolveConfig({}, { CHARGE_IT_PORT: '' }).port).toBe(9000);
  });
});

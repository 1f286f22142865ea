import { CsmsError, CsmsErrorCode } from '../kernel/errors.js';
import { optionSpecs, type CsmsConfig, type OptionSpec } from './schema.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | null : T[K] };

export type CsmsConfigInput = DeepPartial<CsmsConfig>;

/**
 * Builds the configuration from, in increasing precedence: the schema defaults, the options the
 * application passes, and the `CHARGE_IT_*` environment variables (the operator has the last
 * word). Every problem is collected and reported at once, naming the option, its environment
 * variable and what a valid value looks like.
 */
export function resolveConfig(input: CsmsConfigInput = {}, env: Record<string, string | undefined> = process.env): CsmsConfig {
  const problems: string[] = [];
  reportUnknownKeys(input as Record<string, unknown>, '', problems);
  const flat: Record<string, unknown> = {};

  for (const spec of optionSpecs) {
    const fromEnv = env[spec.env];
    const fromInput = getPath(input, spec.path);
    let value: unknown = spec.default;
    let source = 'default';
    if (fromInput !== undefined && fromInput !== null) {
      value = fromInput;
      source = 'option';
    }
    if (fromEnv !== undefined && fromEnv !== '') {
      value = fromEnv;
      source = 'env';
    }
    const checked = check(spec, value, source === 'env');
    if ('problem' in checked) {
      const where = source === 'env' ? `${spec.env}=${JSON.stringify(fromEnv)}` : `option ${spec.path}=${JSON.stringify(value)}`;
      problems.push(`${spec.path} (${spec.env}): ${checked.problem}; got ${where}`);
    } else {
      flat[spec.path] = checked.value;
    }
  }

  const tlsCert = flat['tls.certFile'] as string | undefined;
  const tlsKey = flat['tls.keyFile'] as string | undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    problems.push('tls.certFile (CHARGE_IT_TLS_CERT_FILE) and tls.keyFile (CHARGE_IT_TLS_KEY_FILE) must be set together');
  }

  const silent = flat['ocpp.silentTimeout'] as number | undefined;
  const heartbeat = flat['heartbeatInterval'] as number | undefined;
  const silentSet = getPath(input, 'ocpp.silentTimeout') != null || (env['CHARGE_IT_OCPP_SILENT_TIMEOUT'] ?? '') !== '';
  if (typeof silent === 'number' && typeof heartbeat === 'number' && silent !== 0 && silent <= 2 * heartbeat && !silentSet) {
    flat['ocpp.silentTimeout'] = 2 * heartbeat + 60; // the default follows a long heartbeat interval
  } else if (typeof silent === 'number' && typeof heartbeat === 'number' && silent !== 0 && silent <= heartbeat) {
    problems.push(
      `ocpp.silentTimeout (CHARGE_IT_OCPP_SILENT_TIMEOUT) must be 0 or longer than heartbeatInterval (${heartbeat} s), else healthy chargers that only send heartbeats are cut off; got ${silent}`,
    );
  }
  if (problems.length > 0) {
    throw new CsmsError(
      CsmsErrorCode.CONFIG_INVALID,
      `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { details: { problems } },
    );
  }

  const config: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) setPath(config, path, value);
  const tls = config.tls as { certFile?: string; keyFile?: string; caFile?: string } | undefined;
  config.tls = tls?.certFile && tls.keyFile ? { certFile: tls.certFile, keyFile: tls.keyFile, caFile: tls.caFile } : null;
  return config as unknown as CsmsConfig;
}

function check(spec: OptionSpec, value: unknown, fromString: boolean): { value: unknown } | { problem: string } {
  if (value === undefined) return { value };
  switch (spec.kind) {
    case 'int': {
      const n = fromString && typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return { problem: `must be an integer${range(spec)}` };
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        return { problem: `must be an integer${range(spec)}` };
      }
      return { value: n };
    }
    case 'bool': {
      if (typeof value === 'boolean') return { value };
      if (fromString && typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
        if (['0', 'false', 'no', 'off'].includes(v)) return { value: false };
      }
      return { problem: 'must be true or false (env: 1/0, true/false, yes/no, on/off)' };
    }
    case 'string':
      if (typeof value !== 'string' || value.trim() === '') return { problem: 'must be a non-empty string' };
      return { value };
    case 'enum':
      if (typeof value !== 'string' || !spec.values?.includes(value)) {
        return { problem: `must be one of ${spec.values?.join(', ')}` };
      }
      return { value };
  }
}

function range(spec: OptionSpec): string {
  return spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}` : '';
}

function reportUnknownKeys(input: Record<string, unknown>, prefix: string, problems: string[]): void {
  const known = new Set(optionSpecs.map((s) => s.path));
  const groups = new Set(optionSpecs.filter((s) => s.path.includes('.')).map((s) => s.path.split('.')[0]!));
  for (const [key, value] of Object.entries(input ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!prefix && groups.has(key)) {
      if (value !== null && value !== undefined) {
        if (typeof value !== 'object' || Array.isArray(value)) problems.push(`${path}: must be an object`);
        else reportUnknownKeys(value as Record<string, unknown>, path, problems);
      }
    } else if (!known.has(path)) {
      const suggestion = [...known].find((k) => k.toLowerCase() === path.toLowerCase() || k.endsWith(`.${key}`));
      problems.push(`unknown option "${path}"${suggestion ? `; did you mean "${suggestion}"?` : ''}`);
    }
  }
}

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts.at(-1)!] = value;
}

/** Prefixes of `CHARGE_IT_*` variables that belong to other programs (edge runtime, tests, benchmarks). */
const FOREIGN_ENV_PREFIXES = ['CHARGE_IT_EDGE_', 'CHARGE_IT_TEST_', 'CHARGE_IT_BENCH_'];

/**
 * `CHARGE_IT_*` variables in `env` that no option reads (a typo such as `CHARGE_IT_AUTO_REGISTR`
 * is otherwise silently ignored), each with the closest known name when one is close. `extraKnown`
 * lists the variables the application itself reads.
 */
export function unknownEnvVariables(
  env: Record<string, string | undefined>,
  extraKnown: readonly string[] = [],
): Array<{ name: string; suggestion: string | undefined }> {
  const known = new Set([...optionSpecs.map((s) => s.env), ...extraKnown]);
  const unknown: Array<{ name: string; suggestion: string | undefined }> = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('CHARGE_IT_') || known.has(name)) continue;
    if (FOREIGN_ENV_PREFIXES.some((p) => name.startsWith(p))) continue;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
      const d = editDistance(name, candidate);
      if (d < bestDistance) [best, bestDistance] = [candidate, d];
    }
    unknown.push({ name, suggestion: bestDistance <= Math.max(2, Math.floor(name.length / 6)) ? best : undefined });
  }
  return unknown;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

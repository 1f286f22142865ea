import { CsmsError, CsmsErrorCode, isCsmsError } from './errors.js';
import type { HookRunner, HookSpecs } from './hooks.js';
import type { PluginDefinition } from './define-plugin.js';
import type { Logger } from './logger.js';
import { TIMED_OUT, withTimeout } from './with-timeout.js';

/** What every host context offers; hosts add their own members (services, routes, handle, ...). */
export interface BasePluginContext {
  readonly pluginName: string;
  readonly log: Logger;
  /** Teardown run by `close()`, in reverse plugin order. */
  onClose(fn: () => void | Promise<void>): void;
}

/** Lets host contexts refuse registrations after boot. */
export interface RegistrationGate {
  readonly isOpen: boolean;
  assertOpen(plugin: string, what: string): void;
}

export interface LoadPluginsOptions<Ctx, H extends HookSpecs> {
  plugins: readonly PluginDefinition<Ctx, H>[];
  hooks: HookRunner<H>;
  log: Logger;
  /** Builds the host context of one plugin from the base context. */
  createContext(base: BasePluginContext, gate: RegistrationGate): Ctx;
  /** Per plugin setup(); default 10 s. */
  setupTimeoutMs?: number;
  /** Per teardown function; default 10 s. */
  teardownTimeoutMs?: number;
}

export interface LoadedPlugins {
  /** Plugin names in setup order. */
  readonly order: readonly string[];
  /** Runs every teardown in reverse order; errors are logged, never thrown. Idempotent. */
  close(): Promise<void>;
}

/**
 * Loads plugins: dedupes (the same definition twice counts once; two definitions with one name is
 * an error), sorts them so dependencies come first (registration order otherwise), registers hooks,
 * runs each setup() with a timeout, then closes registration (freeze). A failure tears down the
 * plugins already set up, in reverse, and throws a coded error.
 */
export async function loadPlugins<Ctx, H extends HookSpecs>(options: LoadPluginsOptions<Ctx, H>): Promise<LoadedPlugins> {
  const { hooks, log } = options;
  const setupTimeoutMs = options.setupTimeoutMs ?? 10_000;
  const teardownTimeoutMs = options.teardownTimeoutMs ?? 10_000;
  const ordered = sortByDependencies(dedupe(options.plugins));

  let open = true;
  const gate: RegistrationGate = {
    get isOpen() {
      return open;
    },
    assertOpen(plugin, what) {
      if (!open) {
        throw new CsmsError(
          CsmsErrorCode.REGISTRATION_CLOSED,
          `plugin "${plugin}" tried to register ${what} after boot; do it inside setup()`,
        );
      }
    },
  };

  const teardowns: Array<{ plugin: string; fn: () => void | Promise<void> }> = [];
  const runTeardowns = async (): Promise<void> => {
    for (const { plugin, fn } of teardowns.reverse()) {
      try {
        const outcome = await withTimeout(fn, teardownTimeoutMs);
        if (outcome === TIMED_OUT) log.warn({ plugin, timeoutMs: teardownTimeoutMs }, 'plugin teardown timed out');
      } catch (err) {
        log.error({ plugin, err }, 'plugin teardown failed');
      }
    }
  };
  // One shared promise: a second close() (even a concurrent one) waits for the same teardowns.
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= runTeardowns());

  for (const plugin of ordered) {
    const pluginLog = log.child({ plugin: plugin.name });
    const base: BasePluginContext = {
      pluginName: plugin.name,
      log: pluginLog,
      onClose(fn) {
        gate.assertOpen(plugin.name, 'a teardown function');
        teardowns.push({ plugin: plugin.name, fn });
      },
    };
    try {
      if (plugin.hooks) hooks.register(plugin.name, plugin.hooks);
      if (plugin.setup) {
        const ctx = options.createContext(base, gate);
        const outcome = await withTimeout(() => plugin.setup?.(ctx), setupTimeoutMs);
        if (outcome === TIMED_OUT) {
          throw new CsmsError(
            CsmsErrorCode.PLUGIN_SETUP_TIMEOUT,
            `plugin "${plugin.name}" did not finish setup() within ${setupTimeoutMs} ms; move slow work out of setup or raise the setup timeout`,
            { details: { plugin: plugin.name } },
          );
        }
      }
      pluginLog.debug('plugin set up');
    } catch (err) {
      open = false;
      hooks.freeze();
      await close();
      if (isCsmsError(err)) throw err;
      throw new CsmsError(CsmsErrorCode.PLUGIN_SETUP_FAILED, `plugin "${plugin.name}" failed in setup(): ${String((err as Error)?.message ?? err)}`, {
        cause: err,
        details: { plugin: plugin.name },
      });
    }
  }

  open = false;
  hooks.freeze();
  return { order: ordered.map((p) => p.name), close };
}

function dedupe<P extends NamedPlugin>(plugins: readonly P[]): P[] {
  const byName = new Map<string, P>();
  for (const plugin of plugins) {
    const seen = byName.get(plugin.name);
    if (seen === undefined) byName.set(plugin.name, plugin);
    else if (seen !== plugin) {
      throw new CsmsError(
        CsmsErrorCode.PLUGIN_DUPLICATE,
        `two different plugins are named "${plugin.name}"; register each plugin once`,
        { details: { plugin: plugin.name } },
      );
    }
  }
  return [...byName.values()];
}

/** Depth-first topological sort that keeps registration order wherever dependencies allow. */
function sortByDependencies<P extends NamedPlugin>(plugins: P[]): P[] {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: P[] = [];
  const visit = (plugin: P, path: string[]): void => {
    const s = state.get(plugin.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      // Name only the cycle, not the plugins through which the walk reached it.
      const cycle = [...path.slice(path.indexOf(plugin.name)), plugin.name];
      throw new CsmsError(CsmsErrorCode.PLUGIN_DEPENDENCY_CYCLE, `plugin dependencies form a cycle: ${cycle.join(' → ')}`, {
        details: { cycle },
      });
    }
    state.set(plugin.name, 'visiting');
    for (const dep of plugin.dependencies ?? []) {
      const target = byName.get(dep);
      if (!target) {
        throw new CsmsError(
          CsmsErrorCode.PLUGIN_MISSING_DEPENDENCY,
          `plugin "${plugin.name}" depends on "${dep}", which is not registered; add the "${dep}" plugin`,
          { details: { plugin: plugin.name, dependency: dep } },
        );
      }
      visit(target, [...path, plugin.name]);
    }
    state.set(plugin.name, 'done');
    out.push(plugin);
  };
  for (const plugin of plugins) visit(plugin, []);
  return out;
}


type NamedPlugin = Pick<PluginDefinition, 'name' | 'dependencies'>;

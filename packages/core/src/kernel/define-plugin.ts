import { CsmsError, CsmsErrorCode } from './errors.js';
import type { HookHandlers, HookSpecs } from './hooks.js';

/**
 * A plugin: a plain object with a name, optional dependencies (names of other plugins that must be
 * set up first), typed hooks, and an optional `setup(ctx)` that registers services, routes, action
 * handlers and teardown through the host's context.
 */
export interface PluginDefinition<Ctx = unknown, H extends HookSpecs = HookSpecs> {
  readonly name: string;
  readonly version?: string;
  readonly dependencies?: readonly string[];
  readonly hooks?: HookHandlers<H>;
  setup?(ctx: Ctx): void | Promise<void>;
}

const NAME_PATTERN = /^[a-z0-9@][a-z0-9@/._-]*$/i;

/**
 * Checks a plugin definition and returns it frozen. Hosts re-export a typed version (the core's
 * `definePlugin` knows the CSMS context and hooks; the edge runtime's knows its own).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hosts narrow the context and hooks
export function definePlugin<P extends PluginDefinition<any, any>>(plugin: P): Readonly<P> {
  if (!plugin || typeof plugin !== 'object') {
    throw new CsmsError(CsmsErrorCode.PLUGIN_INVALID, 'a plugin must be an object with a name');
  }
  if (typeof plugin.name !== 'string' || !NAME_PATTERN.test(plugin.name)) {
    throw new CsmsError(
      CsmsErrorCode.PLUGIN_INVALID,
      `plugin name ${JSON.stringify(plugin.name)} is invalid; use letters, digits and . _ - / @`,
    );
  }
  if (plugin.dependencies !== undefined && !Array.isArray(plugin.dependencies)) {
    throw new CsmsError(CsmsErrorCode.PLUGIN_INVALID, `plugin "${plugin.name}": dependencies must be an array of names`);
  }
  if (plugin.setup !== undefined && typeof plugin.setup !== 'function') {
    throw new CsmsError(CsmsErrorCode.PLUGIN_INVALID, `plugin "${plugin.name}": setup must be a function`);
  }
  return Object.freeze(plugin);
}

/**
 * `@charge-it/core/kernel`: the plugin contract, the hook runner, the coded errors and small
 * dependency-free helpers (time-zone offsets). Imports neither fastify nor MikroORM, so the edge
 * runtime can use it on a Raspberry Pi, and a plugin's worker thread can without loading the server.
 */
export { CsmsError, CsmsErrorCode, isCsmsError } from './errors.js';
export { definePlugin, type PluginDefinition } from './define-plugin.js';
export {
  HookRunner,
  type DecideHookSpec,
  type ObserveHookSpec,
  type HookSpecs,
  type HookKinds,
  type HookHandlers,
  type HookHandler,
  type DecideHandler,
  type ObserveHandler,
  type DecideHookName,
  type ObserveHookName,
  type HookRunnerOptions,
} from './hooks.js';
export {
  loadPlugins,
  type BasePluginContext,
  type RegistrationGate,
  type LoadPluginsOptions,
  type LoadedPlugins,
} from './plugin-loader.js';
export { silentLogger, type Logger, type LogFn } from './logger.js';
export { withTimeout, TIMED_OUT } from './with-timeout.js';
export { KeyedTimers } from './keyed-timers.js';
export { isTimeZone, offsetAt, localToUtc } from './time-zone.js';

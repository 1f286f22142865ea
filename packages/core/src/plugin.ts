import type { EntitySchema } from '@mikro-orm/core';
import type { FastifyPluginAsync } from 'fastify';
import type { CsmsConfig } from './config/index.js';
import type { CsmsHooks } from './hooks.js';
import { definePlugin as defineKernelPlugin, type PluginDefinition } from './kernel/define-plugin.js';
import type { BasePluginContext } from './kernel/plugin-loader.js';
import type { ActionHandler, DataTransferHandler } from './ocpp/action-router.js';
import type { CoreServices } from './services.js';

/** Services by name: the core's (typed) and those plugins provide. */
export interface ServiceRegistry {
  get<K extends keyof CoreServices>(name: K): CoreServices[K];
  get<T = unknown>(name: string): T;
  has(name: string): boolean;
}

/** What a CSMS plugin's `setup(ctx)` receives. Registration closes when boot ends. */
export interface CsmsPluginContext extends BasePluginContext {
  readonly config: CsmsConfig;
  readonly services: ServiceRegistry;
  /** Registers a service other plugins can `get`; a name that is taken is an error. */
  provide(name: string, value: unknown): void;
  /** Handles an OCPP action the core leaves open, or replaces the core's handler with `replaceDefault`. */
  handle(action: string, handler: ActionHandler, options?: { replaceDefault?: boolean }): void;
  /** Handles DataTransfer messages of one vendorId (others are answered UnknownVendorId). */
  handleDataTransfer(vendorId: string, handler: DataTransferHandler): void;
  /** Registers Fastify routes, e.g. `ctx.routes(async (app) => app.get('/x', ...), { prefix: '/api/my-plugin' })`. */
  routes(plugin: FastifyPluginAsync, options?: { prefix?: string }): void;
}

export interface CsmsPlugin extends PluginDefinition<CsmsPluginContext, CsmsHooks> {
  /**
   * Extra MikroORM entities of the plugin. Declared on the definition (not in setup) because the
   * database is opened before plugins are set up, so that setup can already use the services.
   */
  readonly entities?: readonly EntitySchema[];
}

/** Defines a CSMS plugin (checked and frozen). */
export function definePlugin<P extends CsmsPlugin>(plugin: P): Readonly<P> {
  return defineKernelPlugin(plugin);
}

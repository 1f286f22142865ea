import type { EntityManager, EntitySchema } from '@mikro-orm/core';
import type { FastifyPluginAsync } from 'fastify';
import type { CsmsConfig } from './config/index.js';
import type { CsmsHooks } from './hooks.js';
import { definePlugin as defineKernelPlugin, type PluginDefinition } from './kernel/define-plugin.js';
import type { HookHandler } from './kernel/hooks.js';
import type { BasePluginContext } from './kernel/plugin-loader.js';
import type { ActionHandler, DataTransferHandler } from './ocpp/action-router.js';
import type { ChargePointAction, ChargePointActions } from './ocpp/v16/messages.js';
import type { CsmsServices, ServiceRegistry } from './services.js';

export type { ServiceRegistry } from './services.js';

/** The handler of one charge-point-initiated OCPP action, typed by its request and response. */
export type ChargePointActionHandler<A extends ChargePointAction> = ActionHandler<ChargePointActions[A]['request'], ChargePointActions[A]['response']>;

/** What a CSMS plugin's `setup(ctx)` receives. Registration closes when boot ends. */
export interface CsmsPluginContext extends BasePluginContext {
  readonly config: CsmsConfig;
  /** The public services (`CsmsServices`, open for declaration merging); internals are refused. */
  readonly services: ServiceRegistry<CsmsServices>;
  /**
   * Registers a service other plugins can `get`. Declare its type first
   * (`declare module '@charge-it/core' { interface CsmsServices { ml: MlService } }`);
   * a name that is taken is a `CSMS_ERR_SERVICE_COLLISION`.
   */
  provide<K extends keyof CsmsServices & string>(name: K, value: CsmsServices[K]): void;
  /**
   * Subscribes to a hook from inside setup, so the plugin's state can live in the setup closure.
   * Same semantics as hooks on the definition: decide hooks are asked in plugin order (a plugin's
   * definition hooks before those it subscribes in setup); observe hooks run after the commit and
   * the reply, serially per charge point.
   */
  on<K extends keyof CsmsHooks & string>(hook: K, handler: HookHandler<CsmsHooks[K]>): void;
  /**
   * Handles a charge-point-initiated OCPP action. The core handles all ten of OCPP 1.6J, so a claim
   * needs `{ replaceDefault: true }`; a second claim on an action is a `CSMS_ERR_ACTION_CLAIMED`.
   * The handler gets `{ chargePointId, params, session, receivedAt, signal, ... }` and returns the
   * response, both typed by the action.
   */
  handle<A extends ChargePointAction>(action: A, handler: ChargePointActionHandler<A>, options?: { replaceDefault?: boolean }): void;
  /** Handles DataTransfer messages of one vendorId (others are answered UnknownVendorId). */
  handleDataTransfer(vendorId: string, handler: DataTransferHandler): void;
  /** Registers Fastify routes, e.g. `ctx.routes(async (app) => app.get('/x', ...), { prefix: '/api/my-plugin' })`. */
  routes(plugin: FastifyPluginAsync, options?: { prefix?: string }): void;
  /**
   * Registers routes inside REST API v1 (`/api/v1` + `prefix`): they get the API's key
   * authentication (a route sets `config: { apiRole: 'viewer' | 'operator' | 'admin' | 'public' }`;
   * no role = admin), its error shape, and their schemas appear in `/api/v1/openapi.json`.
   */
  apiRoutes(plugin: FastifyPluginAsync, options?: { prefix?: string }): void;
  /**
   * A fresh MikroORM entity manager (a fork) for the plugin's own `entities`. The core's tables are
   * read and written through the services, never through this.
   */
  em(): EntityManager;
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

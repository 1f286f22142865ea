import type { Logger } from '@charge-it/core';
import type { DashboardServices } from '../core-api.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { DashboardSession, Role, SessionStore } from '../auth/session-store.js';
import type { Fmt } from '../format.js';
import type { Html } from '../html.js';
import type { EventFeed } from '../live/event-feed.js';
import type { StreamRegistry } from '../live/live-stream.js';
import type { ResolvedDashboardOptions } from '../options.js';
import type { ViewCtx } from '../views/layout.js';

export interface DashboardDeps {
  readonly options: ResolvedDashboardOptions;
  readonly svc: DashboardServices;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  readonly log: Logger;
  readonly feed: EventFeed;
  readonly streams: StreamRegistry;
}

/** Per request: set by the auth hook for every signed-in route. */
export interface RequestState {
  readonly session: DashboardSession;
  readonly fmt: Fmt;
  readonly view: ViewCtx;
  /** For the audit log: `dashboard:<username>`. */
  readonly actor: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    dash: RequestState | null;
  }
  interface FastifyContextConfig {
    /** Least role that may use the route; 'public' = no session needed (login, assets). Default viewer. */
    dashboardRole?: Role | 'public';
  }
}

export function state(request: FastifyRequest): RequestState {
  if (!request.dash) throw new Error('dashboard route without a session (auth hook missing)');
  return request.dash;
}

export function isHtmx(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

export function sendHtml(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body.value);
}

/** A form field from a urlencoded body: the first value, trimmed ('' when absent). */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/** `HX-Trigger: {"toast": text}` (ASCII-escaped JSON: header values must not carry other characters). */
export function toastHeader(text: string): string {
  return JSON.stringify({ toast: text }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

import type { FastifyInstance } from 'fastify';
import type { ChargePointRow, LiveEvent, LiveStateService } from '../core-api.js';
import { html, type Html } from '../html.js';
import type { FeedItem } from './event-feed.js';
import { state, type DashboardDeps } from '../http/context.js';
import { todayStats } from '../routes/dashboard-routes.js';
import { feedItem, kpis, runningSessions, statusSummary, type TodayStats } from '../views/dashboard-view.js';
import type { ViewCtx } from '../views/layout.js';
import { stationHeaderLive, connectorCards } from '../views/station-detail-view.js';
import { stationRow } from '../views/stations-view.js';
import { transactionLive } from '../views/transaction-detail-view.js';

/** Every open stream of the process (tests end them all to simulate a dropped connection). */
const openStreams = new Set<() => void>();
export function closeAllStreams(): void {
  for (const end of [...openStreams]) end();
}

/** The streams of one dashboard instance, by session: ended when the session ends or the CSMS closes. */
export class StreamRegistry {
  readonly #streams = new Map<() => void, { sessionId: string; username: string }>();
  add(end: () => void, owner: { sessionId: string; username: string }): void {
    this.#streams.set(end, owner);
    openStreams.add(end);
  }
  delete(end: () => void): void {
    this.#streams.delete(end);
    openStreams.delete(end);
  }
  /** Ends the streams of a session (logout) or of every session of a user (removed). */
  closeFor(match: { sessionId?: string; username?: string }): void {
    for (const [end, owner] of [...this.#streams]) {
      if (match.sessionId !== undefined && owner.sessionId === match.sessionId) end();
      else if (match.username !== undefined && owner.username.toLowerCase() === match.username.toLowerCase()) end();
    }
  }
  closeAll(): void {
    for (const end of [...this.#streams.keys()]) end();
  }
}

/** Formats one SSE message: every line of the data gets its own `data:` prefix. */
function sseMessage(event: string, data: string): string {
  return `event: ${event}\n${data.split(/\r?\n/).map((line) => `data: ${line}`).join('\n')}\n\n`;
}

type Renderer = (event: LiveEvent | null) => Promise<Html | null>;

/**
 * `GET /events?view=…`: the live fragments of one page, as htmx out-of-band swaps in SSE messages
 * named `update` (htmx SSE extension). The first message after (re)connecting re-renders everything
 * live on the page, so a dropped connection recovers what it missed.
 */
export function registerLiveStream(app: FastifyInstance, deps: DashboardDeps): void {
  const live = () => deps.svc.live();

  app.get('/events', async (request, reply) => {
    const { view, session } = state(request);
    const viewName = String((request.query as Record<string, unknown>).view ?? 'dashboard');
    const renderer = createRenderer(deps, view, viewName);
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
    });
    let closed = false;
    const write = (chunk: string): Promise<void> =>
      new Promise((resolve) => {
        if (closed) return resolve();
        if (res.write(chunk)) resolve();
        else res.once('drain', () => resolve());
      });
    const send = async (event: LiveEvent | null) => {
      if (closed) return;
      try {
        const fragment = await renderer.render(event);
        if (fragment && fragment.value.trim()) await write(sseMessage('update', fragment.value));
      } catch (err) {
        deps.log.warn({ err, view: viewName }, 'dashboard live fragment failed');
      }
    };

    await send(null);
    const unsubscribe = live().subscribe((event) => send(event), renderer.filter);
    const unfeed = renderer.onFeed ? deps.feed.subscribe((item) => void write(sseMessage('update', renderer.onFeed!(item).value))) : () => undefined;
    // Every 15 s: a comment line keeps proxies from closing the stream, and the session is checked
    // (and kept alive while a page is open: a wall display stays signed in; a session ended
    // elsewhere ends the stream).
    const heartbeat = setInterval(() => {
      void deps.sessions.get(session.id).then(
        (alive) => {
          if (closed) return;
          if (alive) void write(': keep-alive\n\n');
          else end();
        },
        (err: unknown) => deps.log.warn({ err }, 'dashboard session check failed; the stream stays open until the next check'),
      );
    }, 15_000);
    const end = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      unfeed();
      deps.streams.delete(end);
      res.end();
    };
    deps.streams.add(end, { sessionId: session.id, username: session.username });
    request.raw.on('close', end);
    res.on('error', end);
  });
}

interface StreamRenderer {
  filter?: { chargePointId?: string };
  render: Renderer;
  onFeed?: (item: FeedItem) => Html;
}

function createRenderer(deps: DashboardDeps, view: ViewCtx, name: string): StreamRenderer {
  const live = () => deps.svc.live();
  if (name === 'dashboard') {
    let today: TodayStats = { sessions: 0, energyWh: 0, revenueIdr: 0 };
    let todayAt = 0;
    const refreshToday = async (force: boolean) => {
      if (force || Date.now() - todayAt > 5_000) {
        today = await todayStats(deps);
        todayAt = Date.now();
      }
    };
    return {
      onFeed: (item) => html`<ul hx-swap-oob="afterbegin:#feed-list">${feedItem(view, item)}</ul>`,
      render: async (event) => {
        const snapshot = live().snapshot();
        const endedSession = event?.type === 'connector' && !event.connector.session && event.connector.lastSession !== null;
        await refreshToday(event === null || endedSession || (event.type === 'connector' && event.connector.session !== null && Date.now() - todayAt > 5_000));
        const parts: Html[] = [kpis(view, snapshot.site, snapshot.at, today, true)];
        if (!event || event.type !== 'site') parts.push(statusSummary(view, snapshot, true), runningSessions(view, snapshot, true));
        return html`${parts}`;
      },
    };
  }
  if (name === 'stations') {
    // Stored fields (security profile, description) do not change with live events: read once per
    // (re)connection, and again for a charge point the stream has not seen yet.
    let stored = new Map<string, ChargePointRow>();
    let shown = new Set<string>();
    return {
      render: async (event) => {
        if (event?.type === 'site') return null;
        const id = event === null ? null : event.type === 'chargePoint' ? event.chargePoint.id : event.connector.chargePointId;
        if (event === null) {
          stored = new Map((await deps.svc.queries().chargePoints()).map((r) => [r.id, r] as const));
          shown = new Set(live().snapshot().chargePoints.map((c) => c.id));
        }
        else if (id !== null && !stored.has(id)) {
          const row = await deps.svc.queries().chargePoint(id);
          if (row) stored.set(id, row);
        }
        const cps = id === null ? live().snapshot().chargePoints : [live().chargePoint(id)].filter((c) => c !== undefined);
        return html`${cps.map((cp) => {
          if (shown.has(cp.id)) return stationRow(view, cp, stored.get(cp.id) ?? null, true);
          shown.add(cp.id); // a charge point the page has no row for yet: append one
          return html`<tbody hx-swap-oob="beforeend:#stations-body">${stationRow(view, cp, stored.get(cp.id) ?? null)}</tbody>`;
        })}`;
      },
    };
  }
  if (name.startsWith('station:')) {
    const id = name.slice('station:'.length);
    return {
      filter: { chargePointId: id },
      render: async () => {
        const cp = live().chargePoint(id);
        if (!cp) return null;
        return html`${stationHeaderLive(view, cp, true)}${connectorCards(view, cp, true)}`;
      },
    };
  }
  if (name.startsWith('tx:')) {
    const [, cpId = '', connector = '', tx = ''] = name.split(':');
    const transactionId = Number(tx);
    return {
      filter: { chargePointId: cpId },
      render: async (event) => {
        if (event && event.type !== 'connector') return null;
        const c = live().connector(cpId, Number(connector));
        return transactionLive(view, transactionId, c ?? null, true);
      },
    };
  }
  return { render: async () => null };
}

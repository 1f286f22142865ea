import { CsmsError, CsmsErrorCode, definePlugin, type CsmsPlugin } from '@charge-it/core';

export interface EnergyBudgetOptions {
  /** Energy each card may charge per window, kWh (> 0). */
  budgetKwh: number;
  /** Length of the rolling window, days (1–366; default 30). */
  windowDays?: number;
  /** Log a warning when a finished session leaves a card at or above this share of its budget (1–100; default 80). */
  warnAtPercent?: number;
  /** Cards with no budget (e.g. the operator's service card). */
  exempt?: readonly string[];
}

/** How much of its budget a card has used in the current window. */
export interface BudgetUsage {
  idTag: string;
  budgetWh: number;
  usedWh: number;
  remainingWh: number;
  /** Start of the window (ISO-8601). */
  since: string;
  exempt: boolean;
}

/** What the plugin offers the application and other plugins: `services.get('energyBudget')`. */
export interface EnergyBudgetService {
  usage(idTag: string): Promise<BudgetUsage>;
}

// Declaration merging: wherever this package is imported, `services.get('energyBudget')` and
// `ctx.provide('energyBudget', ...)` are typed.
declare module '@charge-it/core' {
  interface CsmsServices {
    energyBudget: EnergyBudgetService;
  }
}

const DAY_MS = 86_400_000;

/** Bad options fail when the plugin is created, naming the option and what to change. */
function checkOptions(options: EnergyBudgetOptions): Required<Omit<EnergyBudgetOptions, 'exempt'>> & { exempt: Set<string> } {
  const problems: string[] = [];
  const { budgetKwh, windowDays = 30, warnAtPercent = 80, exempt = [] } = options ?? ({} as EnergyBudgetOptions);
  if (typeof budgetKwh !== 'number' || !Number.isFinite(budgetKwh) || budgetKwh <= 0) problems.push(`budgetKwh must be a number of kWh above 0; got ${JSON.stringify(budgetKwh)}`);
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 366) problems.push(`windowDays must be a whole number of days from 1 to 366; got ${JSON.stringify(windowDays)}`);
  if (typeof warnAtPercent !== 'number' || warnAtPercent < 1 || warnAtPercent > 100) problems.push(`warnAtPercent must be from 1 to 100; got ${JSON.stringify(warnAtPercent)}`);
  if (!Array.isArray(exempt) || exempt.some((t) => typeof t !== 'string')) problems.push('exempt must be a list of idTags');
  if (problems.length) {
    throw new CsmsError(CsmsErrorCode.CONFIG_INVALID, `energyBudget options: ${problems.join('; ')}`, { details: { problems } });
  }
  return { budgetKwh, windowDays, warnAtPercent, exempt: new Set<string>(exempt) };
}

/**
 * The plugin factory: `createCsms({ plugins: [energyBudget({ budgetKwh: 200 })] })`.
 * It keeps no state of its own: the usage is read from the core's transactions (the `queries`
 * read model) each time, so it is right after a restart and on every instance.
 */
export function energyBudget(options: EnergyBudgetOptions): CsmsPlugin {
  const opts = checkOptions(options);
  const budgetWh = Math.round(opts.budgetKwh * 1000);

  return definePlugin({
    name: 'energy-budget',
    async setup(ctx) {
      const queries = ctx.services.get('queries');
      const clock = ctx.services.get('clock');

      async function usage(idTag: string): Promise<BudgetUsage> {
        const since = new Date(clock.now().getTime() - opts.windowDays * DAY_MS);
        let usedWh = 0;
        for (let offset = 0; ; ) {
          const page = await queries.transactions({ idTag, from: since, status: 'Completed', limit: 1000, offset });
          for (const t of page.items) usedWh += t.energyWh ?? 0;
          offset += page.items.length;
          if (page.items.length === 0 || offset >= page.total) break;
        }
        const exempt = opts.exempt.has(idTag);
        return { idTag, budgetWh, usedWh, remainingWh: exempt ? budgetWh : Math.max(0, budgetWh - usedWh), since: since.toISOString(), exempt };
      }

      const service: EnergyBudgetService = { usage };
      ctx.provide('energyBudget', service);

      // A decide hook: answer only to refuse; `undefined` = no decision, so the card table decides
      // as usual (unknown and blocked cards stay refused). A StopTransaction is never refused: the
      // energy has been delivered, and a refused stop would only make the charger retry.
      ctx.on('onAuthorize', async ({ idTag, reason }) => {
        if (reason === 'StopTransaction' || opts.exempt.has(idTag)) return undefined;
        const u = await usage(idTag);
        if (u.remainingWh > 0) return undefined;
        ctx.log.info({ idTag, usedWh: u.usedWh, budgetWh }, `energy budget: ${idTag} refused, budget used up`);
        return { status: 'Blocked' };
      });

      // An observe hook: runs after the commit, off the charger's path; a throw here is only logged.
      ctx.on('onTransactionStopped', async ({ transaction }) => {
        if (opts.exempt.has(transaction.idTag)) return;
        const u = await usage(transaction.idTag);
        if (u.usedWh * 100 >= budgetWh * opts.warnAtPercent) {
          ctx.log.warn({ idTag: u.idTag, usedWh: u.usedWh, budgetWh }, `energy budget: ${u.idTag} has used ${Math.round((u.usedWh * 100) / budgetWh)} % of its budget`);
        }
      });

      // A route inside REST API v1: GET /api/v1/energy-budget/:idTag, with the API's keys and roles,
      // its error shape, and listed in /api/v1/openapi.json.
      ctx.apiRoutes(
        async (app) => {
          app.get<{ Params: { idTag: string } }>(
            '/:idTag',
            {
              config: { apiRole: 'viewer' },
              schema: {
                params: { type: 'object', properties: { idTag: { type: 'string', minLength: 1, maxLength: 20 } }, required: ['idTag'] },
              },
            },
            async (request) => usage(request.params.idTag),
          );
        },
        { prefix: '/energy-budget' },
      );
    },
  });
}

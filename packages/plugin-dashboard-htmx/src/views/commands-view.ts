import { html, type Html } from '../html.js';
import type { CommandSpec } from '../routes/station-commands.js';
import { COMMANDS } from '../routes/station-commands.js';
import { csrfField, type ViewCtx } from './layout.js';
import { fieldError } from './stations-view.js';

export interface CommandChoices {
  connectors: number[];
  transactions: { id: number; label: string }[];
  reservations: { id: number; label: string }[];
}

export interface CommandOutcome {
  ok: boolean;
  /** Accepted, Rejected, … or the error code. */
  status: string;
  message: string;
  response?: unknown;
  at: string;
}

export function commandResult(ctx: ViewCtx, outcome: CommandOutcome): Html {
  const t = ctx.fmt.t;
  const cls = outcome.ok ? (/^(Accepted|Unlocked|Scheduled|UpToDate|Sent|ok)$/i.test(outcome.status) ? 'ok' : 'warn') : 'bad';
  return html`<div class="result-box ${cls}" role="status" data-status="${outcome.status}"><strong>${t(outcome.status)}</strong> · ${ctx.fmt.time(outcome.at)} · ${outcome.message}
${outcome.response !== undefined ? html`<pre>${JSON.stringify(outcome.response, null, 2)}</pre>` : null}</div>`;
}

export function commandForm(ctx: ViewCtx, chargePointId: string, spec: CommandSpec, choices: CommandChoices, state: { values?: Record<string, string>; errors?: Record<string, string>; outcome?: CommandOutcome } = {}): Html {
  const t = ctx.fmt.t;
  const values = state.values ?? {};
  const errors = state.errors ?? {};
  const url = `${ctx.prefix}/stations/${encodeURIComponent(chargePointId)}/commands/${spec.key}`;
  return html`<form class="cmd" id="cmd-${spec.key}" method="post" action="${url}" hx-post="${url}" hx-target="this" hx-swap="outerHTML" hx-disabled-elt="find button"${spec.danger ? html` hx-confirm="${t('Send {action} to {id}?', { action: t(spec.label), id: chargePointId })}"` : null}>
  ${csrfField(ctx)}
  <h3>${t(spec.label)} <span class="muted small mono">${spec.action}</span></h3>
  <p>${t(spec.description)}</p>
  ${spec.fields.length ? html`<div class="row">${spec.fields.map((f) => {
    const v = values[f.name] ?? '';
    const invalid = errors[f.name] ? ' invalid' : '';
    let input: Html;
    switch (f.kind) {
      case 'connector':
      case 'connector0': {
        const list = f.kind === 'connector0' ? [0, ...choices.connectors] : choices.connectors;
        input = html`<select name="${f.name}">${!f.required ? html`<option value="">—</option>` : null}${list.map((n) => html`<option value="${n}"${String(n) === v ? html` selected` : null}>${n === 0 ? t('0 · whole charge point') : `#${n}`}</option>`)}</select>`;
        break;
      }
      case 'transaction':
        input = choices.transactions.length
          ? html`<select name="${f.name}">${choices.transactions.map((c) => html`<option value="${c.id}"${String(c.id) === v ? html` selected` : null}>${c.label}</option>`)}</select>`
          : html`<input type="number" name="${f.name}" value="${v}" placeholder="${t('transaction id')}" min="0">`;
        break;
      case 'reservation':
        input = choices.reservations.length
          ? html`<select name="${f.name}">${choices.reservations.map((c) => html`<option value="${c.id}"${String(c.id) === v ? html` selected` : null}>${c.label}</option>`)}</select>`
          : html`<input type="number" name="${f.name}" value="${v}" placeholder="${t('reservation id')}" min="1">`;
        break;
      case 'select':
        input = html`<select name="${f.name}">${!f.required ? html`<option value="">—</option>` : null}${(f.options ?? []).map((o) => html`<option value="${o}"${o === v ? html` selected` : null}>${t(o)}</option>`)}</select>`;
        break;
      case 'checkbox':
        return html`<label class="check"><input type="checkbox" name="${f.name}"${v === 'on' ? html` checked` : null}> ${t(f.label)}</label>`;
      case 'datetime':
        input = html`<input type="datetime-local" name="${f.name}" value="${v}">`;
        break;
      case 'number':
        input = html`<input type="number" name="${f.name}" value="${v}" placeholder="${f.placeholder ?? ''}" min="1">`;
        break;
      default:
        input = html`<input type="text" name="${f.name}" value="${v}" placeholder="${f.placeholder ?? ''}" maxlength="512">`;
    }
    return html`<label class="field${invalid}"><span>${t(f.label)}</span>${input}${fieldError(errors, f.name)}${f.hint ? html`<small class="hint">${t(f.hint)}</small>` : null}</label>`;
  })}</div>` : null}
  ${errors._form ? html`<div class="result-box bad">${errors._form}</div>` : null}
  <div class="form-actions"><button class="btn${spec.danger ? ' btn-danger' : ''}" type="submit">${t('Send')}</button><span class="spinner htmx-indicator"></span></div>
  ${state.outcome ? commandResult(ctx, state.outcome) : null}
</form>`;
}

export function commandsPanel(ctx: ViewCtx, chargePointId: string, choices: CommandChoices): Html {
  return html`<div class="cmd-grid">${COMMANDS.map((spec) => commandForm(ctx, chargePointId, spec, choices))}</div>`;
}

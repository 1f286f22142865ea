/**
 * Escaping tagged templates: every interpolated value is HTML-escaped unless it is an `Html`
 * (the result of another `html` template or of `raw`). Arrays are joined; null/undefined/false
 * render as nothing. This is the only way views produce markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup (icons, pre-rendered SVG from our own code). Never pass user data. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A DOM id that is safe for any charge point id: `prefix-<hex of the UTF-8 bytes>`. */
export function domId(prefix: string, ...parts: (string | number)[]): string {
  return `${prefix}-${parts.map((p) => Buffer.from(String(p), 'utf8').toString('hex')).join('-')}`;
}

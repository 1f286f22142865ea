import { locale, type Lang } from './i18n.js';

export function fmtPower(w: number | null | undefined, lang: Lang): { value: string; unit: string } {
  if (w === null || w === undefined) return { value: '–', unit: 'kW' };
  return { value: new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(w / 1000), unit: 'kW' };
}

export function fmtEnergy(wh: number | null | undefined, lang: Lang): { value: string; unit: string } {
  if (wh === null || wh === undefined) return { value: '–', unit: 'kWh' };
  return { value: new Intl.NumberFormat(locale(lang), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(wh / 1000), unit: 'kWh' };
}

export function fmtCost(idr: number | null | undefined, lang: Lang): string {
  if (idr === null || idr === undefined) return '–';
  return 'Rp\u00a0' + new Intl.NumberFormat(locale(lang), { maximumFractionDigits: 0 }).format(Math.round(idr));
}

/** 0:05:07 style (hours not padded), never negative. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}`;
}

export function fmtTime(iso: string | null | undefined, lang: Lang): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  return new Intl.DateTimeFormat(locale(lang), { hour: '2-digit', minute: '2-digit' }).format(d);
}

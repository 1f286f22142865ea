import { pickLang, saveLang, texts, type Lang, type Texts } from './i18n.js';

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

/** Sets up the language switch; `render` is called now and on every switch. */
export function setupLanguage(render: (t: Texts, lang: Lang) => void): { lang(): Lang } {
  let lang = pickLang();
  const button = $('lang') as HTMLButtonElement;
  const apply = () => {
    const t = texts(lang);
    document.documentElement.lang = lang;
    button.textContent = lang === 'id' ? 'EN' : 'ID';
    button.setAttribute('aria-label', t.language);
    button.title = t.language;
    for (const el of document.querySelectorAll<HTMLElement>('[data-t]')) {
      const v = t[el.dataset.t as keyof Texts];
      if (typeof v === 'string') el.textContent = v;
    }
    render(t, lang);
  };
  button.addEventListener('click', () => {
    lang = lang === 'id' ? 'en' : 'id';
    saveLang(lang);
    apply();
  });
  apply();
  return { lang: () => lang };
}

export function statusClass(status: string | null | undefined, online = true): string {
  if (!online) return 'status-offline';
  switch (status) {
    case 'Charging':
      return 'status-charging';
    case 'Available':
      return 'status-available';
    case 'Preparing':
    case 'SuspendedEV':
    case 'SuspendedEVSE':
    case 'Finishing':
    case 'Reserved':
      return 'status-wait';
    case 'Faulted':
    case 'Unavailable':
      return 'status-fault';
    default:
      return 'status-unknown';
  }
}

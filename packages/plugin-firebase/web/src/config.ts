/** The page's config.json (served by the plugin at /driver/config.json, or written for Firebase Hosting). */
export interface PageConfig {
  version: 1;
  root: string;
  firebase: { databaseURL: string; apiKey?: string; projectId?: string; appId?: string; authDomain?: string; emulatorHost?: string } | null;
  lan: string | null;
  baseUrl: string | null;
}

export async function loadConfig(): Promise<PageConfig> {
  try {
    const res = await fetch('./config.json', { cache: 'no-cache' });
    if (res.ok) {
      const c = (await res.json()) as Partial<PageConfig>;
      return { version: 1, root: c.root || 'v1', firebase: c.firebase ?? null, lan: c.lan ?? null, baseUrl: c.baseUrl ?? null };
    }
  } catch {
    /* no config: LAN view next to the page */
  }
  return { version: 1, root: 'v1', firebase: null, lan: '../public/v1', baseUrl: null };
}

/** Bahasa Indonesia and English; the phone's language decides, the switch overrides (remembered). */
export type Lang = 'id' | 'en';

const en = {
  title: 'Charging session',
  station: 'Station',
  connector: 'Connector',
  power: 'Power',
  energy: 'Energy',
  duration: 'Duration',
  cost: 'Cost so far',
  battery: 'Battery',
  card: 'Card',
  started: 'Started',
  updated: 'Updated',
  ago: 'ago',
  justNow: 'just now',
  viaFirebase: 'live via internet',
  viaLan: 'live via station network',
  connecting: 'Connecting…',
  offline: 'No connection. Retrying…',
  notFound: 'This connector is not known. Check the code on the station.',
  unavailable: 'The live view is not set up on this station yet. Please ask the operator.',
  idleHint: 'Plug in your car and tap your card to start charging.',
  doneHint: 'Charging has finished. You can unplug the cable.',
  lastSession: 'Last session',
  ended: 'Ended',
  total: 'Total cost',
  stationOffline: 'The station is offline. Values may be old.',
  language: 'Bahasa Indonesia',
  stationTitle: 'Charging station',
  scanHint: 'Scan to watch your charging session live',
  openLive: 'Open live view',
  print: 'Print QR codes',
  enterStation: 'Station ID',
  go: 'Open',
  noConnectors: 'No connectors known for this station yet.',
  status: {
    Available: 'Available',
    Preparing: 'Preparing',
    Charging: 'Charging',
    SuspendedEV: 'Paused by car',
    SuspendedEVSE: 'Paused by station',
    Finishing: 'Finishing',
    Reserved: 'Reserved',
    Unavailable: 'Unavailable',
    Faulted: 'Fault',
    unknown: 'Unknown',
  } as Record<string, string>,
};

const id: typeof en = {
  title: 'Sesi pengisian',
  station: 'Stasiun',
  connector: 'Konektor',
  power: 'Daya',
  energy: 'Energi',
  duration: 'Durasi',
  cost: 'Biaya sejauh ini',
  battery: 'Baterai',
  card: 'Kartu',
  started: 'Mulai',
  updated: 'Diperbarui',
  ago: 'lalu',
  justNow: 'baru saja',
  viaFirebase: 'langsung via internet',
  viaLan: 'langsung via jaringan stasiun',
  connecting: 'Menghubungkan…',
  offline: 'Tidak ada koneksi. Mencoba lagi…',
  notFound: 'Konektor ini tidak dikenal. Periksa kode di stasiun.',
  unavailable: 'Tampilan langsung belum disiapkan di stasiun ini. Silakan hubungi pengelola.',
  idleHint: 'Colokkan kendaraan dan tempelkan kartu Anda untuk mulai mengisi.',
  doneHint: 'Pengisian sudah selesai. Kabel boleh dicabut.',
  lastSession: 'Sesi terakhir',
  ended: 'Selesai',
  total: 'Total biaya',
  stationOffline: 'Stasiun sedang luring. Nilai mungkin sudah lama.',
  language: 'English',
  stationTitle: 'Stasiun pengisian',
  scanHint: 'Pindai untuk memantau pengisian Anda secara langsung',
  openLive: 'Buka tampilan langsung',
  print: 'Cetak kode QR',
  enterStation: 'ID stasiun',
  go: 'Buka',
  noConnectors: 'Belum ada konektor yang dikenal untuk stasiun ini.',
  status: {
    Available: 'Tersedia',
    Preparing: 'Bersiap',
    Charging: 'Mengisi daya',
    SuspendedEV: 'Dijeda oleh mobil',
    SuspendedEVSE: 'Dijeda oleh stasiun',
    Finishing: 'Menyelesaikan',
    Reserved: 'Dipesan',
    Unavailable: 'Tidak tersedia',
    Faulted: 'Gangguan',
    unknown: 'Tidak diketahui',
  },
};

export type Texts = typeof en;
const dictionaries: Record<Lang, Texts> = { en, id };

export function pickLang(): Lang {
  const url = new URLSearchParams(location.search).get('lang');
  if (url === 'id' || url === 'en') return url;
  try {
    const saved = localStorage.getItem('charge-it.lang');
    if (saved === 'id' || saved === 'en') return saved;
  } catch {
    /* private mode */
  }
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'id' || base === 'in' || base === 'ms') return 'id';
    if (base === 'en') return 'en';
  }
  return 'id';
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem('charge-it.lang', lang);
  } catch {
    /* private mode */
  }
}

export function texts(lang: Lang): Texts {
  return dictionaries[lang];
}

export function locale(lang: Lang): string {
  return lang === 'id' ? 'id-ID' : 'en-GB';
}

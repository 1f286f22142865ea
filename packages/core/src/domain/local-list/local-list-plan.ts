import type { IdTagInfo } from '../../ocpp/v16/messages.js';
import type { AuthorizationData } from '../../ocpp/v16/central-system-messages.js';

/** What a charge point's local list holds (or should hold): idTag → idTagInfo. */
export type LocalListEntries = Record<string, IdTagInfo>;

/** The IdTag table fields the local list is built from. */
export interface LocalListTag {
  idTag: string;
  status: IdTagInfo['status'];
  parentIdTag?: string | null;
  expiryDate?: Date | null;
}

/** One SendLocalList call of a plan. */
export interface LocalListMessage {
  updateType: 'Full' | 'Differential';
  listVersion: number;
  localAuthorizationList: AuthorizationData[];
  /** What the charge point holds once this message is Accepted. */
  entriesAfter: LocalListEntries;
}

export interface LocalListPlan {
  messages: LocalListMessage[];
  /** Tags left out because the list is longer than the charge point's LocalAuthListMaxLength. */
  truncated: number;
  /** Entries sent over all messages. */
  entriesSent: number;
}

/**
 * The idTagInfo of each tag, as the charge point should hold it. Same rule as the Authorize answer
 * (AuthorizationService.lookup): an Accepted tag past its expiry date is sent as Expired, so the
 * list and online authorisation agree.
 */
export function desiredEntries(tags: readonly LocalListTag[], now: Date): LocalListEntries {
  const entries: LocalListEntries = {};
  for (const tag of tags) {
    const info: IdTagInfo = { status: tag.status };
    if (tag.expiryDate) {
      info.expiryDate = tag.expiryDate.toISOString();
      if (tag.status === 'Accepted' && tag.expiryDate.getTime() <= now.getTime()) info.status = 'Expired';
    }
    if (tag.parentIdTag) info.parentIdTag = tag.parentIdTag;
    entries[tag.idTag] = info;
  }
  return entries;
}

/**
 * Keeps at most `max` entries: Accepted tags first (they are what offline charging needs), then the
 * others (blocked/expired/invalid: an explicit "no" offline), each group in idTag order so the
 * choice is stable from one sync to the next.
 */
export function limitEntries(entries: LocalListEntries, max: number | null): { entries: LocalListEntries; truncated: number } {
  const ids = Object.keys(entries);
  if (max === null || ids.length <= max) return { entries, truncated: 0 };
  const rank = (id: string) => (entries[id]!.status === 'Accepted' ? 0 : 1);
  const kept = ids.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)).slice(0, Math.max(0, max));
  return { entries: Object.fromEntries(kept.map((id) => [id, entries[id]!])), truncated: ids.length - kept.length };
}

function sameInfo(a: IdTagInfo | undefined, b: IdTagInfo | undefined): boolean {
  if (!a || !b) return a === b;
  return a.status === b.status && (a.expiryDate ?? null) === (b.expiryDate ?? null) && (a.parentIdTag ?? null) === (b.parentIdTag ?? null);
}

/** Differential changes from `held` to `wanted`: added/changed tags with idTagInfo, removed ones without (S16 §5.15). */
export function diffEntries(held: LocalListEntries, wanted: LocalListEntries): AuthorizationData[] {
  const changes: AuthorizationData[] = [];
  for (const [idTag, info] of Object.entries(wanted)) {
    if (!sameInfo(held[idTag], info)) changes.push({ idTag, idTagInfo: info });
  }
  for (const idTag of Object.keys(held)) {
    if (!(idTag in wanted)) changes.push({ idTag });
  }
  return changes.sort((a, b) => (a.idTag < b.idTag ? -1 : a.idTag > b.idTag ? 1 : 0));
}

function apply(entries: LocalListEntries, changes: readonly AuthorizationData[]): LocalListEntries {
  const next = { ...entries };
  for (const change of changes) {
    if (change.idTagInfo) next[change.idTag] = change.idTagInfo;
    else delete next[change.idTag];
  }
  return next;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The SendLocalList calls that bring a charge point from `held` to `wanted`.
 *
 * - Full: replaces the list. When it is longer than `chunkSize` (SendLocalListMaxLength), the first
 *   chunk goes as Full and the rest as Differential updates, one version each.
 * - Differential: only the changes (removals carry no idTagInfo), also chunked.
 * Versions start at `fromVersion + 1` and go up by one per message; a Differential plan with no
 * change is empty (nothing to send).
 */
export function planLocalListUpdate(input: {
  updateType: 'Full' | 'Differential';
  held: LocalListEntries;
  wanted: LocalListEntries;
  fromVersion: number;
  chunkSize: number;
  maxEntries: number | null;
}): LocalListPlan {
  const chunkSize = Math.max(1, Math.floor(input.chunkSize));
  const { entries: wanted, truncated } = limitEntries(input.wanted, input.maxEntries);
  const messages: LocalListMessage[] = [];
  let version = input.fromVersion;
  let entries: LocalListEntries;
  let pending: AuthorizationData[];

  if (input.updateType === 'Full') {
    const all = Object.keys(wanted)
      .sort()
      .map((idTag) => ({ idTag, idTagInfo: wanted[idTag]! }));
    const first = all.slice(0, chunkSize);
    entries = apply({}, first);
    messages.push({ updateType: 'Full', listVersion: ++version, localAuthorizationList: first, entriesAfter: entries });
    pending = all.slice(chunkSize);
  } else {
    entries = input.held;
    pending = diffEntries(input.held, wanted);
  }
  for (const part of chunks(pending, chunkSize)) {
    entries = apply(entries, part);
    messages.push({ updateType: 'Differential', listVersion: ++version, localAuthorizationList: part, entriesAfter: entries });
  }
  return { messages, truncated, entriesSent: messages.reduce((n, m) => n + m.localAuthorizationList.length, 0) };
}

/** OCPP 1.6 IdToken is CiString20. */
const MAX_ID_TAG_LENGTH = 20;
const SEPARATORS = /[\s:.\-]/g;

/**
 * Turns what a reader produced into an idTag, or null when it cannot be one. USB HID readers
 * "type" the UID in many styles ("04:a2:3b:1c", "04 A2 3B 1C", "04a23b1c"); all become "04A23B1C",
 * so the same card is the same idTag whatever reader saw it. Non-hex tokens (e.g. a typed
 * membership number with letters) are kept, trimmed and without separators, in upper case:
 * idTags are case-insensitive in OCPP.
 */
export function normalizeUid(raw: string): string | null {
  const compact = raw.replace(SEPARATORS, '').toUpperCase();
  if (compact.length === 0 || compact.length > MAX_ID_TAG_LENGTH) return null;
  // Control characters or non-ASCII are keyboard-layout noise, not an id.
  if (!/^[\x21-\x7E]+$/.test(compact)) return null;
  return compact;
}

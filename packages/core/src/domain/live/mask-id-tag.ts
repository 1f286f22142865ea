const DOT = '\u2022';

/**
 * Masks an idTag for public display: 'DEMO-123' → 'DEMO••23'. Tags of 8 characters or more keep
 * their first 4 and last 2 characters; 5 to 7 keep the first and the last; shorter ones are all dots.
 */
export function maskIdTag(idTag: string): string {
  const chars = [...idTag];
  const n = chars.length;
  if (n >= 8) return chars.slice(0, 4).join('') + DOT.repeat(n - 6) + chars.slice(n - 2).join('');
  if (n >= 5) return chars[0] + DOT.repeat(n - 2) + chars[n - 1];
  return DOT.repeat(n);
}

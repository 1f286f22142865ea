/**
 * How a card's UID becomes an idTag. The default is the UID in upper-case hex, in the order the
 * card sends it ("04A23B1C"), which is what most central systems and printed card lists use. Some
 * back ends expect the bytes reversed (little-endian readers), the UID as a decimal number (often
 * the 10-digit number printed on 4-byte cards: reversed, decimal, 10 digits), or a prefix.
 */
export interface IdTagFormat {
  /** 'as-read' (default) or 'reversed' byte order. */
  byteOrder?: 'as-read' | 'reversed';
  /** 'hex' (default, upper case) or 'decimal' (the bytes as one unsigned big-endian number). */
  encoding?: 'hex' | 'decimal';
  /** Decimal only: pad with leading zeros to at least this many digits (e.g. 10). */
  minDigits?: number;
  /** Put in front of the idTag, e.g. "PN-". */
  prefix?: string;
}

/** Shorthands for edge.json: "hex", "hex-reversed", "decimal", "decimal-reversed". */
export type IdTagFormatOption = IdTagFormat | 'hex' | 'hex-reversed' | 'decimal' | 'decimal-reversed';

/** OCPP 1.6 IdToken is CiString20. */
export const MAX_ID_TAG_LENGTH = 20;

/** Checks a format option; throws an Error naming what is wrong. */
export function resolveIdTagFormat(option: IdTagFormatOption | undefined): Required<Omit<IdTagFormat, 'minDigits'>> & { minDigits: number } {
  const shorthand: Record<string, IdTagFormat> = {
    hex: {},
    'hex-reversed': { byteOrder: 'reversed' },
    decimal: { encoding: 'decimal' },
    'decimal-reversed': { encoding: 'decimal', byteOrder: 'reversed' },
  };
  let f: IdTagFormat;
  if (option === undefined) f = {};
  else if (typeof option === 'string') {
    const s = shorthand[option];
    if (!s) throw new Error(`idTagFormat "${option}" is unknown; use "hex", "hex-reversed", "decimal", "decimal-reversed" or { byteOrder, encoding, minDigits, prefix }`);
    f = s;
  } else if (typeof option === 'object' && option !== null) f = option;
  else throw new Error('idTagFormat must be a string or an object { byteOrder, encoding, minDigits, prefix }');
  const byteOrder = f.byteOrder ?? 'as-read';
  const encoding = f.encoding ?? 'hex';
  const prefix = f.prefix ?? '';
  const minDigits = f.minDigits ?? 0;
  if (byteOrder !== 'as-read' && byteOrder !== 'reversed') throw new Error(`idTagFormat.byteOrder must be "as-read" or "reversed", got ${JSON.stringify(byteOrder)}`);
  if (encoding !== 'hex' && encoding !== 'decimal') throw new Error(`idTagFormat.encoding must be "hex" or "decimal", got ${JSON.stringify(encoding)}`);
  if (typeof prefix !== 'string' || !/^[\x21-\x7E]*$/.test(prefix) || prefix.length > 12) {
    throw new Error('idTagFormat.prefix must be at most 12 printable ASCII characters without spaces (an idTag has at most 20)');
  }
  if (!Number.isInteger(minDigits) || minDigits < 0 || minDigits > MAX_ID_TAG_LENGTH) throw new Error(`idTagFormat.minDigits must be a whole number 0-${MAX_ID_TAG_LENGTH}`);
  if (minDigits > 0 && encoding !== 'decimal') throw new Error('idTagFormat.minDigits applies to encoding "decimal" only');
  return { byteOrder, encoding, prefix, minDigits };
}

/** The idTag of a UID in the given format. May be longer than 20 characters: the caller checks. */
export function formatIdTag(uid: Uint8Array, format: ReturnType<typeof resolveIdTagFormat>): string {
  const bytes = Buffer.from(uid);
  if (format.byteOrder === 'reversed') bytes.reverse();
  const body =
    format.encoding === 'hex'
      ? bytes.toString('hex').toUpperCase()
      : (bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`)).toString(10).padStart(format.minDigits, '0');
  return `${format.prefix}${body}`;
}

// The field syntax of HTTP/1.1 responses (RFC 9110 section 5, RFC 9112
// section 5): values, repeated fields, Content-Length, and how bytes from the
// wire are quoted in error messages. The parser's state machine uses these.
import { ParseError } from './parse-error.js';

/** Lower-cased names; repeated fields joined with ", ", set-cookie with "\n". */
export function joinFields(fields: Array<[string, string]>): Record<string, string> {
  const joined = new Map<string, string>();
  for (const [name, value] of fields) {
    const previous = joined.get(name);
    if (previous === undefined) joined.set(name, value);
    else joined.set(name, `${previous}${name === 'set-cookie' ? '\n' : ', '}${value}`);
  }
  // fromEntries defines own properties, so a "__proto__" header stays a header.
  return Object.fromEntries(joined);
}

export function parseContentLength(text: string): number {
  // Repeated Content-Length fields (joined by ", ") are fine if they agree.
  const values = text.split(',').map((v) => v.trim());
  const first = values[0] ?? '';
  if (!/^\d{1,15}$/.test(first) || values.some((v) => v !== first)) {
    throw new ParseError('malformed', `invalid Content-Length: ${quote(text)}`);
  }
  return Number(first);
}

export function trimOws(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

export function checkText(text: string, where: string): void {
  // Field values may hold obs-text (0x80-0xFF) but no control characters besides HTAB.
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
    throw new ParseError('malformed', `control character in ${where}: ${quote(text)}`);
  }
}

/** A short, printable rendering of bytes from the wire for error messages. */
export function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return JSON.stringify(shown);
}

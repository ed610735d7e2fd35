// An incremental HTTP/1.1 response parser. Bytes go in through feed() in
// whatever pieces the socket delivers (one byte at a time works), end() says
// the peer closed, and `result` holds the response once `done` is true.
//
// It reads one response per connection: interim 1xx responses are skipped,
// the body is framed by Transfer-Encoding: chunked, Content-Length, or the
// close of the connection (RFC 9112 section 6.3), and bytes after a complete
// response are counted but otherwise ignored (we always send Connection: close).
//
// The parser keeps references to the chunks it is fed until the response is
// complete, so callers must not reuse those buffers.
import type { HttpResponse } from '../../model/http.js';
import { DEFAULT_MAX_RESPONSE_BYTES, formatSize } from '../transport/options.js';
import { TOKEN } from '../transport/request.js';
import { ParseError } from './parse-error.js';
import { checkText, joinFields, parseContentLength, quote, trimOws } from './fields.js';

/** Upper bound for a header section (status line + fields), and for the trailer section. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Upper bound for one chunk-size line, extensions included. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
/** Empty lines tolerated before a status line (some servers send a stray CRLF). */
const MAX_LEADING_EMPTY_LINES = 4;

export { ParseError } from './parse-error.js';
export type { ParseErrorCode } from './parse-error.js';

export interface ResponseParserOptions {
  /** The request's method: HEAD responses have no body whatever their headers say. */
  method: string;
  /** Defaults to MAX_HEADER_BYTES. */
  maxHeaderBytes?: number;
  /**
   * Largest body accepted (after de-chunking); defaults to
   * DEFAULT_MAX_RESPONSE_BYTES. A larger Content-Length fails at the header
   * section, any other body at the byte that passes the bound.
   */
  maxBodyBytes?: number;
}

type State =
  | 'status'
  | 'headers'
  | 'body-length'
  | 'body-close'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end'
  | 'trailers'
  | 'done';

const STATUS_LINE = /^HTTP\/(\d)\.(\d) (\d{3})(?:[ \t](.*))?$/;
/** Hex digits after leading zeros; 13 of them stay below 2^53. */
const CHUNK_SIZE = /^0*([0-9A-Fa-f]{1,13})$/;
const NEWLINE = 0x0a;

export class ResponseParser {
  private readonly method: string;
  private readonly maxHeaderBytes: number;
  private readonly maxBodyBytes: number;
  private state: State = 'status';
  private failure?: ParseError;

  /** Pieces of the current line when a line spans several chunks. */
  private lineParts: Buffer[] = [];
  private lineBytes = 0;
  /** Bytes of header sections so far (interim responses included), or of the trailer section. */
  private sectionBytes = 0;
  private leadingEmptyLines = 0;

  private status = 0;
  private reason = '';
  private version = '';
  private fields: Array<[string, string]> = [];
  private headers: Record<string, string> = {};
  private trailerFields: Array<[string, string]> = [];

  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  /** Bytes still expected for a Content-Length body or the current chunk. */
  private remaining = 0;
  private expectedLength = 0;
  private declared?: number;

  private response?: HttpResponse;

  /** Every byte fed so far, including any after the response. */
  bytesReceived = 0;
  /** Bytes that arrived after the response was complete (ignored). */
  extraBytes = 0;
  /** Status codes of the interim (1xx) responses that were skipped. */
  readonly interimStatuses: number[] = [];

  constructor(options: ResponseParserOptions) {
    this.method = options.method.toUpperCase();
    this.maxHeaderBytes = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** True once a complete final response has been read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** The final response, once `done`. */
  get result(): HttpResponse | undefined {
    return this.response;
  }

  /** Trailer fields of a chunked body (lower-cased names), kept apart from the headers. */
  get trailers(): Record<string, string> {
    return joinFields(this.trailerFields);
  }

  /** The Content-Length of the final response, when that frames its body. */
  get declaredLength(): number | undefined {
    return this.declared;
  }

  /** The status line's reason phrase and version, for diagnostics. */
  get statusLine(): { version: string; status: number; reason: string } | undefined {
    return this.status ? { version: this.version, status: this.status, reason: this.reason } : undefined;
  }

  /** Feeds the next bytes from the peer. Throws ParseError on malformed input (and on every call after one). */
  feed(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    this.bytesReceived += chunk.length;
    if (this.state === 'done') {
      this.extraBytes += chunk.length;
      return;
    }
    try {
      this.consume(chunk);
    } catch (err) {
      if (err instanceof ParseError) this.failure = err;
      throw err;
    }
  }

  /**
   * The peer closed the connection. Completes a close-delimited body; throws
   * ParseError('incomplete') if the response was cut short.
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.state === 'done') return;
    if (this.state === 'body-close') {
      this.complete();
      return;
    }
    this.failure = new ParseError('incomplete', this.describeIncomplete());
    throw this.failure;
  }

  private describeIncomplete(): string {
    switch (this.state) {
      case 'status':
        return this.bytesReceived === 0 && this.interimStatuses.length === 0
          ? 'connection closed before any response byte'
          : 'connection closed before the status line was complete';
      case 'headers':
        return `connection closed in the middle of the response headers (status ${this.status})`;
      case 'body-length':
        return `connection closed after ${this.bodyBytes} of ${this.expectedLength} body bytes (status ${this.status})`;
      default:
        return `connection closed in the middle of a chunked body after ${this.bodyBytes} body bytes (status ${this.status})`;
    }
  }

  private consume(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      switch (this.state) {
        case 'status':
        case 'headers':
        case 'chunk-size':
        case 'chunk-data-end':
        case 'trailers': {
          const { line, next } = this.takeLine(chunk, offset);
          offset = next;
          if (line !== undefined) this.onLine(line);
          break;
        }
        case 'body-length':
        case 'chunk-data': {
          const take = Math.min(this.remaining, chunk.length - offset);
          this.pushBody(chunk.subarray(offset, offset + take));
          offset += take;
          this.remaining -= take;
          if (this.remaining === 0) {
            if (this.state === 'body-length') this.complete();
            else this.state = 'chunk-data-end';
          }
          break;
        }
        case 'body-close':
          this.pushBody(offset === 0 ? chunk : chunk.subarray(offset));
          offset = chunk.length;
          break;
        case 'done':
          this.extraBytes += chunk.length - offset;
          offset = chunk.length;
          break;
      }
    }
  }

  /** Takes bytes up to and including the next LF; returns the line (without CRLF) once it is whole. */
  private takeLine(chunk: Buffer, offset: number): { line?: string; next: number } {
    const newline = chunk.indexOf(NEWLINE, offset);
    const end = newline === -1 ? chunk.length : newline + 1;
    const piece = chunk.subarray(offset, end);
    this.lineBytes += piece.length;
    this.checkLineBounds(piece.length);
    if (newline === -1) {
      this.lineParts.push(piece);
      return { next: end };
    }
    const whole = this.lineParts.length === 0 ? piece : Buffer.concat([...this.lineParts, piece]);
    this.lineParts = [];
    this.lineBytes = 0;
    let stop = whole.length - 1;
    if (stop > 0 && whole[stop - 1] === 0x0d) stop -= 1;
    return { line: whole.toString('latin1', 0, stop), next: end };
  }

  private checkLineBounds(added: number): void {
    if (this.state === 'chunk-size' || this.state === 'chunk-data-end') {
      if (this.lineBytes > MAX_CHUNK_LINE_BYTES) {
        throw new ParseError('too-large', `chunk-size line longer than ${MAX_CHUNK_LINE_BYTES} bytes`);
      }
      return;
    }
    this.sectionBytes += added;
    if (this.sectionBytes > this.maxHeaderBytes) {
      const what = this.state === 'trailers' ? 'trailer section' : 'response header section';
      throw new ParseError('too-large', `${what} larger than ${formatSize(this.maxHeaderBytes)}`);
    }
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'status':
        this.onStatusLine(line);
        return;
      case 'headers':
        if (line === '') this.onHeadersComplete();
        else this.onFieldLine(line, this.fields);
        return;
      case 'chunk-size':
        this.onChunkSizeLine(line);
        return;
      case 'chunk-data-end':
        if (line !== '') throw new ParseError('malformed', `expected CRLF after chunk data, got ${quote(line)}`);
        this.state = 'chunk-size';
        return;
      case 'trailers':
        if (line === '') this.complete();
        else this.onFieldLine(line, this.trailerFields);
        return;
      default:
        return;
    }
  }

  private onStatusLine(line: string): void {
    if (line === '') {
      this.leadingEmptyLines += 1;
      if (this.leadingEmptyLines > MAX_LEADING_EMPTY_LINES) {
        throw new ParseError('malformed', 'too many empty lines before the status line');
      }
      return;
    }
    const match = STATUS_LINE.exec(line);
    if (!match) throw new ParseError('malformed', `malformed status line: ${quote(line)}`);
    const [, major, minor, code, reason] = match;
    if (major !== '1') throw new ParseError('malformed', `unsupported HTTP version in status line: ${quote(line)}`);
    const status = Number(code);
    if (status < 100) throw new ParseError('malformed', `invalid status code in status line: ${quote(line)}`);
    checkText(reason ?? '', 'status line');
    this.version = `${major}.${minor}`;
    this.status = status;
    this.reason = reason ?? '';
    this.fields = [];
    this.state = 'headers';
  }

  private onFieldLine(line: string, into: Array<[string, string]>): void {
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // obs-fold: a continuation of the previous field's value.
      const previous = into[into.length - 1];
      if (!previous) throw new ParseError('malformed', `header continuation line without a header: ${quote(line)}`);
      const more = trimOws(line);
      checkText(more, 'header value');
      previous[1] = previous[1] === '' ? more : `${previous[1]} ${more}`;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ParseError('malformed', `malformed header line: ${quote(line)}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new ParseError('malformed', `invalid header name: ${quote(name)}`);
    const value = trimOws(line.slice(colon + 1));
    checkText(value, `value of header ${name}`);
    into.push([name.toLowerCase(), value]);
  }

  private onHeadersComplete(): void {
    const status = this.status;
    if (status >= 100 && status < 200 && status !== 101) {
      // Interim response (100 Continue, 103 Early Hints...): the real one follows.
      this.interimStatuses.push(status);
      this.status = 0;
      this.fields = [];
      this.leadingEmptyLines = 0;
      this.state = 'status';
      return;
    }
    this.headers = joinFields(this.fields);
    const noBody =
      this.method === 'HEAD' ||
      status === 101 ||
      status === 204 ||
      status === 304 ||
      (this.method === 'CONNECT' && status >= 200 && status < 300);
    if (noBody) {
      this.complete();
      return;
    }
    const transferEncoding = this.headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      // Transfer-Encoding overrides Content-Length. If chunked is not the final
      // coding, the body runs until the connection closes.
      const codings = transferEncoding.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
      if (codings[codings.length - 1] === 'chunked') {
        this.state = 'chunk-size';
        this.sectionBytes = 0;
      } else {
        this.state = 'body-close';
      }
      return;
    }
    const contentLength = this.headers['content-length'];
    if (contentLength !== undefined) {
      const length = parseContentLength(contentLength);
      this.expectedLength = length;
      this.declared = length;
      if (length > this.maxBodyBytes) {
        throw new ParseError('body-too-large', `response body larger than ${formatSize(this.maxBodyBytes)} (Content-Length ${length})`);
      }
      if (length === 0) {
        this.complete();
      } else {
        this.remaining = length;
        this.state = 'body-length';
      }
      return;
    }
    this.state = 'body-close';
  }

  private onChunkSizeLine(line: string): void {
    const semicolon = line.indexOf(';');
    // Chunk extensions (";name=value") are allowed and ignored.
    const sizeText = trimOws(semicolon === -1 ? line : line.slice(0, semicolon));
    const digits = CHUNK_SIZE.exec(sizeText)?.[1];
    if (digits === undefined) throw new ParseError('malformed', `invalid chunk size line: ${quote(line)}`);
    const size = parseInt(digits, 16);
    if (size === 0) {
      this.sectionBytes = 0;
      this.state = 'trailers';
      return;
    }
    this.remaining = size;
    this.state = 'chunk-data';
  }

  private pushBody(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.bodyBytes + piece.length > this.maxBodyBytes) {
      // Nothing past the bound is kept: what came so far is dropped with it.
      this.bodyParts = [];
      throw new ParseError('body-too-large', `response body larger than ${formatSize(this.maxBodyBytes)}`);
    }
    this.bodyParts.push(piece);
    this.bodyBytes += piece.length;
  }

  private complete(): void {
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts, this.bodyBytes);
    this.bodyParts = [];
    this.response = { status: this.status, headers: this.headers, body };
    this.state = 'done';
  }
}

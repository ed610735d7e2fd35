// The one error the HTTP/1.1 response parser throws, with what went wrong.

export type ParseErrorCode = 'malformed' | 'too-large' | 'incomplete';

export class ParseError extends Error {
  override readonly name = 'ParseError';

  constructor(
    /** malformed: bytes that are not HTTP/1.x; too-large: a bound was hit; incomplete: the peer closed too early. */
    readonly code: ParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// The one error the HTTP/1.1 response parser throws, with what went wrong.

export type ParseErrorCode = 'malformed' | 'too-large' | 'body-too-large' | 'incomplete';

export class ParseError extends Error {
  override readonly name = 'ParseError';

  constructor(
    /**
     * malformed: bytes that are not HTTP/1.x; too-large: a header, trailer or
     * chunk-line bound was hit; body-too-large: the body passes maxBodyBytes;
     * incomplete: the peer closed too early.
     */
    readonly code: ParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

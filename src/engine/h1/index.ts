// The raw HTTP/1.1 engine: our own bytes on our own sockets, for the exchanges
// that need byte-level control (last-byte bursts, deliberate connection cuts).
export { ParseError, ResponseParser, MAX_HEADER_BYTES } from './parser.js';
export type { ParseErrorCode, ResponseParserOptions } from './parser.js';
export { serializeRequest, serializeRequestParts } from './serialize.js';
export type { SerializedRequest } from './serialize.js';
export { openConnection, describeAddress } from './connect.js';
export type { Connection } from './connect.js';
export { TransportError } from '../http/errors.js';
export type { TransportErrorKind } from '../http/errors.js';
export { ResponseCollector, destroyConnection } from './collector.js';
export type { CollectorOptions } from './collector.js';
export { sendRaw } from './exchange.js';
export { encodeRequest } from '../transport/request.js';
export { failExchange } from '../transport/exchange.js';
export type { ErrorKind } from '../transport/exchange.js';
export { lastByteBurst, MAX_CONCURRENT_CONNECTS } from './burst.js';
export type { BurstOptions, BurstResult } from './burst.js';
export { cutExchange, CUT_POINTS, DEFAULT_GRACE_MS } from './cut.js';
export type { CutOptions, CutPoint } from './cut.js';

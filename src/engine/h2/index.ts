// The HTTP/2 engine: the single-packet attack over node:http2 on sockets we own.
export { singlePacketBurst, MAX_FINAL_FRAMES_PER_WRITE, MAX_CONCURRENT_H2_CONNECTS } from './burst.js';
export type { H2BurstOptions, H2BurstResult } from './burst.js';
export { openH2Connection, closeConnection } from './connect.js';
export type { H2Connection } from './connect.js';
export { requestHeaders, responseHeaders } from './headers.js';
export { initialConnections, packingNotes, packStreams, peerLimits, strictest, UNLIMITED_STREAMS } from './packing.js';
export type { Packing, PeerLimits } from './packing.js';
export { WireTap } from './tap.js';
export type { WriteTally } from './tap.js';

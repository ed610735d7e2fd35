// A pass-through Duplex between the HTTP/2 session (or the TLS layer) and our
// TCP socket. It exists for one reason: node:http2 consumes a native socket
// handle directly, so wrapping net.Socket#write would see nothing. With the tap
// in between, node drives it as a JS stream (one write per flush of the
// session, the frames of that flush handed over corked, i.e. as one _writev)
// and we can count exactly what reaches the socket, and in how many writes.
import type net from 'node:net';
import { Duplex } from 'node:stream';

export interface WriteTally {
  /** Socket writes made while armed. */
  writes: number;
  /** Bytes in those writes. */
  bytes: number;
}

export class WireTap extends Duplex {
  private tally: WriteTally | undefined;

  constructor(readonly raw: net.Socket) {
    super({ allowHalfOpen: false, decodeStrings: true });
    raw.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (err) => this.destroy(err));
    raw.on('close', () => this.destroy());
  }

  /** Starts counting writes (resets the count). */
  arm(): void {
    this.tally = { writes: 0, bytes: 0 };
  }

  /** Stops counting and returns what was written since arm(). */
  disarm(): WriteTally {
    const tally = this.tally ?? { writes: 0, bytes: 0 };
    this.tally = undefined;
    return tally;
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    // One buffer, one socket write: the frames of one session flush stay together.
    const buffer = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.forward(buffer, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }

  private forward(buffer: Buffer, callback: (error?: Error | null) => void): void {
    if (this.tally) {
      this.tally.writes += 1;
      this.tally.bytes += buffer.length;
    }
    if (this.raw.destroyed) {
      callback(new Error('socket closed'));
      return;
    }
    this.raw.write(buffer, (err) => callback(err ?? null));
  }
}

// Unit tests for the raw HTTP/1.1 engine's wire format, no sockets: the
// response parser fed bytes in every split, and the request serializer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, ResponseParser, serializeRequest } from '../../src/engine/h1/index.js';

function parseAll(raw: string | Buffer, method = 'GET', step = 0): ResponseParser {
  const parser = new ResponseParser({ method });
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1');
  if (step === 0) parser.feed(bytes);
  else for (let i = 0; i < bytes.length; i += step) parser.feed(bytes.subarray(i, i + step));
  return parser;
}

// ---------------------------------------------------------------- parser

describe('ResponseParser', () => {
  test('Content-Length body, repeated headers and set-cookie', () => {
    const p = parseAll(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhelloEXTRA',
    );
    assert.equal(p.done, true);
    assert.equal(p.result?.status, 200);
    assert.equal(p.result?.body.toString(), 'hello');
    assert.equal(p.result?.headers['x-a'], '1, 2');
    assert.equal(p.result?.headers['set-cookie'], 'a=1\nb=2');
    assert.equal(p.result?.headers['content-length'], '5');
    assert.equal(p.extraBytes, 5);
  });

  test('Content-Length body fed one byte at a time', () => {
    const p = parseAll('HTTP/1.1 201 Created\r\ncontent-length: 11\r\n\r\nhello world', 'POST', 1);
    assert.equal(p.result?.status, 201);
    assert.equal(p.result?.body.toString(), 'hello world');
  });

  test('chunked body with extensions, split one byte at a time', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\n' +
      '1\r\n \r\n' +
      '00005\r\nworld\r\n' +
      '0\r\n\r\n';
    const p = parseAll(wire, 'GET', 1);
    assert.equal(p.done, true);
    assert.equal(p.result?.body.toString(), 'hello world');
    // Every split point gives the same answer.
    for (let split = 1; split < wire.length; split += 1) {
      const q = new ResponseParser({ method: 'GET' });
      q.feed(Buffer.from(wire.slice(0, split), 'latin1'));
      q.feed(Buffer.from(wire.slice(split), 'latin1'));
      assert.equal(q.result?.body.toString(), 'hello world', `split at ${split}`);
    }
  });

  test('chunked body with trailers', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' +
      'a\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n';
    for (const step of [0, 1, 3]) {
      const p = parseAll(wire, 'GET', step);
      assert.equal(p.done, true);
      assert.equal(p.result?.body.toString(), '0123456789');
      assert.deepEqual(p.trailers, { 'x-checksum': 'abc', 'x-more': '1' });
      assert.equal(p.result?.headers['x-checksum'], undefined, 'trailers are not merged into headers');
    }
  });

  test('close-delimited body completes only at end()', () => {
    const p = parseAll('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ', 'GET', 2);
    p.feed(Buffer.from('more'));
    assert.equal(p.done, false);
    p.end();
    assert.equal(p.done, true);
    assert.equal(p.result?.body.toString(), 'some more');
  });

  test('HTTP/1.0 response without framing is close-delimited', () => {
    const p = parseAll('HTTP/1.0 200 OK\r\n\r\nold style');
    assert.equal(p.done, false);
    p.end();
    assert.equal(p.result?.body.toString(), 'old style');
  });

  test('204 and 304 have no body', () => {
    for (const status of [204, 304]) {
      const p = parseAll(`HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`);
      assert.equal(p.done, true);
      assert.equal(p.result?.status, status);
      assert.equal(p.result?.body.length, 0);
    }
  });

  test('HEAD response has no body despite Content-Length', () => {
    const p = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', 'head');
    assert.equal(p.done, true);
    assert.equal(p.result?.headers['content-length'], '1234');
    assert.equal(p.result?.body.length, 0);
  });

  test('100 Continue is skipped, then 201', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    for (const step of [0, 1]) {
      const p = parseAll(wire, 'POST', step);
      assert.equal(p.done, true);
      assert.equal(p.result?.status, 201);
      assert.deepEqual(p.interimStatuses, [100, 103]);
      assert.equal(p.result?.headers['link'], undefined);
      assert.equal(p.result?.body.toString(), 'ok');
    }
  });

  test('LF-only line endings and folded headers are tolerated', () => {
    const p = parseAll('HTTP/1.1 200 OK\nX-Long: a\n  b\nContent-Length: 1\n\nz');
    assert.equal(p.result?.headers['x-long'], 'a b');
    assert.equal(p.result?.body.toString(), 'z');
  });

  test('malformed status line is a clear error', () => {
    const p = new ResponseParser({ method: 'GET' });
    assert.throws(
      () => p.feed(Buffer.from('HTTP/1.1 OK 200\r\n\r\n')),
      (err: unknown) => err instanceof ParseError && err.code === 'malformed' && /malformed status line/.test(err.message),
    );
    // Stays failed.
    assert.throws(() => p.feed(Buffer.from('x')), ParseError);
    assert.throws(() => parseAll('SSH-2.0-OpenSSH_9.6\r\n'), /malformed status line: "SSH-2.0-OpenSSH_9.6"/);
  });

  test('other malformed input', () => {
    assert.throws(() => parseAll('HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n'), /invalid header name/);
    assert.throws(() => parseAll('HTTP/1.1 200 OK\r\nNoColon\r\n\r\n'), /malformed header line/);
    assert.throws(() => parseAll('HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n'), /invalid Content-Length/);
    assert.throws(() => parseAll('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), /invalid Content-Length/);
    assert.throws(() => parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), /invalid chunk size/);
    assert.throws(
      () => parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n'),
      /expected CRLF after chunk data/,
    );
    assert.throws(() => parseAll('HTTP/2.0 200 OK\r\n\r\n'), /unsupported HTTP version/);
    // Agreeing duplicates are fine.
    assert.equal(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok').result?.body.toString(), 'ok');
  });

  test('header section is bounded at 64 KiB', () => {
    const p = new ResponseParser({ method: 'GET' });
    p.feed(Buffer.from('HTTP/1.1 200 OK\r\n'));
    const line = Buffer.from(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    assert.throws(
      () => {
        for (let i = 0; i < 100; i += 1) p.feed(line);
      },
      (err: unknown) => err instanceof ParseError && err.code === 'too-large' && /64 KiB/.test(err.message),
    );
    // A single endless line is caught too.
    const q = new ResponseParser({ method: 'GET' });
    assert.throws(() => q.feed(Buffer.alloc(70 * 1024, 0x41)), /larger than 64 KiB/);
  });

  test('the body is bounded by maxBodyBytes: exactly the bound passes in every framing, one byte more fails', () => {
    const tooLarge = (message: string) => (err: unknown) =>
      err instanceof ParseError && err.code === 'body-too-large' && err.message === message;
    const feedAll = (p: ResponseParser, head: string, body: Buffer, step: number): void => {
      p.feed(Buffer.from(head, 'latin1'));
      for (let i = 0; i < body.length; i += step) p.feed(body.subarray(i, i + step));
    };
    const body10 = Buffer.from('0123456789');
    for (const step of [1, 3, 10]) {
      // Content-Length
      const atCl = new ResponseParser({ method: 'GET', maxBodyBytes: 10 });
      feedAll(atCl, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', body10, step);
      assert.equal(atCl.result?.body.toString(), '0123456789');
      // chunked, the bound reached across chunks
      const chunks = Buffer.from('4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n');
      const atChunked = new ResponseParser({ method: 'GET', maxBodyBytes: 10 });
      feedAll(atChunked, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', chunks, step);
      assert.equal(atChunked.result?.body.toString(), '0123456789');
      const overChunked = new ResponseParser({ method: 'GET', maxBodyBytes: 9 });
      assert.throws(
        () => feedAll(overChunked, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', chunks, step),
        tooLarge('response body larger than 9 bytes'),
      );
      // close-delimited
      const atClose = new ResponseParser({ method: 'GET', maxBodyBytes: 10 });
      feedAll(atClose, 'HTTP/1.1 200 OK\r\n\r\n', body10, step);
      atClose.end();
      assert.equal(atClose.result?.body.toString(), '0123456789');
      const overClose = new ResponseParser({ method: 'GET', maxBodyBytes: 10 });
      assert.throws(
        () => feedAll(overClose, 'HTTP/1.1 200 OK\r\n\r\n', Buffer.from('0123456789A'), step),
        tooLarge('response body larger than 10 bytes'),
      );
      // Every later call rethrows the same failure.
      assert.throws(() => overClose.end(), tooLarge('response body larger than 10 bytes'));
    }
  });

  test('a Content-Length past the bound fails at the header section, before any body byte', () => {
    const p = new ResponseParser({ method: 'GET', maxBodyBytes: 16 * 1024 * 1024 });
    assert.throws(
      () => p.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n')),
      (err: unknown) =>
        err instanceof ParseError &&
        err.code === 'body-too-large' &&
        err.message === 'response body larger than 16 MiB (Content-Length 2147483648)',
    );
    assert.equal(p.declaredLength, 2_147_483_648);
    // One byte over the default bound (16 MiB) without options.
    const dflt = new ResponseParser({ method: 'GET' });
    assert.throws(() => dflt.feed(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${16 * 1024 * 1024 + 1}\r\n\r\n`)), /larger than 16 MiB/);
    const exact = new ResponseParser({ method: 'GET' });
    exact.feed(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${16 * 1024 * 1024}\r\n\r\n`));
    assert.equal(exact.done, false);
    assert.equal(exact.declaredLength, 16 * 1024 * 1024);
    // Where Content-Length frames no body, it is not held against the bound.
    const head = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 2147483648\r\n\r\n', 'HEAD');
    assert.equal(head.done, true);
    const notModified = parseAll('HTTP/1.1 304 Not Modified\r\nContent-Length: 2147483648\r\n\r\n');
    assert.equal(notModified.done, true);
    // A bound of 0 accepts only empty bodies.
    const zero = new ResponseParser({ method: 'GET', maxBodyBytes: 0 });
    zero.feed(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
    assert.equal(zero.done, true);
    const zeroBody = new ResponseParser({ method: 'GET', maxBodyBytes: 0 });
    assert.throws(() => zeroBody.feed(Buffer.from('HTTP/1.1 200 OK\r\n\r\nx')), /larger than 0 bytes/);
  });

  test('end() before the response is complete', () => {
    const none = new ResponseParser({ method: 'GET' });
    assert.throws(() => none.end(), (err: unknown) => err instanceof ParseError && err.code === 'incomplete' && /before any response byte/.test(err.message));
    const short = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    assert.throws(() => short.end(), /after 3 of 10 body bytes/);
    const chunked = parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    assert.throws(() => chunked.end(), /chunked body/);
  });
});

// ---------------------------------------------------------------- serializer

describe('serializeRequest', () => {
  test('request line, Host, headers in order, defaults', () => {
    const text = serializeRequest({
      method: 'POST',
      url: 'http://example.test:8080/pay/ments?x=1&y=%20',
      headers: { 'Idempotency-Key': 'k1', 'Content-Type': 'application/json' },
      body: Buffer.from('{"a":1}'),
    }).toString();
    assert.equal(
      text,
      'POST /pay/ments?x=1&y=%20 HTTP/1.1\r\n' +
        'Host: example.test:8080\r\n' +
        'Idempotency-Key: k1\r\n' +
        'Content-Type: application/json\r\n' +
        'Content-Length: 7\r\n' +
        'Connection: close\r\n' +
        'User-Agent: idemchaos\r\n\r\n' +
        '{"a":1}',
    );
  });

  test('POST without body gets Content-Length: 0; GET gets none; given headers win', () => {
    const post = serializeRequest({ method: 'POST', url: 'https://api.test/', headers: {} }).toString();
    assert.match(post, /^POST \/ HTTP\/1\.1\r\nHost: api\.test\r\n/);
    assert.match(post, /\r\nContent-Length: 0\r\n/);
    const get = serializeRequest({ method: 'GET', url: 'http://api.test', headers: {} }).toString();
    assert.doesNotMatch(get, /Content-Length/i);
    const given = serializeRequest({
      method: 'PUT',
      url: 'http://api.test/x',
      headers: { host: 'other.test', 'user-agent': 'me', connection: 'keep-alive', 'content-length': '3' },
      body: Buffer.from('abc'),
    }).toString();
    assert.equal(
      given,
      'PUT /x HTTP/1.1\r\nhost: other.test\r\nuser-agent: me\r\nconnection: keep-alive\r\ncontent-length: 3\r\n\r\nabc',
    );
  });

  test('rejects header injection', () => {
    assert.throws(
      () => serializeRequest({ method: 'GET', url: 'http://a.test/', headers: { 'X-A': 'a\r\nX-B: b' } }),
      /CR, LF and NUL/,
    );
  });
});

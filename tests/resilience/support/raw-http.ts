import { connect } from 'node:net';

/**
 * HTTP/1.1 over a bare TCP socket (`node:net`): the bytes go out exactly as written, so nothing
 * between the test and the server's parser can fix up a duplicate header, a bare CR, an absolute
 * request target or a contradictory `Transfer-Encoding`. Responses are parsed just enough to
 * count them and read their status, headers and body (Content-Length, chunked, or until close).
 */

export interface RawResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** Neither enough responses nor a close arrived before the deadline (the socket was then dropped). */
  gaveUp: boolean;
  /** Socket error text (e.g. ECONNRESET), if any. */
  error?: string;
  /** A response whose head arrived but whose body the close cut off (not in `responses`). */
  cutOff?: RawResponse;
}

export interface RawOptions {
  /** Stop once this many complete responses arrived (default 1). */
  responses?: number;
  /** Half-close our side after writing, so a server waiting for more body sees end of input. */
  endAfterWrite?: boolean;
  /** A deadline for readiness, not an assertion: past it the exchange is returned as it is. */
  deadlineMs?: number;
}

/** One request (or several, pipelined) on a fresh connection. */
export function rawExchange(port: number, payload: string | Buffer, options: RawOptions = {}): Promise<RawExchange> {
  const wanted = options.responses ?? 1;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (closed: boolean, gaveUp: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      // A response delimited by the close itself (no length, not chunked) is complete now.
      let cutOff: RawResponse | undefined;
      if (closed) {
        const last = parseResponse(buffer, true);
        if (last) responses.push(last.response);
        else cutOff = partialResponse(buffer) ?? undefined;
      }
      resolve({ responses, closed, gaveUp, ...(error ? { error } : {}), ...(cutOff ? { cutOff } : {}) });
    };
    const timer = setTimeout(() => finish(false, true), options.deadlineMs ?? 10_000);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let parsed = parseResponse(buffer, false); parsed; parsed = parseResponse(buffer, false)) {
        responses.push(parsed.response);
        buffer = buffer.subarray(parsed.consumed);
      }
      if (responses.length >= wanted) finish(false, false);
    });
    socket.on('error', (err) => {
      error = err.message;
    });
    socket.on('close', () => finish(true, false));
    socket.write(payload, () => {
      if (options.endAfterWrite) socket.end();
    });
  });
}

/** Status line and headers at the start of `buffer`, or null if they have not all arrived. */
function readHead(buffer: Buffer): { status: number; headers: Record<string, string>; bodyStart: number } | null {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return null;
  const [statusLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers, bodyStart: headEnd + 4 };
}

/** A response head followed by less body than it announced: what arrived of it. */
function partialResponse(buffer: Buffer): RawResponse | null {
  const head = readHead(buffer);
  return head && { status: head.status, headers: head.headers, body: buffer.subarray(head.bodyStart).toString('latin1') };
}

/** A complete response at the start of `buffer`, or null if more bytes are needed. */
function parseResponse(buffer: Buffer, atEof: boolean): { response: RawResponse; consumed: number } | null {
  const head = readHead(buffer);
  if (!head) return null;
  const { status, headers, bodyStart } = head;
  if ((status >= 100 && status < 200) || status === 204 || status === 304) {
    return { response: { status, headers, body: '' }, consumed: bodyStart };
  }
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const chunks: Buffer[] = [];
    let offset = bodyStart;
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', offset);
      if (lineEnd === -1) return null;
      const size = parseInt(buffer.subarray(offset, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return null;
      if (size === 0) {
        const trailerEnd = buffer.indexOf('\r\n\r\n', lineEnd);
        if (trailerEnd === -1 && buffer.length < lineEnd + 4) return null;
        const consumed = trailerEnd === lineEnd ? lineEnd + 4 : trailerEnd + 4;
        return { response: { status, headers, body: Buffer.concat(chunks).toString('utf8') }, consumed };
      }
      if (buffer.length < lineEnd + 2 + size + 2) return null;
      chunks.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
    }
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const end = bodyStart + Number(length);
    if (buffer.length < end) return null;
    return { response: { status, headers, body: buffer.subarray(bodyStart, end).toString('utf8') }, consumed: end };
  }
  if (!atEof) return null;
  return { response: { status, headers, body: buffer.subarray(bodyStart).toString('utf8') }, consumed: buffer.length };
}

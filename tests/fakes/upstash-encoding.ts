/**
 * How Upstash's REST API renders Redis replies as JSON.
 *
 * Integers stay numbers, nil becomes null, arrays nest (EVAL can return nested
 * tables). Strings are UTF-8 text by default; with the request header
 * `Upstash-Encoding: base64` (which @upstash/redis sends by default) every
 * string is base64 encoded except the plain "OK" status reply, which the client
 * special-cases (see `decode` in @upstash/redis).
 */

export type UpstashJson = string | number | null | UpstashJson[];

const OK = Buffer.from('OK');

/** ioredis `callBuffer` replies: Buffers for strings (bulk and status), numbers, null, arrays, and ReplyErrors nested in arrays. */
export function encodeReply(reply: unknown, base64: boolean): UpstashJson {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, base64));
  if (Buffer.isBuffer(reply)) {
    if (!base64) return reply.toString('utf8');
    return reply.equals(OK) ? 'OK' : reply.toString('base64');
  }
  if (typeof reply === 'string') return encodeReply(Buffer.from(reply), base64);
  // An error element inside an array (e.g. a Lua table holding redis.error_reply):
  // Upstash has no per-element error slot, so it surfaces as its message text.
  if (reply instanceof Error) return encodeReply(Buffer.from(reply.message), base64);
  throw new TypeError(`encodeReply: unexpected reply type ${typeof reply}`);
}

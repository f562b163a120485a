import type { Context } from 'hono';

/**
 * Sets headers on the response a route has already returned. After the route, Hono's
 * `c.header()` copies the whole Response on every call; this sets them in place and copies once,
 * only when the headers are immutable (a response passed through untouched, e.g. an asset).
 */
export function setResponseHeaders(c: Context, headers: Readonly<Record<string, string>>): void {
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  }
}

/**
 * Who may cancel a ChatKit session.
 *
 * OpenAI scopes `cancel` by API key only: with our key, any session id is cancellable. So the
 * `session_id` the browser gets is a *handle*: OpenAI's id plus an HMAC over (user, id). On
 * cancel the worker recomputes the MAC for the caller's verified `sub`; a handle minted for
 * someone else, or an id that never came from us, simply does not verify.
 *
 * Why not remember sessions somewhere instead:
 * - an isolate-local map cannot see sessions created by other isolates or colos;
 * - KV is eventually consistent (a cancel right after create can miss the write in another
 *   colo for up to a minute) and would cost a write per session for state that dies in ≤ 10 min;
 * - a Durable Object would be consistent but adds a round trip and a stateful dependency to
 *   the one path (create) that must stay fast.
 * The MAC is stateless, instant, and works everywhere the worker runs.
 *
 * The MAC key is derived (HKDF-SHA-256, fixed salt and label) from OPENAI_API_KEY, a secret
 * only the worker holds, so there is no second secret to provision. Whoever has the API key can
 * cancel sessions at OpenAI directly anyway, so the derived key protects nothing less than it.
 * Rotating the key invalidates outstanding handles; sessions expire within minutes regardless.
 */

import { base64url } from 'jose';

const HKDF_SALT = new TextEncoder().encode('calm-orbit-edge');
const HKDF_INFO = new TextEncoder().encode('chatkit-session-handle/v1');
/** OpenAI session ids look like `cksess_<hex>`; anything else is refused before any crypto. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

/** Derived keys per API key, resolved values only (a CryptoKey is plain data, safe to share across requests). */
const macKeys = new Map<string, CryptoKey>();

async function macKeyFor(apiKey: string): Promise<CryptoKey> {
  const cached = macKeys.get(apiKey);
  if (cached) return cached;
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(apiKey), 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: HKDF_SALT, info: HKDF_INFO },
    material,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
  macKeys.set(apiKey, key);
  return key;
}

/** JSON encoding keeps (user, id) unambiguous whatever characters a user id holds. */
const macInput = (userId: string, sessionId: string) => new TextEncoder().encode(JSON.stringify(['chatkit-session', userId, sessionId]));

/** `cksess_…` → `cksess_….<mac>`: what `POST /api/chatkit/session` returns as `session_id`. */
export async function sealSessionHandle(apiKey: string, userId: string, sessionId: string): Promise<string> {
  if (!SESSION_ID.test(sessionId)) throw new Error('OpenAI returned a session id of an unexpected shape');
  const mac = await crypto.subtle.sign('HMAC', await macKeyFor(apiKey), macInput(userId, sessionId));
  return `${sessionId}.${base64url.encode(new Uint8Array(mac))}`;
}

/**
 * OpenAI's session id inside `handle` if it was minted for `userId`, else `null` (malformed,
 * forged, or someone else's: the caller cannot tell which, so there is nothing to probe).
 */
export async function openSessionHandle(apiKey: string, userId: string, handle: string): Promise<string | null> {
  const dot = handle.lastIndexOf('.');
  const sessionId = handle.slice(0, dot);
  const mac = handle.slice(dot + 1);
  if (dot < 0 || !SESSION_ID.test(sessionId) || !MAC.test(mac)) return null;
  const macBytes = base64url.decode(mac);
  // The 43rd character carries 2 padding bits that decoding drops; only the canonical spelling
  // is accepted, so each session has exactly one valid handle.
  if (base64url.encode(macBytes) !== mac) return null;
  // `verify` compares in constant time.
  const valid = await crypto.subtle.verify('HMAC', await macKeyFor(apiKey), macBytes, macInput(userId, sessionId));
  return valid ? sessionId : null;
}

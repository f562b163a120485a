import * as jose from 'jose';
import { inject } from 'vitest';

/** Helpers that craft tokens for the attack corpus (see tests/fakes/test-issuer.ts). */

export const issuerUrl = () => inject('issuerUrl');

/** Env overrides that make the worker trust the test issuer instead of Better Auth. */
export function trustTestIssuer(jwksPath = '/jwks'): Record<string, string> {
  return {
    JWT_JWKS_URL: `${inject('issuerUrl')}${jwksPath}`,
    JWT_ISSUER: inject('issuerUrl'),
    JWT_AUDIENCE: inject('issuerAudience'),
    JWT_SECRET: '',
  };
}

export interface SignSpec {
  key?: 'ed' | 'es' | 'rs' | 'rogue';
  header?: Record<string, unknown>;
  payload?: Record<string, unknown>;
  expiresIn?: string | number;
}

export async function signWithIssuer(spec: SignSpec = {}): Promise<string> {
  const res = await fetch(`${inject('issuerUrl')}/sign`, { method: 'POST', body: JSON.stringify(spec) });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!body.token) throw new Error(`issuer refused to sign: ${body.error}`);
  return body.token;
}

export async function issuerJwks(): Promise<{ keys: Array<Record<string, string>> }> {
  return (await (await fetch(`${inject('issuerUrl')}/jwks`)).json()) as { keys: Array<Record<string, string>> };
}

export const base64url = (input: string | Uint8Array): string => jose.base64url.encode(input);

export function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(jose.base64url.decode(segment))) as Record<string, unknown>;
}

/** A compact JWS from raw parts, for tokens no honest library would produce. */
export function compact(header: Record<string, unknown>, payload: Record<string, unknown>, signature = ''): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}.${signature}`;
}

export async function hmacSign(header: Record<string, unknown>, payload: Record<string, unknown>, secret: Uint8Array): Promise<string> {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(signingInput)));
  return `${signingInput}.${base64url(signature)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

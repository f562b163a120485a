import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../types';

/** Where the ChatKit web component comes from, and the OpenAI endpoints it talks to. */
export const CHATKIT_CDN = 'https://cdn.platform.openai.com';
export const OPENAI_API = 'https://api.openai.com';

/**
 * Security headers on every response. The CSP lets scripts come only from this site and the
 * ChatKit CDN, lets the page connect only to this site and OpenAI's ChatKit endpoints, allows
 * ChatKit's OpenAI-hosted iframe, and forbids framing this site at all.
 */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", CHATKIT_CDN],
      connectSrc: ["'self'", OPENAI_API, CHATKIT_CDN],
      frameSrc: [CHATKIT_CDN],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:', CHATKIT_CDN],
      fontSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'strict-origin-when-cross-origin',
    xContentTypeOptions: 'nosniff',
    xFrameOptions: 'DENY',
    strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  });
}

import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Where the ChatKit web component comes from, and the OpenAI endpoints it talks to. */
export const CHATKIT_CDN = 'https://cdn.platform.openai.com';
export const OPENAI_API = 'https://api.openai.com';

/**
 * Headers every response gets, documents or not: no MIME sniffing (a JSON body is never run as a
 * script), HTTPS only, and no other site may embed the response as a resource.
 */
const EVERY_RESPONSE = {
  xContentTypeOptions: 'nosniff',
  strictTransportSecurity: 'max-age=31536000; includeSubDomains',
  crossOriginResourcePolicy: 'same-origin',
} as const;

/**
 * What only a document needs, so only HTML gets it (README "Security headers (SPA)"). The CSP lets
 * scripts come only from this site and the ChatKit CDN, lets the page connect only to this site
 * and OpenAI's ChatKit endpoints, allows ChatKit's OpenAI-hosted iframe, and forbids framing this
 * site at all.
 */
const forHtml = secureHeaders({
  ...EVERY_RESPONSE,
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
  xFrameOptions: 'DENY',
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: 'same-origin',
  permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
});

/** The API's share: the three above and nothing a browser only reads from a document. */
const forEveryResponse = secureHeaders({
  ...EVERY_RESPONSE,
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  referrerPolicy: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

const done = async () => undefined;

/**
 * Security headers, chosen by what the response is once the route has answered: HTML (the SPA
 * shell) gets the full document set, everything else (JSON, SSE, assets) the small set. Both are
 * built once per isolate by Hono's `secureHeaders`, which stamps them onto `c.res` here.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const isHtml = c.res.headers.get('content-type')?.startsWith('text/html') ?? false;
    await (isHtml ? forHtml : forEveryResponse)(c, done);
  };
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type JWTHeaderParameters } from 'jose';

/**
 * A token issuer for the authentication attack corpus. The real Better Auth server issues the
 * happy-path tokens; this one holds keys the tests control, so they can mint tokens with a
 * wrong `iss`, an expired `exp` or a `kid` the JWKS does not list, which Better Auth never would.
 *
 * HTTP (so code inside workerd can use it):
 * - `GET /jwks`       the public keys (EdDSA, ES256, RS256), like Better Auth's `/api/auth/jwks`
 * - `GET /jwks-slow`  the same after 10 s (a JWKS endpoint that hangs)
 * - `GET /jwks-junk`  200 with a body that is not a JWKS
 * - `GET /jwks/t/<tag>` the same keys (or those published for `<tag>`), counting fetches per tag;
 *                     `?delay_ms=` holds the answer back, so concurrent fetches would overlap
 * - `GET /jwks/t/<tag>/count` → `{ fetches }`
 * - `POST /jwks/t/<tag>/publish` `["ed", "es", …]` → publishes only those keys for `<tag>` (rotation)
 * - `POST /sign`      `{ key?: 'ed'|'es'|'rs'|'rogue', header?: {...}, payload?: {...}, expiresIn?: string|number }`
 *                     → `{ token }`, signed with that key; `rogue` is a key the JWKS does not publish;
 *                     a payload claim set to `null` is left out.
 */

export const TEST_ISSUER_AUDIENCE = 'calm-orbit-tests';

type KeyName = 'ed' | 'es' | 'rs' | 'rogue';
interface SigningKey {
  alg: 'EdDSA' | 'ES256' | 'RS256';
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export interface TestIssuer {
  url: string;
  issuer: string;
  audience: string;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keys: Record<KeyName, SigningKey> = {
    ed: await makeKey('EdDSA', 'test-ed'),
    es: await makeKey('ES256', 'test-es'),
    rs: await makeKey('RS256', 'test-rs'),
    rogue: await makeKey('EdDSA', 'test-rogue'),
  };
  const jwks = { keys: [keys.ed.publicJwk, keys.es.publicJwk, keys.rs.publicJwk] };
  let issuer = '';
  const fetchesByTag = new Map<string, number>();
  const publishedByTag = new Map<string, KeyName[]>();

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/jwks') return send(200, jwks);
    const tagged = /^\/jwks\/t\/([\w-]+)(\/count|\/publish)?(?:\?delay_ms=(\d+))?$/.exec(req.url ?? '');
    if (tagged) {
      const [, tag = '', action, delay] = tagged;
      if (req.method === 'GET' && action === '/count') return send(200, { fetches: fetchesByTag.get(tag) ?? 0 });
      if (req.method === 'POST' && action === '/publish') {
        let text = '';
        req.on('data', (chunk) => (text += chunk));
        req.on('end', () => {
          publishedByTag.set(tag, JSON.parse(text) as KeyName[]);
          send(200, { ok: true });
        });
        return;
      }
      if (req.method === 'GET' && !action) {
        fetchesByTag.set(tag, (fetchesByTag.get(tag) ?? 0) + 1);
        const names = publishedByTag.get(tag);
        const body = names ? { keys: names.map((name) => keys[name].publicJwk) } : jwks;
        const timer = setTimeout(() => send(200, body), Number(delay ?? 0));
        res.on('close', () => clearTimeout(timer));
        return;
      }
    }
    if (req.method === 'GET' && req.url === '/jwks-junk') return send(200, '<html>not a key set</html>');
    if (req.method === 'GET' && req.url === '/jwks-slow') {
      const timer = setTimeout(() => send(200, jwks), 10_000);
      req.on('close', () => clearTimeout(timer));
      return;
    }
    if (req.method === 'POST' && req.url === '/sign') {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', async () => {
        try {
          const spec = JSON.parse(text || '{}') as {
            key?: KeyName;
            header?: Partial<JWTHeaderParameters>;
            payload?: JWTPayload;
            expiresIn?: string | number;
          };
          const key = keys[spec.key ?? 'ed'];
          const payload: JWTPayload = { iss: issuer, aud: TEST_ISSUER_AUDIENCE, sub: 'user-test', ...spec.payload };
          // `null` removes a default claim (JSON cannot carry `undefined`).
          for (const [name, value] of Object.entries(payload)) if (value === null) delete payload[name];
          const jwt = new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...spec.header });
          if (!('iat' in payload)) jwt.setIssuedAt();
          if (!('exp' in payload)) jwt.setExpirationTime(spec.expiresIn ?? '15m');
          // Let the corpus sign tokens with `crit` extensions the verifier does not know.
          const crit = Array.isArray(spec.header?.crit) ? Object.fromEntries(spec.header.crit.map((name) => [name, true])) : undefined;
          send(200, { token: await jwt.sign(key.privateKey, crit ? { crit } : undefined) });
        } catch (err) {
          send(400, { error: err instanceof Error ? err.message : String(err) });
        }
      });
      return;
    }
    send(404, { error: 'not found' });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  issuer = url;
  return {
    url,
    issuer,
    audience: TEST_ISSUER_AUDIENCE,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

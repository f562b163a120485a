/** Values tests/setup/global-peers.ts provides to the worker tests (`inject('originUrl')` …). */
import 'vitest';

declare module 'vitest' {
  interface ProvidedContext {
    /** The reference origin: real Better Auth, tasks, conversations, chat (+ test routes). */
    originUrl: string;
    /** Fake OpenAI ChatKit sessions API (base URL including `/v1`) and the key it accepts. */
    openaiUrl: string;
    openaiApiKey: string;
    /** Token issuer with keys the attack corpus controls (`/jwks`, `/sign`). */
    issuerUrl: string;
    issuerAudience: string;
    /** A raw-socket origin that misbehaves as each test's scenario says (tests/fakes/hostile-origin.ts). */
    hostileOriginUrl: string;
    /** Upstash REST bridge in front of a real redis-server, and its control API (redis-peer.ts). */
    upstashUrl: string;
    upstashToken: string;
    upstashControlUrl: string;
    /** Fake Workers Analytics Engine SQL API (API base like `…/client/v4`), its account and token. */
    analyticsEngineUrl: string;
    analyticsEngineAccountId: string;
    analyticsEngineToken: string;
    /** Collects resilience counts for the closing summary line. */
    tallyUrl: string;
  }
}

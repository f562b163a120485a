import { cloudflareTest } from '@cloudflare/vitest-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs three projects:
 * - worker: the real worker inside workerd (KV, Durable Objects, assets are the local
 *   implementations), talking to real Node peers started by tests/setup/global-peers.ts;
 * - web: React components in happy-dom;
 * - node: the peers' own tests, the ops command, and end-to-end tests in Chromium.
 */
export default defineConfig({
  test: {
    // Worker logs (one JSON line per request) are shown for failing tests only.
    silent: 'passed-only',
    // The run's first line names the Node and workerd builds (and stops a run on two workerd
    // builds): tests/setup/global-runtime.ts.
    globalSetup: ['tests/setup/global-runtime.ts'],
    // The closing `resilience: …` line and the tally server behind it (what the root provides
    // reaches each project's inject()): tests/setup/resilience-reporter.ts.
    reporters: ['default', './tests/setup/resilience-reporter.ts'],
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            remoteBindings: false,
            miniflare: {
              bindings: {
                ORIGIN_URL: inject('originUrl'),
                JWT_JWKS_URL: `${inject('originUrl')}/api/auth/jwks`,
                JWT_ISSUER: inject('originUrl'),
                JWT_AUDIENCE: inject('originUrl'),
                ALLOWED_ORIGINS: 'https://app.example.test',
                ORIGIN_TIMEOUT_MS: '2000',
                // Every workerd test request comes from one (absent) IP and few users: keep the
                // shared buckets out of the way; rate-limit tests set their own small limits.
                RATE_LIMIT_API: '100000/60',
                RATE_LIMIT_CHAT: '100000/60',
                RATE_LIMIT_SESSION: '100000/60',
                RATE_LIMIT_AUTH: '100000/60',
                RATE_LIMIT_ANONYMOUS: '100000/60',
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['tests/worker/**/*.test.ts'],
          globalSetup: ['tests/setup/global-peers.ts'],
          testTimeout: 20_000,
        },
      },
      {
        plugins: [react()],
        test: {
          name: 'web',
          include: ['tests/web/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          setupFiles: ['tests/web/setup.ts'],
        },
      },
      {
        test: {
          name: 'node',
          include: [
            'tests/origin/**/*.test.ts',
            'tests/fakes/**/*.test.ts',
            'tests/ops/**/*.test.ts',
            'tests/e2e/**/*.test.ts',
            'tests/resilience/**/*.test.ts',
          ],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // End-to-end suites each start wrangler dev and Chromium; one file at a time keeps a
          // 2-core machine from thrashing.
          fileParallelism: false,
        },
      },
    ],
  },
});

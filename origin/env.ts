import type { HttpBindings } from '@hono/node-server';

/**
 * The Hono environment of the reference origin. The Node bindings are optional because the app
 * also answers `app.request(...)` in unit tests, where there is no Node request behind it.
 */
export interface OriginEnv {
  Bindings: Partial<HttpBindings>;
  Variables: { userId: string };
}

import { createApp } from './app';
import { scheduledGuard } from './guard/scheduled';

export { RateLimiterObject } from './rate-limit/durable-object';
export { SignalStoreObject } from './signals/store-object';
const app = createApp();

export default {
  fetch: app.fetch,
  // The rollout guard, every minute (README "Operations: guarded rollout").
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(scheduledGuard(env));
  },
} satisfies ExportedHandler<Env>;

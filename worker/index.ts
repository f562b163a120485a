import { createApp } from './app';

export { RateLimiterObject } from './rate-limit/durable-object';
export default createApp();

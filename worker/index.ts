import { createApp } from './app';

export { RateLimiterObject } from './rate-limit/durable-object';
export { SignalStoreObject } from './signals/store-object';
export default createApp();

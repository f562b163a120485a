// The part of autocannon's programmatic API the benchmark uses (it ships no types, and
// @types/autocannon is not installed).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Each connection cycles through these; `setupRequest` may rewrite one just before it is sent. */
    requests?: { method?: string; path?: string; headers?: Record<string, string>; setupRequest?: (request: RequestShape) => RequestShape }[];
  }

  interface RequestShape {
    method?: string;
    path?: string;
    headers: Record<string, string>;
    body?: string;
  }

  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; average: number };
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}

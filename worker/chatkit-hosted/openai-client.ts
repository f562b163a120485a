import OpenAI from 'openai';

export interface OpenAIClientOptions {
  apiKey: string;
  /** `null` → the SDK's default, `https://api.openai.com/v1`. Tests point it at a local fake. */
  baseUrl: string | null;
}

/**
 * One SDK client per isolate and (key, base URL): building a client is cheap but not free, and
 * a module-scope cache lets every request an isolate serves reuse it. The client holds only
 * configuration (no sockets, no streams), so sharing it across requests is safe in Workers.
 *
 * The map is keyed by the secret itself; it lives only in isolate memory and is never logged.
 */
const clients = new Map<string, OpenAI>();

export function openaiClientFor({ apiKey, baseUrl }: OpenAIClientOptions): OpenAI {
  const cacheKey = `${baseUrl ?? ''}\n${apiKey}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new OpenAI({
      apiKey,
      baseURL: baseUrl ?? undefined,
      // The SDK would retry 408/409/429/5xx and connection errors twice with its own backoff;
      // this worker owns the policy (create: one jittered retry on 5xx/network; cancel: none),
      // so the SDK must not retry underneath it.
      maxRetries: 0,
      // The SDK logs through `console` and its debug lines carry request details; our own
      // structured log lines say what went wrong without secrets.
      logLevel: 'off',
    });
    clients.set(cacheKey, client);
  }
  return client;
}

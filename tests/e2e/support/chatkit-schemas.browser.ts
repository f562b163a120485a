/**
 * Entry of the browser bundle the ChatKit stand-in checks every answer with: the protocol's own
 * valibot schemas from shared/chatkit.ts, bundled by esbuild at test time
 * (`chatkitStandinScript()` in ./browser.ts) and served in front of chatkit-standin.js as
 * `window.__chatkitProtocol`. One set of schemas for the worker, its tests and the stand-in.
 */
import * as v from 'valibot';
import {
  EmptyResponseSchema,
  SyncCustomActionResponseSchema,
  ThreadItemPageSchema,
  ThreadPageSchema,
  ThreadSchema,
  ThreadStreamEventSchema,
  ThreadWithoutItemsSchema,
} from '../../../shared/chatkit';

const schemas = {
  event: ThreadStreamEventSchema,
  thread: ThreadSchema,
  threadWithoutItems: ThreadWithoutItemsSchema,
  threadPage: ThreadPageSchema,
  itemPage: ThreadItemPageSchema,
  empty: EmptyResponseSchema,
  syncAction: SyncCustomActionResponseSchema,
};

export type ProtocolShape = keyof typeof schemas;

/** Null when `value` is a valid `shape`, else what is wrong with it (valibot's summary). */
export function problemWith(shape: ProtocolShape, value: unknown): string | null {
  const result = v.safeParse(schemas[shape], value);
  return result.success ? null : v.summarize(result.issues);
}

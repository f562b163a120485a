/**
 * Every read of an origin body goes through here, so the worker never holds more of an
 * origin's answer than a cap allows and never waits on a silent stream for ever (README
 * "Security model", "What the worker guarantees about the origin's answers"):
 *
 * - {@link readCappedText}: a whole document (JSON), refused past `maxBytes`, by `Content-Length`
 *   before reading and by counting while reading (a length can be absent or lie);
 * - {@link guardOriginStream}: a stream read only when its own reader asks (so a slow browser
 *   slows the origin read instead of filling memory), ended when the origin sends nothing for
 *   `idleMs` while the worker waits for it; {@link readWithin}, the same deadline on one read, for
 *   a reader that is not a stream (the ChatKit adapter parses the body as it reads it).
 *
 * Either way, stopping early cancels the origin body, which closes the origin connection.
 */

import { reportingStream, StreamReport } from './stream-watch';
import { TIMED_OUT, withinTime } from './within-time';

export type OriginReadFaultReason = 'idle' | 'document_too_large' | 'event_too_large' | 'answer_too_large';

/** The origin's answer broke a read limit; the message is for the log only. */
export class OriginReadFault extends Error {
  constructor(
    readonly reason: OriginReadFaultReason,
    message: string,
  ) {
    super(message);
    this.name = 'OriginReadFault';
  }
}

/** The body as text, or {@link OriginReadFault} `document_too_large` once it passes `maxBytes`. */
export async function readCappedText(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new OriginReadFault('document_too_large', `Content-Length ${declared} is over the ${maxBytes}-byte cap`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new OriginReadFault('document_too_large', `the body passed the ${maxBytes}-byte cap`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export interface StreamGuardOptions {
  /** No byte for this long, while the worker waits for one, ends the stream. */
  idleMs: number;
  /**
   * How the stream ends on idle: the default errors it with {@link OriginReadFault} `idle`; the
   * SSE pass-through instead writes its own last event and closes.
   */
  onIdle?: (controller: ReadableStreamDefaultController<Uint8Array>, fault: OriginReadFault) => void;
}

/**
 * A copy of `body` that pulls from the origin only when its reader wants the next chunk
 * (high-water mark 0: nothing is read ahead), with an idle deadline on each wait. Cancelling it
 * cancels `body`. It reports its chunks and its end (lib/stream-watch.ts), so the rollout signals
 * watch it without a stream of their own.
 */
export function guardOriginStream(body: ReadableStream<Uint8Array>, options: StreamGuardOptions): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const onIdle = options.onIdle ?? ((controller, fault) => controller.error(fault));
  const report = new StreamReport();
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await readWithin(reader, options.idleMs).catch((error: unknown) => {
            if (error instanceof OriginReadFault && error.reason === 'idle') return error;
            throw error;
          });
          if (next instanceof OriginReadFault) {
            onIdle(reportedController(controller, report), next);
          } else if (next.done) {
            controller.close();
            report.end('end');
          } else {
            controller.enqueue(next.value);
            report.chunk(next.value);
          }
        } catch (error) {
          controller.error(error);
          report.end('broken');
        }
      },
      cancel(reason) {
        report.end('cancelled');
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return reportingStream(stream, report);
}

/**
 * The next chunk, or {@link OriginReadFault} `idle` (and the body cancelled) when none comes within
 * `idleMs`. For a reader of the origin's body that is not itself a stream (the ChatKit adapter).
 */
export async function readWithin(reader: ReadableStreamDefaultReader<Uint8Array>, idleMs: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  const next = await withinTime(reader.read(), idleMs);
  if (next !== TIMED_OUT) return next;
  const fault = new OriginReadFault('idle', `the origin sent nothing for ${idleMs} ms`);
  reader.cancel(fault).catch(() => undefined);
  throw fault;
}

/** The controller `onIdle` ends the stream with, telling the report what it writes and how it ends. */
function reportedController(controller: ReadableStreamDefaultController<Uint8Array>, report: StreamReport): ReadableStreamDefaultController<Uint8Array> {
  return {
    get desiredSize() {
      return controller.desiredSize;
    },
    enqueue(chunk: Uint8Array) {
      controller.enqueue(chunk);
      report.chunk(chunk);
    },
    close() {
      controller.close();
      report.end('end');
    },
    error(reason?: unknown) {
      controller.error(reason);
      report.end('broken');
    },
  };
}

/** Time an error body may take to show its first bytes before the worker answers without them. */
const EXCERPT_WAIT_MS = 1_000;

/**
 * The start of an error body, for a log line: at most `maxChars` characters, read for at most
 * a second; the rest is never read (the body is cancelled). Empty when nothing came in time.
 */
export async function readExcerpt(response: Response, maxChars = 500): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const readStart = async () => {
    while (text.length < maxChars) {
      const next = await reader.read();
      if (next.done) return;
      text += decoder.decode(next.value, { stream: true });
    }
  };
  try {
    await withinTime(readStart(), EXCERPT_WAIT_MS);
  } catch {
    // A body that breaks off is logged as far as it came.
  } finally {
    // Also ends a read still waiting when the time ran out (it resolves as done).
    reader.cancel().catch(() => undefined);
  }
  return logExcerpt(text, maxChars);
}

/** Cuts origin text for a log line: enough to diagnose, never a whole page of it. */
export function logExcerpt(text: string, maxChars = 500): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length} chars)`;
}

const utf8 = new TextEncoder();
/** Size of `text` as UTF-8, which is what the answer cap counts. */
export function utf8Length(text: string): number {
  return utf8.encode(text).byteLength;
}

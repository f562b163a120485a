import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpAndGetToken, type SignedUpUser } from '../../origin/client';
import { waitFor } from '../helpers/wait';
import { startE2eStack, type E2eStack } from '../e2e/support/stack';
import { resilienceFigure } from '../worker/tally';

/**
 * Mixed load through `wrangler dev` to the reference origin (real Better Auth tokens, the real
 * rate limiter with its limits raised, the real flags store): three users, 50 requests in flight,
 * 10,000 requests (3,000 under CI=true). Every answer is checked for its status and for whose
 * data it carries; afterwards each user's task list must be exactly what that user created.
 */

const TOTAL = process.env.CI === 'true' ? 3_000 : 10_000;
const CONCURRENCY = 50;

type Kind = 'tasks.create' | 'tasks.list' | 'conversations.list' | 'chat' | 'flags' | 'chatkit.threads.list';
/** One round of the mix; the plan cycles through it, users taking turns. */
const MIX: readonly Kind[] = [
  'tasks.create',
  'tasks.list',
  'flags',
  'conversations.list',
  'chat',
  'tasks.create',
  'chatkit.threads.list',
  'tasks.list',
  'flags',
  'conversations.list',
];
const EXPECTED_STATUS: Record<Kind, number> = {
  'tasks.create': 201,
  'tasks.list': 200,
  'conversations.list': 200,
  chat: 200,
  flags: 200,
  'chatkit.threads.list': 200,
};

interface LoadUser {
  user: SignedUpUser;
  tag: string;
  conversationId: number;
  created: string[];
}

let stack: E2eStack;
let users: LoadUser[];

beforeAll(async () => {
  stack = await startE2eStack({
    RATE_LIMIT_API: '100000/60',
    RATE_LIMIT_CHAT: '100000/60',
    RATE_LIMIT_AUTH: '1000/60',
    RATE_LIMIT_ANONYMOUS: '100000/60',
  });
  // ChatKit (backend mode) for everyone, so `/api/chatkit` is part of the mix.
  await stack.kv.put('flags', JSON.stringify({ chatkit: { rollout_percent: 100 } }));
  users = await Promise.all(
    ['one', 'two', 'three'].map(async (name, index): Promise<LoadUser> => {
      const user = await signUpAndGetToken(stack.workerUrl, { origin: stack.workerUrl, name: `Load ${name}` });
      // One conversation each, continued by every chat request (history stays one thread).
      const res = await fetch(`${stack.workerUrl}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello' }),
      });
      expect(res.status).toBe(200);
      const { conversation_id: conversationId } = (await res.json()) as { conversation_id: number };
      return { user, tag: `load-u${index}-${crypto.randomUUID().slice(0, 8)}`, conversationId, created: [] };
    }),
  );
  await waitFor(
    async () => {
      const res = await fetch(`${stack.workerUrl}/api/flags`, { headers: { authorization: `Bearer ${users[0]!.user.token}` } });
      return ((await res.json()) as { chat: { variant: string } }).chat.variant === 'chatkit';
    },
    { timeoutMs: 30_000, intervalMs: 250, description: 'the worker to read the flags' },
  );
}, 180_000);

afterAll(async () => {
  await stack?.stopAndClean();
});

interface Outcome {
  kind: Kind;
  status: number;
  /** Why the answer was unexpected, if it was. */
  problem?: string;
}

/** Sends request number `i` of the plan and checks its answer. */
async function send(i: number): Promise<Outcome> {
  const kind = MIX[Math.floor(i / users.length) % MIX.length]!;
  const owner = users[i % users.length]!;
  const headers = { authorization: `Bearer ${owner.user.token}`, 'content-type': 'application/json' };
  const base = stack.workerUrl;
  let res: Response;
  let title: string | undefined;
  try {
    switch (kind) {
      case 'tasks.create':
        title = `${owner.tag} task ${i}`;
        res = await fetch(`${base}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ title }) });
        break;
      case 'tasks.list':
        res = await fetch(`${base}/api/v1/tasks`, { headers });
        break;
      case 'conversations.list':
        res = await fetch(`${base}/api/v1/conversations`, { headers });
        break;
      case 'chat':
        res = await fetch(`${base}/api/v1/chat`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ message: 'hello', conversation_id: owner.conversationId }),
        });
        break;
      case 'flags':
        res = await fetch(`${base}/api/flags`, { headers });
        break;
      case 'chatkit.threads.list':
        res = await fetch(`${base}/api/chatkit`, { method: 'POST', headers, body: JSON.stringify({ type: 'threads.list', params: {} }) });
        break;
    }
  } catch (error) {
    return { kind, status: 0, problem: `network error: ${error instanceof Error ? error.message : String(error)}` };
  }
  const text = await res.text();
  if (res.status !== EXPECTED_STATUS[kind]) return { kind, status: res.status, problem: text.slice(0, 200) };
  // The answer is this user's and nobody else's.
  const body = JSON.parse(text) as unknown;
  const problem = ((): string | undefined => {
    switch (kind) {
      case 'tasks.create':
        if ((body as { title?: string }).title !== title) return 'created task has another title';
        owner.created.push(title!);
        return undefined;
      case 'tasks.list':
        return (body as Array<{ title: string }>).every((task) => task.title.startsWith(`${owner.tag} `)) ? undefined : "another user's task in the list";
      case 'conversations.list':
        return (body as Array<{ id: number }>).every((c) => c.id === owner.conversationId) ? undefined : "another user's conversation in the list";
      case 'chat':
        return (body as { conversation_id?: number }).conversation_id === owner.conversationId ? undefined : 'chat answered in another conversation';
      case 'flags':
        return (body as { chat?: { variant?: string } }).chat?.variant === 'chatkit' ? undefined : 'unexpected flags';
      case 'chatkit.threads.list':
        return (body as { data: Array<{ id: string }> }).data.length === 1 ? undefined : 'unexpected thread list';
    }
  })();
  return { kind, status: res.status, ...(problem ? { problem } : {}) };
}

const loadRequests = resilienceFigure('load_requests', TOTAL);
/** One measurement: how many of the run's answers were not what they should be. */
const loadUnexpected = resilienceFigure('load_unexpected', 1);

describe(`load: ${TOTAL} mixed requests, ${CONCURRENCY} in flight, three users`, () => {
  it("every answer has its expected status and only its own user's data; each user ends with exactly the tasks they created", async () => {
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < TOTAL; i = next++) outcomes.push(await send(i));
      }),
    );

    const unexpected = outcomes.filter((outcome) => outcome.problem !== undefined);
    await loadUnexpected.record(unexpected.length);

    // Statuses per request type, e.g. {"tasks.create 201": 2000, …}: the evidence in one line.
    const byKindAndStatus: Record<string, number> = {};
    for (const { kind, status } of outcomes) byKindAndStatus[`${kind} ${status}`] = (byKindAndStatus[`${kind} ${status}`] ?? 0) + 1;
    const summary = JSON.stringify(byKindAndStatus);
    expect(outcomes, summary).toHaveLength(TOTAL);
    expect(unexpected.slice(0, 5), summary).toEqual([]);
    expect(
      outcomes.filter((outcome) => outcome.status >= 500),
      summary,
    ).toEqual([]);
    for (const kind of MIX) expect(byKindAndStatus[`${kind} ${EXPECTED_STATUS[kind]}`], `${kind} in ${summary}`).toBeGreaterThan(0);

    for (const { user, created, tag } of users) {
      const res = await fetch(`${stack.workerUrl}/api/v1/tasks`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(res.status).toBe(200);
      const titles = ((await res.json()) as Array<{ title: string }>).map((task) => task.title);
      expect(created.length).toBeGreaterThan(0);
      expect(titles, tag).toHaveLength(created.length);
      expect(new Set(titles), tag).toEqual(new Set(created));
    }
    // Counted only now, after every assertion about them passed.
    await loadRequests.record(outcomes.length);
  }, 600_000);
});

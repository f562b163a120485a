import type { CustomTask, ThreadStreamEvent, WorkflowItem } from '../../shared/chatkit';
import type { ChatReply, ChatStreamEvent } from '../../shared/origin';
import { logEvent } from '../lib/log';
import { logExcerpt, OriginReadFault, utf8Length } from '../lib/origin-read';
import { messageItemId, replyItemId, threadIdFor, workflowItemId } from './ids';
import { OriginStreamError, type ChatTurnSource, type OriginClient } from './origin-client';
import type { ChatkitEventSink } from './sse';
import { assistantMessageItem, threadFromConversation, userMessageItem, workflowItem } from './thread-items';
import { affectedTasks, taskWidgetItem } from './task-widgets';
import { taskForToolCall } from './tool-tasks';

/**
 * One chat turn, translated from the origin's chat events (`start`, `tool`*, `delta`*, `done` |
 * `error`) into ChatKit's stream, in chatkit-python's order:
 *
 *   thread.created (new thread only, untitled)
 *   thread.item.done            the user message, with the origin's id
 *   stream_options              {allow_cancel: true}
 *   [workflow item]             one per turn when the origin called tools: added, then a
 *                               `workflow.task.added` per further call, done before the answer;
 *                               each call is followed by client_effect `tasks.changed`
 *   thread.item.added           the assistant message, content []
 *   thread.item.updated         content_part.added, then one text_delta per origin `delta`
 *                               (written as it arrives), then content_part.done
 *   thread.item.done            the assistant message with the full text
 *   thread.item.done            the task widget, when the tools touched tasks (task-widgets.ts)
 *   thread.updated              new thread only: now with the title the origin gave it
 *
 * A retry (`threads.retry_after_item`) has no `thread.created` and no user echo: it starts with
 * `stream_options`, then one `thread.item.removed` per item the origin dropped, then the answer.
 * Item ids are the origin's message ids (ids.ts), so the answer streamed here is the item a later
 * listing shows.
 *
 * Every item that was `added` gets `done` or `removed`. On an origin `error` (or a broken
 * stream) the half-written assistant message is removed, since the origin did not store it and
 * it would vanish on reload anyway, and an `error` event ends the stream. Its `allow_retry` is
 * true only once the origin has stored the user message, since a retry names that message.
 */

export interface ChatTurn {
  /** `create` for threads.create: announce the new thread and, at the end, its title. `retry`
   * answers a stored user message again (no echo). */
  kind: 'create' | 'add' | 'retry';
  /** The user message exactly as sent to the origin (what it stores and lists later). */
  message: string;
  /** Retry only: the items the origin drops (those after the retried message). */
  removedItemIds?: readonly string[];
  client: OriginClient;
  requestId: string;
  /** Clock for items the origin's events carry no time for (its listings do). */
  now?: () => string;
}

export const INTERRUPTED_MESSAGE = 'The answer was interrupted. Please try again.';
/** What the user reads when the origin reports a failure: its own text may carry internals (it is logged). */
export const ORIGIN_FAILED_MESSAGE = 'The assistant could not answer this time. Please try again.';

/** A JSON-only origin's reply, replayed as the events a streaming origin would have sent. */
async function* eventsFromReply(reply: ChatReply): AsyncGenerator<ChatStreamEvent> {
  yield {
    name: 'start',
    data: { conversation_id: reply.conversation_id, user_message_id: reply.user_message_id, assistant_message_id: reply.message_id, title: reply.title },
  };
  for (const call of reply.tool_calls) yield { name: 'tool', data: call };
  yield { name: 'delta', data: { text: reply.response } };
  yield { name: 'done', data: reply };
}

interface OpenWorkflow {
  id: string;
  createdAt: string;
  tasks: CustomTask[];
}

interface OpenAnswer {
  id: string;
  createdAt: string;
  text: string;
  /** UTF-8 size of `text`, against the answer cap. */
  bytes: number;
}

/** The state machine behind {@link relayTurnAsChatkitEvents}; one instance per turn. */
class TurnTranslator {
  finished = false;
  private conversationId: number | null = null;
  private userMessageId = 0;
  /** The origin's id for the answer, from `start` (older origins: unknown). */
  private assistantMessageId: number | undefined;
  private title: string | null = null;
  private threadCreatedAt = '';
  private workflow: OpenWorkflow | null = null;
  private answer: OpenAnswer | null = null;
  private readonly now: () => string;

  constructor(
    private readonly sink: ChatkitEventSink,
    private readonly turn: ChatTurn,
  ) {
    this.now = turn.now ?? (() => new Date().toISOString());
  }

  private get threadId(): string {
    return threadIdFor(this.conversationId!);
  }

  private send(event: ThreadStreamEvent): void {
    this.sink.send(event);
  }

  async handle(event: ChatStreamEvent): Promise<void> {
    if (event.name === 'error') return this.fail(ORIGIN_FAILED_MESSAGE, 'origin_error', event.data.message);
    if (event.name === 'start') return this.start(event.data);
    if (this.conversationId === null) throw new OriginStreamError(`the origin sent "${event.name}" before "start"`);
    if (event.name === 'tool') return this.tool(event.data);
    if (event.name === 'delta') return this.delta(event.data.text);
    return this.done(event.data);
  }

  private async start(start: Extract<ChatStreamEvent, { name: 'start' }>['data']): Promise<void> {
    if (this.conversationId !== null) throw new OriginStreamError('the origin sent "start" twice');
    this.conversationId = start.conversation_id;
    this.title = start.title ?? null;
    const startedAt = this.now();
    this.threadCreatedAt = startedAt;
    if (this.turn.kind === 'create') {
      // Untitled on purpose: ChatKit threads start without a title (see `thread.updated` below).
      this.send({ type: 'thread.created', thread: threadFromConversation({ id: start.conversation_id, title: null, created_at: startedAt }) });
    }
    this.assistantMessageId = start.assistant_message_id;
    this.userMessageId = start.user_message_id ?? (await this.lookUpUserMessageId());
    if (this.turn.kind !== 'retry') {
      this.send({
        type: 'thread.item.done',
        item: userMessageItem(this.threadId, messageItemId(this.userMessageId), this.turn.message, startedAt),
      });
    }
    this.send({ type: 'stream_options', stream_options: { allow_cancel: true } });
    for (const itemId of this.turn.removedItemIds ?? []) this.send({ type: 'thread.item.removed', item_id: itemId });
  }

  /** The answer's item id and its workflow's: the origin's own id when it announced one (ids.ts). */
  private idsOfAnswer(): { answer: string; workflow: string } {
    if (this.assistantMessageId !== undefined) {
      return { answer: messageItemId(this.assistantMessageId), workflow: workflowItemId(this.assistantMessageId) };
    }
    return { answer: replyItemId(this.userMessageId), workflow: workflowItemId(this.userMessageId) };
  }

  /** An origin whose `start` lacks the user message id: the newest user message is this one. */
  private async lookUpUserMessageId(): Promise<number> {
    const detail = await this.turn.client.getConversation(this.conversationId!);
    const last = detail.messages.findLast((message) => message.role === 'user');
    if (!last) throw new OriginStreamError('the origin stored no user message for this turn');
    return last.id;
  }

  private tool(call: Extract<ChatStreamEvent, { name: 'tool' }>['data']): void {
    const task = taskForToolCall(call);
    if (!this.workflow) {
      this.workflow = { id: this.idsOfAnswer().workflow, createdAt: this.now(), tasks: [task] };
      this.send({ type: 'thread.item.added', item: this.workflowItem() });
    } else {
      this.workflow.tasks.push(task);
      this.send({
        type: 'thread.item.updated',
        item_id: this.workflow.id,
        update: { type: 'workflow.task.added', task_index: this.workflow.tasks.length - 1, task },
      });
    }
    // Lets the host page refresh its task list (`onEffect`); `data.tool` says which tool ran.
    this.send({ type: 'client_effect', name: 'tasks.changed', data: { tool: call.name } });
  }

  private workflowItem(): WorkflowItem {
    const workflow = this.workflow!;
    return workflowItem(this.threadId, workflow.id, workflow.tasks, workflow.createdAt);
  }

  /** The workflow is complete once the answer starts (the origin runs its tools first). */
  private closeWorkflow(): void {
    if (!this.workflow) return;
    this.send({ type: 'thread.item.done', item: this.workflowItem() });
    this.workflow = null;
  }

  private openAnswer(): OpenAnswer {
    if (this.answer) return this.answer;
    this.closeWorkflow();
    const answer: OpenAnswer = { id: this.idsOfAnswer().answer, createdAt: this.now(), text: '', bytes: 0 };
    this.answer = answer;
    this.send({ type: 'thread.item.added', item: { ...assistantMessageItem(this.threadId, answer.id, '', answer.createdAt), content: [] } });
    this.send({
      type: 'thread.item.updated',
      item_id: answer.id,
      update: { type: 'assistant_message.content_part.added', content_index: 0, content: { type: 'output_text', text: '', annotations: [] } },
    });
    return answer;
  }

  private delta(text: string): void {
    const answer = this.openAnswer();
    if (text === '') return;
    answer.bytes += utf8Length(text);
    this.assertWithinAnswerCap(answer.bytes);
    answer.text += text;
    this.send({
      type: 'thread.item.updated',
      item_id: answer.id,
      update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: text },
    });
  }

  private assertWithinAnswerCap(bytes: number): void {
    const cap = this.turn.client.limits.maxAnswerBytes;
    if (bytes > cap) throw new OriginReadFault('answer_too_large', `the answer passed the ${cap}-byte cap`);
  }

  private async done(reply: ChatReply): Promise<void> {
    this.assertWithinAnswerCap(utf8Length(reply.response));
    const answer = this.openAnswer();
    // The final text is the origin's `response`. If the deltas fell short of it, send the rest as
    // one more delta; if they disagree, `content_part.done` carries the text that counts.
    if (reply.response.startsWith(answer.text) && reply.response.length > answer.text.length) {
      this.delta(reply.response.slice(answer.text.length));
    }
    const text = reply.response;
    this.send({
      type: 'thread.item.updated',
      item_id: answer.id,
      update: { type: 'assistant_message.content_part.done', content_index: 0, content: { type: 'output_text', text, annotations: [] } },
    });
    this.send({ type: 'thread.item.done', item: assistantMessageItem(this.threadId, answer.id, text, answer.createdAt) });
    this.answer = null;
    // Issue 18: the task widget follows the answer; it never fails the turn.
    await this.taskWidget(reply);

    const title = reply.title ?? this.title;
    if (this.turn.kind === 'create' && title?.trim()) {
      // Same created_at as announced in `thread.created`: the client keys threads by id anyway.
      this.send({ type: 'thread.updated', thread: threadFromConversation({ id: this.conversationId!, title, created_at: this.threadCreatedAt }) });
    }
    this.finished = true;
  }

  /**
   * The answer's task widget (task-widgets.ts), rows read from the origin's task list now, as a
   * single `thread.item.done`. If the task list cannot be read the widget is left out of the
   * stream (logged); the next listing shows it.
   */
  private async taskWidget(reply: ChatReply): Promise<void> {
    const affected = affectedTasks(reply.tool_calls);
    if (affected.length === 0 || this.sink.closed) return;
    try {
      const tasks = await this.turn.client.listTasks();
      this.send({ type: 'thread.item.done', item: taskWidgetItem(this.threadId, reply.message_id, affected, tasks, this.now()) });
    } catch (error) {
      logEvent('warn', 'chatkit_task_widget_skipped', {
        request_id: this.turn.requestId,
        error: logExcerpt(error instanceof Error ? error.message : String(error)),
      });
    }
  }

  /**
   * Ends the turn with an `error` event. Whatever was opened is closed first: the workflow is
   * done (its tools did run), the unfinished answer is removed (the origin did not keep it).
   */
  fail(message: string, reason: string, originMessage?: string): void {
    if (this.finished) return;
    this.finished = true;
    logEvent('warn', 'chatkit_turn_failed', {
      request_id: this.turn.requestId,
      reason,
      conversation_id: this.conversationId,
      ...(originMessage === undefined ? {} : { origin_message: logExcerpt(originMessage) }),
    });
    if (this.conversationId !== null) {
      this.closeWorkflow();
      if (this.answer) {
        this.send({ type: 'thread.item.removed', item_id: this.answer.id });
        this.answer = null;
      }
    }
    // A retry names the stored user message: without one (no `start` yet) it would be refused.
    this.send({ type: 'error', code: 'custom', message, allow_retry: this.userMessageId > 0 });
  }
}

/**
 * Writes one chat turn to `sink` from the origin's answer (a live stream or a JSON reply) and
 * returns when the turn is over. Never throws: any failure becomes an `error` event. If the
 * browser leaves, reading stops and the origin stream is cancelled.
 */
export async function relayTurnAsChatkitEvents(sink: ChatkitEventSink, source: ChatTurnSource, turn: ChatTurn): Promise<void> {
  const events = source.kind === 'stream' ? source.events : eventsFromReply(source.reply);
  const translator = new TurnTranslator(sink, turn);
  try {
    for await (const event of events) {
      // Leaving the loop `return()`s the generator, which cancels the origin's body.
      if (sink.closed) return;
      await translator.handle(event);
      if (translator.finished) return;
      // Read on from the origin only once the browser has room for more.
      await sink.ready();
    }
    if (!sink.closed) translator.fail(INTERRUPTED_MESSAGE, 'origin_stream_ended_early');
  } catch (error) {
    // The browser hung up: the abort surfaces here as a failed read. Nobody is left to tell.
    if (sink.closed) return;
    logEvent('error', 'chatkit_origin_stream_broken', {
      request_id: turn.requestId,
      error: logExcerpt(error instanceof Error ? error.message : String(error)),
    });
    const reason =
      error instanceof OriginReadFault ? `origin_${error.reason}` : error instanceof OriginStreamError ? 'origin_protocol' : 'origin_stream_failed';
    translator.fail(INTERRUPTED_MESSAGE, reason);
  }
}

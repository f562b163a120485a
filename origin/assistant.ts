/**
 * The reference origin's task assistant: deterministic and rule-based, so tests can predict every
 * tool call and every word. It stands in for an LLM agent with four task tools; the tools really
 * change the user's task list (through {@link TaskTools}), everything else here is pure.
 */
import type { Task, TaskTools } from './store';

export type ToolName = 'add_task' | 'list_tasks' | 'complete_task' | 'delete_task';

export interface ToolCall {
  name: ToolName;
  arguments: Record<string, unknown>;
  result: unknown;
}

/** How the user pointed at a task: "task 3" / "#3", or (part of) its title. */
export type TaskRef = { id: number } | { title: string };

export type Intent =
  | { kind: 'add_task'; title: string }
  | { kind: 'list_tasks' }
  | { kind: 'complete_task'; target: TaskRef }
  | { kind: 'delete_task'; target: TaskRef }
  | { kind: 'simulated_error' }
  | { kind: 'help' };

export type AssistantOutcome =
  | { ok: true; response: string; toolCalls: ToolCall[] }
  /** The assistant failed after starting to answer: `partialResponse` is what it said first. */
  | { ok: false; partialResponse: string; error: string };

/** The phrase that makes the assistant fail on purpose, so clients' error paths can be tested. */
export const SIMULATE_ERROR_PHRASE = 'simulate error';
export const ASSISTANT_ERROR_MESSAGE = 'The assistant failed while answering.';
export const MAX_TASK_TITLE_LENGTH = 200;

export const HELP_REPLY = 'I can help you manage your tasks. Try "add a task to buy milk", "show my tasks", ' + '"complete buy milk" or "delete buy milk".';

// --- understanding the message ---------------------------------------------------------------

const POLITE_PREFIX = /^(?:(?:hey|hi|hello|ok|okay|so)\b[,!.]?\s*)?(?:please\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?/i;
const POLITE_SUFFIX = /(?:\s*,?\s*please|\s*[,;]\s*thanks?(?:\s+you)?|\s+for\s+me)?[\s.!?]*$/i;
const LIST_WORDS = String.raw`(?:tasks?|task\s+list|to-?do\s+list|to-?dos?|list)`;

const ADD_PATTERNS: readonly RegExp[] = [
  /^remind\s+me\s+to\s+(.+)$/i,
  // "add a task to buy milk", "add task buy milk", "create a new task: call mom"
  /^(?:add|create|new)\s+(?:(?:a|an|new|another)\s+)*(?:task|to-?do|item)\s*(?:(?:to|called|named|for)\s+|[:-]\s*)?(.+)$/i,
  // "add buy milk to my tasks"
  new RegExp(String.raw`^add\s+(.+?)\s+to\s+(?:my\s+|the\s+)?${LIST_WORDS}$`, 'i'),
  /^add\s+(.+)$/i,
];

const COMPLETE_PATTERNS: readonly RegExp[] = [
  /^(?:mark|set)\s+(.+?)\s+(?:as\s+)?(?:done|complete|completed|finished)$/i,
  /^(?:complete|finish|check\s+off|tick\s+off|cross\s+off)\s+(.+)$/i,
  /^(?:i(?:'ve|\s+have)?\s+)?(?:finished|completed|done\s+with)\s+(.+)$/i,
];

const DELETE_PATTERN = new RegExp(String.raw`^(?:delete|remove|drop|erase)\s+(.+?)(?:\s+from\s+(?:my\s+|the\s+)?${LIST_WORDS})?$`, 'i');

const LIST_PATTERN = new RegExp(
  String.raw`^(?:(?:show|list|see|view|display|get|give|tell)(?:\s+me)?|what(?:'s|\s+is|\s+are)?|whats|which|how\s+many|do\s+i\s+have|my|all)\b.*\b${LIST_WORDS}\b|^(?:list|tasks|to-?dos)$`,
  'i',
);

/** Quotes a user may put around a title: "buy milk", 'buy milk', “buy milk”. */
function stripQuotes(text: string): string {
  const match = /^["'“”‘’`](.*)["'“”‘’`]$/s.exec(text.trim());
  return (match?.[1] ?? text).trim();
}

function cleanTitle(raw: string): string {
  return stripQuotes(raw).replace(/\s+/g, ' ').slice(0, MAX_TASK_TITLE_LENGTH).trim();
}

/** "task 3", "#3", "3" → an id; "the buy milk task" → the title "buy milk". */
export function parseTaskRef(raw: string): TaskRef {
  const text = stripQuotes(raw);
  const byId = /^(?:task\s*)?#?(\d+)$/i.exec(text);
  if (byId?.[1]) return { id: Number(byId[1]) };
  const title = text
    .replace(/^(?:the|my)\s+/i, '')
    .replace(/^task\s+(?:(?:called|named)\s+)?/i, '')
    .replace(/\s+task$/i, '');
  return { title: stripQuotes(title) };
}

/** Decides what the user asked for. Case-insensitive; politeness around the command is ignored. */
export function parseIntent(message: string): Intent {
  if (message.toLowerCase().includes(SIMULATE_ERROR_PHRASE)) return { kind: 'simulated_error' };
  const command = message.replace(/\s+/g, ' ').trim().replace(POLITE_PREFIX, '').replace(POLITE_SUFFIX, '');

  for (const pattern of ADD_PATTERNS) {
    const raw = pattern.exec(command)?.[1];
    if (raw === undefined) continue;
    const title = cleanTitle(raw);
    // "add a task" with nothing to add: explain instead of creating a task called "a task".
    if (title === '' || /^(?:(?:a|an|new)\s+)?(?:task|to-?do)s?$/i.test(title)) return { kind: 'help' };
    return { kind: 'add_task', title };
  }
  for (const pattern of COMPLETE_PATTERNS) {
    const raw = pattern.exec(command)?.[1];
    if (raw !== undefined) return { kind: 'complete_task', target: parseTaskRef(raw) };
  }
  const toDelete = DELETE_PATTERN.exec(command)?.[1];
  if (toDelete !== undefined) return { kind: 'delete_task', target: parseTaskRef(toDelete) };
  if (LIST_PATTERN.test(command)) return { kind: 'list_tasks' };
  return { kind: 'help' };
}

/**
 * Finds the task a {@link TaskRef} points at. Titles match case-insensitively as a substring; an
 * exact title wins, then an open task (you rarely mean the finished one), then the oldest.
 */
export function findTask(tasks: readonly Task[], ref: TaskRef): Task | undefined {
  if ('id' in ref) return tasks.find((task) => task.id === ref.id);
  const wanted = ref.title.toLowerCase();
  if (wanted === '') return undefined;
  const matches = tasks.filter((task) => task.title.toLowerCase().includes(wanted));
  return matches.find((task) => task.title.toLowerCase() === wanted) ?? matches.find((task) => !task.completed) ?? matches[0];
}

// --- answering -------------------------------------------------------------------------------

export function formatTaskList(tasks: readonly Task[]): string {
  if (tasks.length === 0) return 'You have no tasks yet.';
  const lines = tasks.map((task) => `- ${task.title} (task ${task.id}${task.completed ? ', done' : ''})`);
  const heading = tasks.length === 1 ? 'You have 1 task:' : `You have ${tasks.length} tasks:`;
  return [heading, ...lines].join('\n');
}

function describeRef(ref: TaskRef): string {
  return 'id' in ref ? `task ${ref.id}` : `"${ref.title}"`;
}

function refArguments(ref: TaskRef): Record<string, unknown> {
  return 'id' in ref ? { id: ref.id } : { title: ref.title };
}

/**
 * Answers one user message, calling the task tools it needs. `onToolCall` sees each call as soon
 * as it has run (the SSE reply streams them before the answer text).
 */
export function runAssistant(message: string, tools: TaskTools, onToolCall: (call: ToolCall) => void = () => {}): AssistantOutcome {
  const toolCalls: ToolCall[] = [];
  const call = (name: ToolName, args: Record<string, unknown>, result: unknown): void => {
    const toolCall: ToolCall = { name, arguments: args, result };
    toolCalls.push(toolCall);
    onToolCall(toolCall);
  };
  const answer = (response: string): AssistantOutcome => ({ ok: true, response, toolCalls });

  const intent = parseIntent(message);
  switch (intent.kind) {
    case 'simulated_error':
      return { ok: false, partialResponse: 'Let me check that ', error: ASSISTANT_ERROR_MESSAGE };

    case 'add_task': {
      const task = tools.addTask(intent.title);
      call('add_task', { title: intent.title }, { task });
      return answer(`Added "${task.title}" to your tasks.`);
    }

    case 'list_tasks': {
      const tasks = tools.listTasks();
      call('list_tasks', {}, { tasks });
      return answer(formatTaskList(tasks));
    }

    case 'complete_task': {
      const found = findTask(tools.listTasks(), intent.target);
      const args = refArguments(intent.target);
      if (!found) {
        call('complete_task', args, { error: `No task matches ${describeRef(intent.target)}.` });
        return answer(`I couldn't find a task matching ${describeRef(intent.target)}.`);
      }
      const wasDone = found.completed;
      const task = tools.updateTask(found.id, { completed: true }) ?? found;
      call('complete_task', args, { task });
      return answer(wasDone ? `"${task.title}" was already done.` : `Marked "${task.title}" as done.`);
    }

    case 'delete_task': {
      const found = findTask(tools.listTasks(), intent.target);
      const args = refArguments(intent.target);
      if (!found) {
        call('delete_task', args, { error: `No task matches ${describeRef(intent.target)}.` });
        return answer(`I couldn't find a task matching ${describeRef(intent.target)}.`);
      }
      const task = tools.deleteTask(found.id) ?? found;
      call('delete_task', args, { deleted: true, task });
      return answer(`Deleted "${task.title}" from your tasks.`);
    }

    case 'help':
      return answer(HELP_REPLY);
  }
}

/**
 * Splits an answer into streaming chunks of a few words each. Whitespace (newlines included)
 * stays attached to the word before it, so joining the chunks gives back the exact text.
 */
export function splitIntoDeltas(text: string, wordsPerChunk = 3): string[] {
  const words = text.split(/(?<=\s)(?=\S)/);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) {
    chunks.push(words.slice(i, i + wordsPerChunk).join(''));
  }
  return chunks.filter((chunk) => chunk !== '');
}

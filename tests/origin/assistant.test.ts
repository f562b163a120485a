/** The rule-based assistant's pure parts: intents, fuzzy task lookup, formatting, chunking. */
import { describe, expect, it } from 'vitest';
import { findTask, formatTaskList, HELP_REPLY, parseIntent, parseTaskRef, runAssistant, splitIntoDeltas, type Intent } from '../../origin/assistant';
import { OriginStore, type Task } from '../../origin/store';

const task = (id: number, title: string, completed = false): Task => ({
  id,
  title,
  completed,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
});

describe('parseIntent', () => {
  const cases: Array<[string, Intent]> = [
    ['add a task to buy groceries', { kind: 'add_task', title: 'buy groceries' }],
    ['Add task buy milk', { kind: 'add_task', title: 'buy milk' }],
    ['Please add a new task: "Call the bank".', { kind: 'add_task', title: 'Call the bank' }],
    ['can you add renew passport to my tasks?', { kind: 'add_task', title: 'renew passport' }],
    ['Remind me to water the plants, thanks!', { kind: 'add_task', title: 'water the plants' }],
    ['add a task', { kind: 'help' }],
    ['show my tasks', { kind: 'list_tasks' }],
    ['List tasks', { kind: 'list_tasks' }],
    ['What are my tasks?', { kind: 'list_tasks' }],
    ["what's on my to-do list", { kind: 'list_tasks' }],
    ['complete buy milk', { kind: 'complete_task', target: { title: 'buy milk' } }],
    ['Mark the laundry task as done', { kind: 'complete_task', target: { title: 'laundry' } }],
    ['finish task 3', { kind: 'complete_task', target: { id: 3 } }],
    ['I finished #12', { kind: 'complete_task', target: { id: 12 } }],
    ['delete buy milk', { kind: 'delete_task', target: { title: 'buy milk' } }],
    ['Remove "call mom" from my list', { kind: 'delete_task', target: { title: 'call mom' } }],
    ['please SIMULATE ERROR', { kind: 'simulated_error' }],
    ['hello!', { kind: 'help' }],
    ['what is the weather like?', { kind: 'help' }],
  ];
  it.each(cases)('%s', (message, intent) => {
    expect(parseIntent(message)).toEqual(intent);
  });
});

describe('parseTaskRef / findTask', () => {
  const tasks = [task(1, 'Buy milk', true), task(2, 'buy milk and eggs'), task(3, 'Call mom')];

  it('reads ids and titles', () => {
    expect(parseTaskRef('task 7')).toEqual({ id: 7 });
    expect(parseTaskRef('#7')).toEqual({ id: 7 });
    expect(parseTaskRef('the "call mom" task')).toEqual({ title: 'call mom' });
  });

  it('matches case-insensitive substrings, preferring an exact title, then an open task', () => {
    expect(findTask(tasks, { title: 'BUY MILK' })?.id).toBe(1);
    expect(findTask(tasks, { title: 'milk' })?.id).toBe(2);
    expect(findTask(tasks, { title: 'mom' })?.id).toBe(3);
    expect(findTask(tasks, { id: 3 })?.id).toBe(3);
    expect(findTask(tasks, { title: 'laundry' })).toBeUndefined();
    expect(findTask(tasks, { title: '' })).toBeUndefined();
  });
});

describe('formatTaskList / splitIntoDeltas', () => {
  it('formats the list', () => {
    expect(formatTaskList([])).toBe('You have no tasks yet.');
    expect(formatTaskList([task(4, 'Walk the dog'), task(9, 'Pay rent', true)])).toBe('You have 2 tasks:\n- Walk the dog (task 4)\n- Pay rent (task 9, done)');
  });

  it('splits into chunks of a few words that join back exactly', () => {
    const text = 'You have 2 tasks:\n- Walk the dog (task 4)\n  - Pay rent';
    const chunks = splitIntoDeltas(text);
    expect(chunks.join('')).toBe(text);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.trim().split(/\s+/).length).toBeLessThanOrEqual(3);
    expect(splitIntoDeltas('')).toEqual([]);
    expect(splitIntoDeltas('one')).toEqual(['one']);
  });
});

describe('runAssistant', () => {
  it('changes the task list through its tools and reports each call as it runs', () => {
    const store = new OriginStore();
    const tools = store.taskToolsFor('u');
    const seen: string[] = [];
    const added = runAssistant('add a task to buy groceries', tools, (call) => seen.push(call.name));
    expect(added).toMatchObject({ ok: true, response: 'Added "buy groceries" to your tasks.' });
    expect(seen).toEqual(['add_task']);
    expect(runAssistant('complete groceries', tools)).toMatchObject({ ok: true, response: 'Marked "buy groceries" as done.' });
    expect(runAssistant('complete groceries', tools)).toMatchObject({ ok: true, response: '"buy groceries" was already done.' });
    expect(store.listTasks('u')).toMatchObject([{ title: 'buy groceries', completed: true }]);
    expect(runAssistant('delete groceries', tools)).toMatchObject({ ok: true, toolCalls: [{ name: 'delete_task', result: { deleted: true } }] });
    expect(store.listTasks('u')).toEqual([]);
    expect(runAssistant('hi', tools)).toEqual({ ok: true, response: HELP_REPLY, toolCalls: [] });
    expect(runAssistant('simulate error', tools)).toMatchObject({ ok: false, error: 'The assistant failed while answering.' });
  });
});

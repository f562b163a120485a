/** `/api/v1/tasks[/:id]`: the user's task list (the same rows the assistant's tools change). */
import { Hono } from 'hono';
import { MAX_TASK_TITLE_LENGTH } from '../assistant';
import type { OriginEnv } from '../env';
import { errorResponse, parseId, readJsonObject, readTitle, requireUser } from '../http';
import type { OriginStore, TaskPatch } from '../store';

const TASK_NOT_FOUND = 'Task not found.';

export function createTaskRoutes(store: OriginStore): Hono<OriginEnv> {
  const tasks = new Hono<OriginEnv>();
  tasks.use('*', requireUser);

  tasks.get('/', (c) => c.json(store.listTasks(c.get('userId'))));

  tasks.post('/', async (c) => {
    const body = await readJsonObject(c);
    if (!body) return errorResponse(c, 400, 'bad_request', 'Expected a JSON object body.');
    const title = readTitle(body.title, MAX_TASK_TITLE_LENGTH);
    if (title === undefined) {
      return errorResponse(c, 400, 'bad_request', `"title" must be a non-empty string of at most ${MAX_TASK_TITLE_LENGTH} characters.`);
    }
    if (body.completed !== undefined && typeof body.completed !== 'boolean') {
      return errorResponse(c, 400, 'bad_request', '"completed" must be a boolean.');
    }
    const userId = c.get('userId');
    const task = store.createTask(userId, title);
    const created = body.completed === true ? store.updateTask(userId, task.id, { completed: true }) : task;
    return c.json(created, 201);
  });

  tasks.get('/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const task = id === undefined ? undefined : store.getTask(c.get('userId'), id);
    return task ? c.json(task) : errorResponse(c, 404, 'not_found', TASK_NOT_FOUND);
  });

  tasks.patch('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const userId = c.get('userId');
    // Ownership first: another user's task must look missing even when the body is invalid.
    if (id === undefined || !store.getTask(userId, id)) return errorResponse(c, 404, 'not_found', TASK_NOT_FOUND);
    const body = await readJsonObject(c);
    if (!body) return errorResponse(c, 400, 'bad_request', 'Expected a JSON object body.');
    const patch: TaskPatch = {};
    if (body.title !== undefined) {
      const title = readTitle(body.title, MAX_TASK_TITLE_LENGTH);
      if (title === undefined) {
        return errorResponse(c, 400, 'bad_request', `"title" must be a non-empty string of at most ${MAX_TASK_TITLE_LENGTH} characters.`);
      }
      patch.title = title;
    }
    if (body.completed !== undefined) {
      if (typeof body.completed !== 'boolean') return errorResponse(c, 400, 'bad_request', '"completed" must be a boolean.');
      patch.completed = body.completed;
    }
    const task = Object.keys(patch).length > 0 ? store.updateTask(userId, id, patch) : store.getTask(userId, id);
    return task ? c.json(task) : errorResponse(c, 404, 'not_found', TASK_NOT_FOUND);
  });

  tasks.delete('/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const deleted = id === undefined ? undefined : store.deleteTask(c.get('userId'), id);
    return deleted ? c.body(null, 204) : errorResponse(c, 404, 'not_found', TASK_NOT_FOUND);
  });

  return tasks;
}

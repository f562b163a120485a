/** `/api/v1/conversations[/:id]`: the chat history shared by the legacy chat and ChatKit. */
import { Hono } from 'hono';
import type { OriginEnv } from '../env';
import { errorResponse, parseId, readJsonObject, readTitle, requireUser } from '../http';
import type { OriginStore } from '../store';

export const MAX_CONVERSATION_TITLE_LENGTH = 200;
const CONVERSATION_NOT_FOUND = 'Conversation not found.';

export function createConversationRoutes(store: OriginStore): Hono<OriginEnv> {
  const conversations = new Hono<OriginEnv>();
  conversations.use('*', requireUser);

  conversations.get('/', (c) => c.json(store.listConversations(c.get('userId'))));

  conversations.get('/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const conversation = id === undefined ? undefined : store.getConversationWithMessages(c.get('userId'), id);
    return conversation ? c.json(conversation) : errorResponse(c, 404, 'not_found', CONVERSATION_NOT_FOUND);
  });

  conversations.patch('/:id', async (c) => {
    const id = parseId(c.req.param('id'));
    const userId = c.get('userId');
    if (id === undefined || !store.getConversation(userId, id)) {
      return errorResponse(c, 404, 'not_found', CONVERSATION_NOT_FOUND);
    }
    const body = await readJsonObject(c);
    const title = body && readTitle(body.title, MAX_CONVERSATION_TITLE_LENGTH);
    if (title === undefined) {
      return errorResponse(c, 400, 'bad_request', `Expected {"title": a non-empty string of at most ${MAX_CONVERSATION_TITLE_LENGTH} characters}.`);
    }
    const conversation = store.renameConversation(userId, id, title);
    return conversation ? c.json(conversation) : errorResponse(c, 404, 'not_found', CONVERSATION_NOT_FOUND);
  });

  conversations.delete('/:id', (c) => {
    const id = parseId(c.req.param('id'));
    const deleted = id !== undefined && store.deleteConversation(c.get('userId'), id);
    return deleted ? c.body(null, 204) : errorResponse(c, 404, 'not_found', CONVERSATION_NOT_FOUND);
  });

  return conversations;
}

/** `/__origin/*`: the test harness's window into the origin (outside `/api/`, never proxied). */
import { Hono } from 'hono';
import type { OriginEnv } from '../env';
import type { RecordedRequest } from '../recorder';

export function createControlRoutes(requests: RecordedRequest[]): Hono<OriginEnv> {
  const control = new Hono<OriginEnv>();
  control.get('/health', (c) => c.json({ ok: true }));
  control.get('/requests', (c) => c.json(requests));
  control.post('/reset', (c) => {
    // Emptied in place: the array is shared with the recorder and with `state.requests`.
    requests.length = 0;
    return c.json({ ok: true });
  });
  return control;
}

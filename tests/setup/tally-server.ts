import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { isFigureName, type FigureName, type FigureTally } from './resilience-figures';

/**
 * Collects the resilience figures that tests in every project report (tests/worker/tally.ts),
 * so the run can end with one summary line built from what the assertions really checked.
 *
 * - `POST /declare {"figure","total"}`: a test file's expected total for a figure.
 * - `POST /record {"figure","value"}`: one recording (a count, or one measurement).
 *
 * Anything else, an unknown figure or a malformed body is a 400, which fails the test that sent
 * it: a count that was not stored must not look stored.
 */

const WriteSchema = v.object({
  figure: v.pipe(v.string(), v.check(isFigureName, 'unknown figure')),
  total: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  value: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});

export async function startTallyServer() {
  const tallies = new Map<FigureName, FigureTally>();
  const tallyOf = (figure: FigureName) => {
    let tally = tallies.get(figure);
    if (!tally) {
      tally = { declared: 0, value: 0, observations: 0 };
      tallies.set(figure, tally);
    }
    return tally;
  };

  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const action = req.method === 'POST' ? req.url : undefined;
      if (action !== '/declare' && action !== '/record') return answer(404, { error: 'unknown route' });
      let write: v.InferOutput<typeof WriteSchema>;
      try {
        write = v.parse(WriteSchema, JSON.parse(text));
      } catch (error) {
        return answer(400, { error: error instanceof Error ? error.message : String(error) });
      }
      const tally = tallyOf(write.figure as FigureName);
      if (action === '/declare') {
        if (write.total === undefined) return answer(400, { error: 'total missing' });
        tally.declared += write.total;
      } else {
        if (write.value === undefined) return answer(400, { error: 'value missing' });
        tally.value += write.value;
        tally.observations += 1;
      }
      answer(200, tally);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tallies: (): Partial<Record<FigureName, FigureTally>> => Object.fromEntries(tallies),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

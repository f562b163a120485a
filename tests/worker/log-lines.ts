/**
 * The worker's structured log lines (worker/lib/log.ts) captured by a `vi.spyOn(console, …)`,
 * filtered to one event name. Lines that are not JSON (another library's output) are skipped.
 */
export function loggedEvents(spy: { mock: { calls: unknown[][] } }, event: string): Array<Record<string, unknown>> {
  return spy.mock.calls
    .map((args) => {
      try {
        return JSON.parse(String(args[0])) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((line) => line.event === event);
}

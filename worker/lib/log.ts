/**
 * One JSON object per line, so Workers Logs / `wrangler tail` can filter on fields.
 * Callers pass only fields that are safe to keep: never a token, a client secret or a key.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function logEvent(level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

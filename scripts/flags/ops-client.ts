import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './flag-edits';

/**
 * How `guard` and `report` reach the worker's ops routes (`/api/ops/*`, behind `OPS_TOKEN`): the
 * embedded signal store lives inside the worker, so the worker runs the same code as its cron.
 *
 * - `--local`: the `npm run dev` worker; `scripts/dev/stack.ts` writes its URL and generated
 *   token to `<state dir>/dev-ops.json` (`.wrangler/state`, or `--persist-to`; git-ignored).
 * - `--remote`: `OPS_URL` (the deployed worker) and `OPS_TOKEN` from the environment.
 * `--url` and `OPS_TOKEN` override either.
 */
export interface OpsTarget {
  url: string;
  token: string;
}

export const DEV_OPS_FILE = 'dev-ops.json';

export function devOpsFile(root: string, persistTo: string | undefined): string {
  return join(persistTo ?? join(root, '.wrangler', 'state'), DEV_OPS_FILE);
}

export function resolveOpsTarget(options: { location: 'local' | 'remote'; root: string; persistTo?: string; url?: string }): OpsTarget {
  let url = options.url ?? (options.location === 'remote' ? process.env.OPS_URL : undefined);
  let token = process.env.OPS_TOKEN;
  if (options.location === 'local') {
    const file = devOpsFile(options.root, options.persistTo);
    if (existsSync(file)) {
      const dev = JSON.parse(readFileSync(file, 'utf8')) as { url?: string; token?: string };
      url ??= dev.url;
      token ??= dev.token;
    }
    if (!url || !token) throw new UsageError(`no local worker found (${file} is written by npm run dev); start it, or pass --url and OPS_TOKEN`);
  }
  if (!url) throw new UsageError('--remote needs the worker URL: set OPS_URL (or pass --url)');
  if (!token) throw new UsageError("set OPS_TOKEN to the worker's OPS_TOKEN secret");
  return { url: url.replace(/\/+$/, ''), token };
}

export async function callOps<T>(target: OpsTarget, method: 'GET' | 'POST', path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}${path}`, { method, headers: { authorization: `Bearer ${target.token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new Error(`cannot reach the worker at ${target.url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await res.text();
  if (res.status === 404) throw new Error(`${target.url}${path} answered 404: is OPS_TOKEN set on that worker?`);
  if (!res.ok) throw new Error(`${target.url}${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

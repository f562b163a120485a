import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);

/**
 * Sizes as shipped: the worker bundle from `wrangler deploy --dry-run --outdir` (the exact build
 * `wrangler deploy` would upload) and the SPA from `vite build`. gzip is zlib's default level (6),
 * computed here on the output files; 1 kB = 1000 bytes (what Vite prints).
 */

export const gzipBytes = (buffer: Buffer): number => gzipSync(buffer).length;

export interface FileSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

function sizeOf(dir: string, file: string): FileSize {
  const buffer = readFileSync(join(dir, file));
  return { file, bytes: buffer.length, gzipBytes: gzipBytes(buffer) };
}

function sum(files: FileSize[]): { bytes: number; gzipBytes: number } {
  return files.reduce((acc, f) => ({ bytes: acc.bytes + f.bytes, gzipBytes: acc.gzipBytes + f.gzipBytes }), { bytes: 0, gzipBytes: 0 });
}

// --- the SPA ---------------------------------------------------------------------------------------

export async function buildSpa(root: string, outDir: string): Promise<number> {
  const started = Date.now();
  await run(join(root, 'node_modules', '.bin', 'vite'), ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  return Date.now() - started;
}

/** `import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`; never `import("./x.js")`. */
const STATIC_IMPORT = /(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{}\s,]*?\s*from\s*)?["']([^"']+\.js)["']/g;

function staticImports(dir: string, file: string): string[] {
  const code = readFileSync(join(dir, file), 'utf8');
  const found: string[] = [];
  for (const match of code.matchAll(STATIC_IMPORT)) {
    const specifier = match[1]!;
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) continue;
    found.push(specifier.startsWith('/') ? specifier.slice(1) : posix.normalize(posix.join(posix.dirname(file), specifier)));
  }
  return found;
}

function closure(dir: string, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...staticImports(dir, file));
  }
  return seen;
}

export interface SpaSizes {
  outDir: string;
  buildMs: number;
  /** The entry script(s) of index.html, their modulepreloads and static imports. */
  initialJs: FileSize[];
  initialJsTotal: { bytes: number; gzipBytes: number };
  initialCss: FileSize[];
  /** The lazy ChatKitPage chunk. */
  chatkitChunk: FileSize | null;
  /** Static imports of the ChatKit chunk not already loaded initially (loaded with it). */
  chatkitExtra: FileSize[];
  chatkitTotal: { bytes: number; gzipBytes: number };
  /** True when the ChatKit chunk is not part of the initial JS. */
  chatkitSplit: boolean;
  allJs: FileSize[];
}

export function measureSpa(outDir: string, buildMs: number): SpaSizes {
  const html = readFileSync(join(outDir, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  const css = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  const local = (path: string) => path.replace(/^\//, '');
  const initial = closure(outDir, [...entries, ...preloads].map(local));
  const assets = readdirSync(join(outDir, 'assets'));
  const allJs = assets.filter((f) => f.endsWith('.js')).map((f) => sizeOf(outDir, `assets/${f}`));
  const chatkitFile = assets.find((f) => /^ChatKitPage[-.].*\.js$/.test(f));
  const chatkitChunk = chatkitFile ? sizeOf(outDir, `assets/${chatkitFile}`) : null;
  const chatkitExtra = chatkitFile
    ? [...closure(outDir, [`assets/${chatkitFile}`])].filter((f) => f !== `assets/${chatkitFile}` && !initial.has(f)).map((f) => sizeOf(outDir, f))
    : [];
  const initialJs = [...initial].map((f) => sizeOf(outDir, f));
  return {
    outDir,
    buildMs,
    initialJs,
    initialJsTotal: sum(initialJs),
    initialCss: css.map((f) => sizeOf(outDir, local(f))),
    chatkitChunk,
    chatkitExtra,
    chatkitTotal: sum(chatkitChunk ? [chatkitChunk, ...chatkitExtra] : []),
    chatkitSplit: chatkitFile !== undefined && !initial.has(`assets/${chatkitFile}`),
    allJs,
  };
}

// --- the worker ------------------------------------------------------------------------------------

export interface WorkerBundle {
  /** Whether wrangler.toml sets `minify = true` (the build below is as configured either way). */
  minifyConfigured: boolean;
  /** As configured. */
  bytes: number;
  gzipBytes: number;
  /** Wrangler's own "Total Upload: … / gzip: …" line, for cross-checking. */
  wranglerSays: string | null;
  /** The same with `--minify`, for comparison only (null when minify is already configured). */
  minified: { bytes: number; gzipBytes: number; wranglerSays: string | null } | null;
  /** Bytes each package / source folder contributes to the output as configured, largest first. */
  contributors: { name: string; bytes: number }[];
}

async function dryRun(
  root: string,
  outDir: string,
  assetsDir: string,
  extra: string[],
): Promise<{ bytes: number; gzipBytes: number; wranglerSays: string | null }> {
  const { stdout, stderr } = await run(
    join(root, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outDir, '--assets', assetsDir, ...extra],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' }, maxBuffer: 16 * 1024 * 1024 },
  );
  const js = readdirSync(outDir).filter((f) => f.endsWith('.js') || f.endsWith('.mjs'));
  const total = sum(js.map((f) => sizeOf(outDir, f)));
  const said = /Total Upload:[^\n]*/.exec(`${stdout}\n${stderr}`)?.[0]?.trim() ?? null;
  return { ...total, wranglerSays: said };
}

/**
 * The deploy build alone (`wrangler deploy --dry-run --outdir`, minify and source map as configured),
 * for when the sizes section did not run; returns the path of the bundle's `index.js`.
 */
export async function buildWorkerBundle(root: string, outDir: string, assetsDir: string, extra: string[] = []): Promise<string> {
  await dryRun(root, outDir, assetsDir, extra);
  return join(outDir, 'index.js');
}

/** Where measureWorkerBundle leaves the bundle as configured (what `wrangler deploy` would upload). */
export const workerBundlePath = (tmp: string): string => join(tmp, 'worker-bundle', 'index.js');

export async function measureWorkerBundle(root: string, tmp: string, assetsDir: string, { compareMinified = true } = {}): Promise<WorkerBundle> {
  const plainDir = dirname(workerBundlePath(tmp));
  const minifyConfigured = /^\s*minify\s*=\s*true\b/m.test(readFileSync(join(root, 'wrangler.toml'), 'utf8'));
  const plain = await dryRun(root, plainDir, assetsDir, ['--metafile', join(tmp, 'worker-meta.json')]);
  let minified: WorkerBundle['minified'] = null;
  if (!minifyConfigured && compareMinified) {
    try {
      minified = await dryRun(root, join(tmp, 'worker-bundle-min'), assetsDir, ['--minify']);
    } catch {
      minified = null;
    }
  }
  const contributors = new Map<string, number>();
  try {
    const meta = JSON.parse(readFileSync(join(tmp, 'worker-meta.json'), 'utf8')) as {
      outputs: Record<string, { inputs?: Record<string, { bytesInOutput: number }> }>;
    };
    for (const [name, output] of Object.entries(meta.outputs)) {
      if (!name.endsWith('.js')) continue;
      for (const [input, info] of Object.entries(output.inputs ?? {})) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
        const key =
          pkg ??
          input
            .replace(/^(\.\.\/)+/, '')
            .split('/')
            .slice(0, 2)
            .join('/');
        contributors.set(key, (contributors.get(key) ?? 0) + info.bytesInOutput);
      }
    }
  } catch {
    /* no metafile: no breakdown */
  }
  return {
    minifyConfigured,
    ...plain,
    minified,
    contributors: [...contributors]
      .map(([name, bytes]) => ({ name, bytes }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 12),
  };
}

/**
 * `npm run flags -- <command> [--local | --remote] [--env <name>] [--persist-to <dir>]`
 *
 *   status                 raw KV values and what they resolve to
 *   rollback on|off        the kill switch: everyone to the legacy chat, or back
 *   rollout <0-100>        percentage of users (sticky buckets) on ChatKit
 *   allow <user-id>        always ChatKit for this user      deny <user-id>   never ChatKit
 *   unlist <user-id>       remove a user from both lists
 *   bucket <user-id>       which rollout bucket (0-99) a user is in
 *   plan [--stages 10,50,100 --min-turns 200 --max-error-delta 2 --max-ttft-ratio 1.5
 *         --max-fallback-rate 5 --dwell 24h --auto-advance]   show or set the rollout plan
 *   guard [--json] [--dry-run]                    one guard evaluation now (the cron's code)
 *   report [--since 1h] [--json] [--html FILE]    per-variant health and the guard's verdict
 *   history [--limit 20] [--json]                 the audit trail (every flag change)
 *
 * Everything is validated with the worker's own schema before anything is written; a bad
 * value exits 2 and writes nothing. Every change is appended to the audit trail with the
 * operator's name. Defaults to --local (the `npm run dev` worker). README "Operations".
 */
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import {
  DEFAULT_FLAGS,
  KV_KEY_FLAGS,
  KV_KEY_ROLLBACK,
  parseFlagsDocument,
  parseRollbackValue,
  resolveChatVariant,
  rolloutBucket,
  type FlagsDocument,
} from '../shared/flags';
import {
  formatDuration,
  KV_KEY_GUARD_STATE,
  KV_KEY_PLAN,
  type GuardState,
  parseDuration,
  parseJsonWith,
  RolloutPlanSchema,
  type GuardRun,
  type RolloutPlan,
  type RolloutReport,
} from '../shared/rollout';
import { formatHistory, KV_KEY_AUDIT, operatorName, parseAudit, writeWithAudit } from './flags/audit';
import { applyFlagEdit, describeFlagChanges, parseRolloutPercent, parseUserId, UsageError, type FlagEdit } from './flags/flag-edits';
import { callOps, resolveOpsTarget } from './flags/ops-client';
import { guardText, reportHtml, reportJson, reportText } from './flags/report-format';
import { WranglerKv, type KvTarget } from './flags/wrangler-kv';

const USAGE = `usage: npm run flags -- <status | rollback on|off | rollout <0-100> | allow|deny|unlist|bucket <user-id> | plan [options] | guard [--json] [--dry-run] | report [--since 1h] [--json] [--html FILE] | history [--limit N] [--json]> [--local | --remote] [--env <name>] [--persist-to <dir>] [--url <worker url>]`;

const OPTIONS = {
  local: { type: 'boolean' },
  remote: { type: 'boolean' },
  env: { type: 'string' },
  'persist-to': { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  since: { type: 'string' },
  html: { type: 'string' },
  limit: { type: 'string' },
  stages: { type: 'string' },
  'min-turns': { type: 'string' },
  'max-error-delta': { type: 'string' },
  'max-ttft-ratio': { type: 'string' },
  'max-fallback-rate': { type: 'string' },
  dwell: { type: 'string' },
  'auto-advance': { type: 'boolean' },
} as const;
type OptionName = keyof typeof OPTIONS;

const COMMON: OptionName[] = ['local', 'remote', 'env', 'persist-to'];
const PLAN_OPTIONS: OptionName[] = ['stages', 'min-turns', 'max-error-delta', 'max-ttft-ratio', 'max-fallback-rate', 'dwell', 'auto-advance'];
/** Options each command takes beyond the common ones; anything else is a usage error. */
const COMMAND_OPTIONS: Record<string, OptionName[]> = {
  status: [],
  rollback: [],
  rollout: [],
  allow: [],
  deny: [],
  unlist: [],
  bucket: [],
  plan: PLAN_OPTIONS,
  guard: ['json', 'dry-run', 'url'],
  report: ['since', 'json', 'html', 'url'],
  history: ['limit', 'json'],
};

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

interface Parsed {
  command: string;
  args: string[];
  values: Values;
  target: KvTarget;
}

function parseCommandLine(argv: string[], cwd: string): Parsed {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages are good ("Unknown option '--x'", "Option '--env <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (!command) throw new UsageError('no command given');
  const allowed = COMMAND_OPTIONS[command];
  if (!allowed) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  for (const name of Object.keys(values) as OptionName[]) {
    if (!COMMON.includes(name) && !allowed.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  if (values.local && values.remote) throw new UsageError('choose one of --local and --remote');
  const persistTo = values['persist-to'] === undefined ? undefined : resolve(values['persist-to']);
  return { command, args, values, target: { location: values.remote ? 'remote' : 'local', env: values.env, persistTo, cwd } };
}

function readFlags(raw: string | null): { raw: string | null; doc: FlagsDocument; problem: string | null } {
  if (raw === null) return { raw, doc: DEFAULT_FLAGS, problem: null };
  const parsed = parseFlagsDocument(raw);
  return parsed.ok ? { raw, doc: parsed.value, problem: null } : { raw, doc: DEFAULT_FLAGS, problem: parsed.error };
}

function editFor(command: string, args: string[]): FlagEdit | null {
  switch (command) {
    case 'rollout':
      return { kind: 'rollout', percent: parseRolloutPercent(args[0]) };
    case 'allow':
    case 'deny':
    case 'unlist':
      return { kind: command, userId: parseUserId(args[0]) };
    default:
      return null;
  }
}

const number = (name: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${name} takes a number (got ${JSON.stringify(text)})`);
  return value;
};

/** Builds the plan from the options (defaults: the issue's 10,50,100 / 200 / 2 / 1.5 / 5 / 24h). */
function planFrom(values: Values, actor: string): RolloutPlan {
  const stages = (values.stages ?? '10,50,100').split(',').map((stage) => number('stages', stage.trim(), NaN));
  const dwell = parseDuration(values.dwell ?? '24h');
  if (dwell === null) throw new UsageError(`--dwell takes a duration like 30m, 24h or 7d (got ${JSON.stringify(values.dwell)})`);
  const candidate = {
    stages,
    min_turns: number('min-turns', values['min-turns'], 200),
    max_error_delta: number('max-error-delta', values['max-error-delta'], 2),
    max_ttft_ratio: number('max-ttft-ratio', values['max-ttft-ratio'], 1.5),
    max_fallback_rate: number('max-fallback-rate', values['max-fallback-rate'], 5),
    dwell_seconds: dwell,
    auto_advance: values['auto-advance'] ?? false,
    updated_at: new Date().toISOString(),
    updated_by: actor,
  };
  const result = v.safeParse(RolloutPlanSchema, candidate);
  if (!result.success) throw new UsageError(`invalid plan: ${result.issues.map((issue) => `${v.getDotPath(issue) ?? 'plan'}: ${issue.message}`).join('; ')}`);
  return result.output;
}

/** The guard state of a stage that begins now (shared/rollout.ts `GuardState`). */
function stageStartingNow(rolloutPercent: number): Record<string, string> {
  const state: GuardState = { stage_percent: rolloutPercent, stage_entered_at: new Date().toISOString() };
  return { [KV_KEY_GUARD_STATE]: JSON.stringify(state) };
}

function describePlan(plan: RolloutPlan): string[] {
  return [
    `  stages ${plan.stages.join(' → ')} %, dwell ${formatDuration(plan.dwell_seconds)} per stage, auto-advance ${plan.auto_advance ? 'on' : 'off'}`,
    `  roll back when, with ≥ ${plan.min_turns} turns per variant, ChatKit's error rate exceeds legacy's by > ${plan.max_error_delta} points (95 % confidence),`,
    `  or its p95 time to first token is > ${plan.max_ttft_ratio}× legacy's, or browser fallbacks exceed ${plan.max_fallback_rate} % of ChatKit page loads`,
  ];
}

async function main(argv: string[]): Promise<number> {
  const cwd = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { command, args, values, target } = parseCommandLine(argv, cwd);
  const where = `${target.location}${target.env ? `, env ${target.env}` : ''}`;
  const kv = new WranglerKv(target);
  const ops = () => resolveOpsTarget({ location: target.location, root: cwd, persistTo: target.persistTo, url: values.url });

  if (command === 'bucket') {
    const userId = parseUserId(args[0]);
    console.log(`${userId} is in rollout bucket ${rolloutBucket(userId)} (on ChatKit when rollout_percent > ${rolloutBucket(userId)})`);
    return 0;
  }

  if (command === 'status') {
    const raw = await kv.getMany([KV_KEY_ROLLBACK, KV_KEY_FLAGS]);
    const rawRollback = raw[KV_KEY_ROLLBACK] ?? null;
    const rollback = rawRollback === null ? { ok: true as const, value: false } : parseRollbackValue(rawRollback);
    const flags = readFlags(raw[KV_KEY_FLAGS] ?? null);
    console.log(`KV (${where})`);
    console.log(
      `  rollback = ${rawRollback === null ? '(not set)' : JSON.stringify(rawRollback)}${rollback.ok ? '' : `  ← INVALID (${rollback.error}); the worker keeps its last good value`}`,
    );
    console.log(
      `  flags    = ${flags.raw === null ? '(not set)' : flags.raw.length > 500 ? `${flags.raw.slice(0, 500)}… (${flags.raw.length} bytes)` : flags.raw}${flags.problem ? `  ← INVALID (${flags.problem}); the worker keeps its last good value` : ''}`,
    );
    const rollbackOn = rollback.ok && rollback.value;
    const { rollout_percent, allow_users, deny_users } = flags.doc.chatkit;
    console.log('Resolves to');
    console.log(
      rollbackOn
        ? '  ROLLBACK ON: everyone gets the legacy chat'
        : `  ChatKit for ${rollout_percent}% of users (sticky buckets), ${allow_users.length} always-on, ${deny_users.length} never`,
    );
    for (const userId of args) {
      const verdict = resolveChatVariant({ rollback: rollbackOn, chatkitConfigured: true, flags: flags.doc }, userId);
      console.log(`  ${userId}: ${verdict.variant} (${verdict.reason}, bucket ${rolloutBucket(userId)})`);
    }
    console.log('  (the ROLLBACK_CHAT var and a hosted mode without OpenAI credentials also force legacy)');
    return 0;
  }

  if (command === 'rollback') {
    const state = args[0];
    if (state !== 'on' && state !== 'off') throw new UsageError(`rollback takes on or off (got ${state === undefined ? 'nothing' : JSON.stringify(state)})`);
    const raw = await kv.getMany([KV_KEY_ROLLBACK, KV_KEY_AUDIT]);
    const before = raw[KV_KEY_ROLLBACK] ?? null;
    const value = state === 'on' ? 'true' : 'false';
    await writeWithAudit(kv, { [KV_KEY_ROLLBACK]: value }, raw[KV_KEY_AUDIT] ?? null, {
      actor: operatorName(cwd),
      action: `rollback ${state}`,
      before: { rollback: before === null ? false : before.trim() === 'true' },
      after: { rollback: state === 'on' },
    });
    console.log(`rollback: ${before === null ? '(not set)' : before.trim()} → ${value}  [${where}]`);
    console.log(
      state === 'on' ? 'Everyone gets the legacy chat on their next page load (within the documented bound).' : 'ChatKit is back for users in the rollout.',
    );
    return 0;
  }

  if (command === 'plan') {
    const setting = PLAN_OPTIONS.some((name) => values[name] !== undefined);
    const actor = operatorName(cwd);
    // Validated before anything is read or written.
    const plan = setting ? planFrom(values, actor) : null;
    const raw = await kv.getMany([KV_KEY_PLAN, KV_KEY_AUDIT, KV_KEY_FLAGS]);
    const current = parseJsonWith(RolloutPlanSchema, raw[KV_KEY_PLAN] ?? null);
    if (!plan) {
      if (!current)
        console.log(
          `no rollout plan  [${where}]  (npm run flags -- plan --stages 10,50,100 --min-turns 200 --max-error-delta 2 --max-ttft-ratio 1.5 --dwell 24h)`,
        );
      else
        console.log([`rollout plan  [${where}]  (set by ${current.updated_by ?? '?'} at ${current.updated_at ?? '?'})`, ...describePlan(current)].join('\n'));
      return 0;
    }
    // The guard judges the current stage from now on (its window starts when the stage did).
    const stage = stageStartingNow(readFlags(raw[KV_KEY_FLAGS] ?? null).doc.chatkit.rollout_percent);
    await writeWithAudit(kv, { [KV_KEY_PLAN]: JSON.stringify(plan), ...stage }, raw[KV_KEY_AUDIT] ?? null, {
      actor,
      action: 'plan',
      before: current,
      after: plan,
    });
    console.log([`rollout plan set  [${where}]`, ...describePlan(plan)].join('\n'));
    return 0;
  }

  if (command === 'guard') {
    const run = await callOps<GuardRun>(ops(), 'POST', `/api/ops/guard${values['dry-run'] ? '?dry_run=1' : ''}`);
    console.log(values.json ? JSON.stringify(run, null, 2) : guardText(run, where).join('\n'));
    return 0;
  }

  if (command === 'report') {
    const since = values.since ?? '1h';
    if (parseDuration(since) === null) throw new UsageError(`--since takes a duration like 30m, 1h or 7d (got ${JSON.stringify(since)})`);
    const report = await callOps<RolloutReport>(ops(), 'GET', `/api/ops/report?since=${encodeURIComponent(since)}`);
    if (values.html) {
      writeFileSync(values.html, reportHtml(report, where));
      if (!values.json) console.log(`wrote ${values.html}`);
    }
    if (values.json) console.log(JSON.stringify(reportJson(report), null, 2));
    else if (!values.html) console.log(reportText(report, where).join('\n'));
    return 0;
  }

  if (command === 'history') {
    const limit = number('limit', values.limit, 20);
    const entries = parseAudit(await kv.get(KV_KEY_AUDIT)).slice(-Math.max(1, Math.floor(limit)));
    console.log(values.json ? JSON.stringify(entries, null, 2) : [`audit trail  [${where}]  (newest last)`, ...formatHistory(entries)].join('\n'));
    return 0;
  }

  const edit = editFor(command, args);
  if (!edit) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const raw = await kv.getMany([KV_KEY_FLAGS, KV_KEY_AUDIT]);
  const current = readFlags(raw[KV_KEY_FLAGS] ?? null);
  if (current.problem) console.warn(`warning: the stored flags value is invalid (${current.problem}); starting from the defaults`);
  const next = applyFlagEdit(current.doc, edit);
  const changes = describeFlagChanges(current.doc, next);
  if (changes.length === 0 && !current.problem && current.raw !== null) {
    console.log(`flags: no change  [${where}]`);
    return 0;
  }
  // A new rollout percentage is a new stage for the guard: its window and dwell start now.
  const stage = next.chatkit.rollout_percent !== current.doc.chatkit.rollout_percent ? stageStartingNow(next.chatkit.rollout_percent) : {};
  await writeWithAudit(kv, { [KV_KEY_FLAGS]: JSON.stringify(next), ...stage }, raw[KV_KEY_AUDIT] ?? null, {
    actor: operatorName(cwd),
    action: `${command}${args[0] ? ` ${args[0]}` : ''}`,
    before: current.doc.chatkit,
    after: next.chatkit,
  });
  console.log(`flags  [${where}]`);
  for (const line of changes.length ? changes : ['(rewritten with the same settings)']) console.log(`  ${line}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

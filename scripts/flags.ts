/**
 * `npm run flags -- <command> [--local | --remote] [--env <name>] [--persist-to <dir>]`
 *
 *   status                 raw KV values and what they resolve to
 *   rollback on|off        the kill switch: everyone to the legacy chat, or back
 *   rollout <0-100>        percentage of users (sticky buckets) on ChatKit
 *   allow <user-id>        always ChatKit for this user      deny <user-id>   never ChatKit
 *   unlist <user-id>       remove a user from both lists
 *   bucket <user-id>       which rollout bucket (0-99) a user is in
 *
 * Everything is validated with the worker's own schema before anything is written; a bad
 * value exits non-zero and writes nothing. Defaults to --local (the `npm run dev` worker).
 */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
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
import { applyFlagEdit, describeFlagChanges, parseRolloutPercent, parseUserId, UsageError, type FlagEdit } from './flags/flag-edits';
import { WranglerKv, type KvTarget } from './flags/wrangler-kv';

const USAGE = `usage: npm run flags -- <status | rollback on|off | rollout <0-100> | allow|deny|unlist|bucket <user-id>> [--local | --remote] [--env <name>] [--persist-to <dir>]`;

interface Parsed {
  command: string;
  args: string[];
  target: KvTarget;
}

function parseArgs(argv: string[], cwd: string): Parsed {
  const positional: string[] = [];
  let location: KvTarget['location'] | undefined;
  let env: string | undefined;
  let persistTo: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--local' || arg === '--remote') {
      const wanted = arg === '--local' ? 'local' : 'remote';
      if (location && location !== wanted) throw new UsageError('choose one of --local and --remote');
      location = wanted;
    } else if (arg === '--env' || arg === '--persist-to') {
      const value = argv[++i];
      if (!value || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      if (arg === '--env') env = value;
      else persistTo = resolve(value);
    } else if (arg.startsWith('--')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  const [command, ...args] = positional;
  if (!command) throw new UsageError('no command given');
  return { command, args, target: { location: location ?? 'local', env, persistTo, cwd } };
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

async function main(argv: string[]): Promise<number> {
  const cwd = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { command, args, target } = parseArgs(argv, cwd);
  const where = `${target.location}${target.env ? `, env ${target.env}` : ''}`;
  const kv = new WranglerKv(target);

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
    console.log(`  rollback = ${rawRollback === null ? '(not set)' : JSON.stringify(rawRollback)}${rollback.ok ? '' : `  ← INVALID (${rollback.error}); the worker keeps its last good value`}`);
    console.log(`  flags    = ${flags.raw === null ? '(not set)' : flags.raw.length > 500 ? `${flags.raw.slice(0, 500)}… (${flags.raw.length} bytes)` : flags.raw}${flags.problem ? `  ← INVALID (${flags.problem}); the worker keeps its last good value` : ''}`);
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
    const before = await kv.get(KV_KEY_ROLLBACK);
    const value = state === 'on' ? 'true' : 'false';
    await kv.put(KV_KEY_ROLLBACK, value);
    console.log(`rollback: ${before === null ? '(not set)' : before.trim()} → ${value}  [${where}]`);
    console.log(state === 'on' ? 'Everyone gets the legacy chat on their next page load (within the documented bound).' : 'ChatKit is back for users in the rollout.');
    return 0;
  }

  const edit = editFor(command, args);
  if (!edit) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const current = readFlags(await kv.get(KV_KEY_FLAGS));
  if (current.problem) console.warn(`warning: the stored flags value is invalid (${current.problem}); starting from the defaults`);
  const next = applyFlagEdit(current.doc, edit);
  const changes = describeFlagChanges(current.doc, next);
  if (changes.length === 0 && !current.problem && current.raw !== null) {
    console.log(`flags: no change  [${where}]`);
    return 0;
  }
  await kv.put(KV_KEY_FLAGS, JSON.stringify(next));
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

/**
 * Upstash accepts Lua shebang flags that open-source Redis rejects: the
 * @upstash/ratelimit scripts start with `#!lua flags=allow-key-locking`, and
 * Redis 7 answers EVAL of them with "ERR Unexpected flag in script shebang".
 * To run those scripts on a real redis-server, the bridge removes such flags
 * before Redis sees the script and keeps a sha1 alias table so that the client
 * still addresses the script by the sha1 of the text *it* sent (ratelimit
 * hard-codes those hashes for EVALSHA).
 *
 * Removing `allow-key-locking` is semantically safe: it only relaxes locking
 * on Upstash, while Redis runs every script atomically anyway.
 */
import { createHash } from 'node:crypto';

/** Flags known to Upstash but not to Redis 7.0; extend if another client library needs more. */
const UPSTASH_ONLY_FLAGS = new Set(['allow-key-locking']);

const sha1 = (text: Buffer | string) => createHash('sha1').update(text).digest('hex');

function withoutUpstashOnlyFlags(script: string): string {
  const newline = script.indexOf('\n');
  const firstLine = newline === -1 ? script : script.slice(0, newline);
  const rest = newline === -1 ? '' : script.slice(newline);
  const shebang = /^#!lua(\s+flags=(\S*))?\s*$/.exec(firstLine);
  if (!shebang?.[1]) return script;
  const kept = (shebang[2] ?? '').split(',').filter((flag) => flag !== '' && !UPSTASH_ONLY_FLAGS.has(flag));
  return `#!lua${kept.length > 0 ? ` flags=${kept.join(',')}` : ''}${rest}`;
}

export class ScriptAliases {
  /** sha1 of the script as the client sent it → sha1 of the script Redis actually stores. */
  private readonly redisShaByClientSha = new Map<string, string>();

  /** The script text to hand to Redis; records an alias when it had to be rewritten. */
  toRedisScript(script: string): string {
    const rewritten = withoutUpstashOnlyFlags(script);
    if (rewritten !== script) this.redisShaByClientSha.set(sha1(script), sha1(rewritten));
    return rewritten;
  }

  toRedisSha(clientSha: string): string {
    return this.redisShaByClientSha.get(clientSha.toLowerCase()) ?? clientSha;
  }

  /** What Upstash would answer to SCRIPT LOAD: the hash of the script as sent. */
  clientSha(script: string): string {
    return sha1(script);
  }
}

/**
 * Rewrites one command for Redis. Returns the command plus, for SCRIPT LOAD, the
 * reply Upstash would give (so the client sees the hash of its own text).
 */
export function translateScriptCommand(
  aliases: ScriptAliases,
  [name, ...args]: [string, ...string[]],
): { command: [string, ...string[]]; replyOverride?: string } {
  const upper = name.toUpperCase();
  if ((upper === 'EVAL' || upper === 'EVAL_RO') && args[0] !== undefined) {
    return { command: [name, aliases.toRedisScript(args[0]), ...args.slice(1)] };
  }
  if ((upper === 'EVALSHA' || upper === 'EVALSHA_RO') && args[0] !== undefined) {
    return { command: [name, aliases.toRedisSha(args[0]), ...args.slice(1)] };
  }
  if (upper === 'SCRIPT' && args[0] !== undefined) {
    const sub = args[0].toUpperCase();
    if (sub === 'LOAD' && args[1] !== undefined) {
      return {
        command: [name, args[0], aliases.toRedisScript(args[1])],
        replyOverride: aliases.clientSha(args[1]),
      };
    }
    if (sub === 'EXISTS') {
      return { command: [name, args[0], ...args.slice(1).map((sha) => aliases.toRedisSha(sha))] };
    }
  }
  return { command: [name, ...args] };
}
